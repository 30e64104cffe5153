// Every fact derived from the state, written once and against one clock (`state.now`, the
// server's time): who holds the floor, my place in the queue, whether and why I cannot post,
// who is muted, how much time a share has left. Views and effects ask here; none of them
// recomputes these. The private conversations' own facts are in conversations.js.

import { laneCounting } from "./conversations.js";

export const me = (state) => (state.myId ? state.members.find((m) => m.id === state.myId) ?? null : null);

export const isFacilitator = (state) => me(state)?.role === "facilitator";

export const member = (state, id) => state.members.find((m) => m.id === id) ?? null;

/** The name to show for a member id: present, or remembered after they left, else null. */
export const nameOf = (state, id) => (id ? member(state, id)?.name ?? state.names[id] ?? null : null);

export const round = (state) => state.meeting?.round ?? null;

export const floor = (state) => round(state)?.floor ?? null;

/** The floor holder's member id, or null between shares. */
export const floorMember = (state) => floor(state)?.member ?? null;

export const hands = (state) => state.meeting?.hands ?? [];

/** Raised hands that are still waiting (the floor holder is not waiting any more). */
export const queue = (state) => {
  const holder = floorMember(state);
  return hands(state).filter((id) => id !== holder);
};

/** My place among raised hands, 1-based; 0 when my hand is down. */
export const myPlace = (state) => hands(state).indexOf(state.myId) + 1;

export const handUp = (state) => myPlace(state) > 0;

export const speaking = (state) => Boolean(state.myId) && floorMember(state) === state.myId;

export const isMuted = (state, m) => Boolean(m?.muted_until && m.muted_until > state.now);

/** ms left in the current share (0 when it is over); null with nobody on the floor. */
export function timeLeft(state) {
  const f = floor(state);
  if (!f) return null;
  const ms = round(state).paused ? f.remaining_ms : f.ends_at - state.now;
  return Math.max(0, ms);
}

/** ms until slow mode lets me post again (0: now). Facilitators are exempt. */
const slowWait = (state) => (isFacilitator(state) ? 0 : Math.max(0, state.slowUntil - state.now));

/**
 * Why I cannot post right now, or null when I can: {reason, hard, params}. `hard` means the text
 * box itself is disabled (a draft would be pointless); otherwise only sending waits.
 */
export function postBlock(state) {
  const conn = state.conn.state;
  if (conn !== "connected") {
    return { reason: conn === "closed" || conn === "idle" ? "gone" : "reconnecting", hard: false, params: {} };
  }
  if (state.observer) return { reason: "observer", hard: true, params: {} };
  const self = me(state);
  if (!self) return { reason: "not_seated", hard: true, params: {} };
  if (isMuted(state, self)) return { reason: "muted", hard: true, params: { until: self.muted_until } };
  const meeting = state.meeting;
  const facilitator = self.role === "facilitator";
  if (meeting?.paused_room && !facilitator) return { reason: "room_paused", hard: true, params: {} };
  if (self.listen_only) return { reason: meeting?.paused_room ? "room_paused" : self.listen_only_until ? "quiet" : "listen_only", hard: true, params: {} };
  if (meeting?.mode === "listen_only" && !facilitator) return { reason: "listening_room", hard: true, params: {} };
  if (meeting?.mode === "round" && !facilitator && !speaking(state)) {
    const holder = floorMember(state);
    const params = { place: myPlace(state), name: nameOf(state, holder) };
    return { reason: holder ? "turn" : "round", hard: true, params };
  }
  const partReason = partBlock(state, facilitator);
  if (partReason) return { reason: partReason, hard: true, params: { title: part(state).title } };
  if (needsContentNote(state) && !state.contentNote.trim()) return { reason: "content_note", hard: false, params: {} };
  const wait = slowWait(state);
  if (wait > 0) return { reason: "slow", hard: false, params: { seconds: Math.ceil(wait / 1000) } };
  return null;
}

/** The meeting's format ({key, title, self_led, parts}) or null. */
export const format = (state) => state.meeting?.format ?? null;

/** The part of the format the meeting is in (the part view, protocol.md §4.3), or null. */
export const part = (state) => state.meeting?.part ?? null;

/**
 * Why the current part keeps me from posting (rules.POSTING_VOICES as the server applies them,
 * rows 7 and 8 of "Who may post"), or null. Rounds are judged before this (row 6).
 */
function partBlock(state, facilitator) {
  const p = part(state);
  if (!p) return null;
  if (p.holds && !speaking(state)) return "part_holds";
  if (p.posting === "nobody") return "part_quiet";
  if (p.crosstalk || facilitator) return null;
  if (p.posting === "facilitator") return "part_reader";
  if ((p.posting === "floor" || p.posting === "in_turn") && !speaking(state)) return "part_turn";
  return null;
}

/**
 * A self-led room where my raised hand would open a round and give me the floor at once. With a
 * meeting format that runs itself, that happens in a share part with no round yet (a `hands`
 * part waits for its first hand); before the first part the hand starts the meeting instead (no
 * share yet), and a format that needs a facilitator never lets hands open rounds
 * (part_rules.hands_open_rounds).
 */
export function handOpensRound(state) {
  const meeting = state.meeting;
  if (!meeting?.self_led || meeting.round || hands(state).length > 0 || state.observer || !me(state)) return false;
  const fmt = format(state);
  if (!fmt) return true;
  const p = part(state);
  return Boolean(fmt.self_led && !meeting.paused_room && p && !p.holds && (p.posting === "floor" || p.posting === "in_turn"));
}

/**
 * Why raising my hand would be refused ("Who may raise a hand", plus the room's state), as a
 * composer.blocked reason, or null when it would work.
 */
function handBlock(state, self) {
  if (state.conn.state !== "connected") return "reconnecting";
  const meeting = state.meeting;
  if (meeting?.paused_room) return "room_paused";
  if (self.listen_only_until) return "quiet";
  if (self.listen_only) return "listen_only";
  if (isMuted(state, self)) return "muted";
  if (meeting?.mode === "listen_only") return "listening_room";
  if (part(state)?.holds) return "part_holds";
  return null;
}

/** Which of my own buttons show, whether they work, and why not (members only). */
export function myControls(state) {
  const self = me(state);
  if (state.observer || !self) return null;
  const meeting = state.meeting;
  const online = state.conn.state === "connected";
  const up = handUp(state);
  const mine = speaking(state);
  const handWhy = up ? (online ? null : "reconnecting") : handBlock(state, self);
  const listenWhy = !online ? "reconnecting" : meeting?.paused_room && self.listen_only ? "room_paused"
    : self.listen_only_until && self.role !== "facilitator" ? "quiet" : null;
  return {
    online,
    hand: mine ? null : { up, disabled: Boolean(handWhy), why: handWhy, opensRound: !up && handOpensRound(state) },
    done: mine,
    pass: !mine && up && Boolean(meeting?.round),
    listenOnly: { on: Boolean(self.listen_only), disabled: Boolean(listenWhy), why: listenWhy },
  };
}

/** The pinned bar of the person sharing: their time left and whether Done/Pass can be sent. */
export function sharerBar(state) {
  if (!speaking(state)) return null;
  return { left: timeLeft(state), paused: Boolean(round(state)?.paused), online: state.conn.state === "connected" };
}

/** The facilitators' pinned bar: what each control can do now, and why not. */
export function facilitatorBar(state) {
  if (!isFacilitator(state)) return null;
  const r = round(state);
  const f = floor(state);
  const online = state.conn.state === "connected";
  const offline = online ? null : "reconnecting";
  const fmt = format(state);
  const p = part(state);
  return {
    holder: f?.member ?? null,
    left: f ? timeLeft(state) : null,
    waiting: queue(state).length,
    extend: offline ?? (f ? null : "no_floor"),
    skip: offline ?? (f ? null : "no_floor"),
    pause: r ? { paused: Boolean(r.paused), why: offline } : null,
    nextPart: fmt ? { why: offline, last: Boolean(p && p.index + 1 >= p.count), started: Boolean(p) } : null,
  };
}

/** True while something on screen counts down, so the page needs ticks of the clock. */
export function deadlineLive(state) {
  const f = floor(state);
  if (f && !round(state).paused && f.ends_at > state.now) return true;
  if (state.slowUntil > state.now) return true;
  if (laneCounting(state)) return true;
  return state.members.some((m) => isMuted(state, m));
}

/** The warning about the current share's last 30 s, if it belongs to the current holder. */
export const shareWarning = (state) => (state.warning && state.warning.member === floorMember(state) ? state.warning : null);

/**
 * Where my report went, as the catalog key that says so truthfully (the report ack's `routed`,
 * docs/protocol.md §3.2): to the facilitators in the room, or (nobody seated as facilitator) to
 * the on-call queue, where staff see it now or, with nobody on call, when one signs in.
 */
export function reportNote(ack) {
  if (ack?.routed === "facilitators") return "report.thanks";
  if (ack?.routed === "on_call") {
    if (typeof ack.on_call !== "number") return "report.thanks.queued";
    return ack.on_call > 0 ? "report.thanks.on_call" : "report.thanks.kept";
  }
  return "report.thanks.sent";
}

// -- milestones, fairness, content notes (issue 15; state in tending.js) ------------------------

/** I share now in a part that asks for content notes: my posts carry one (CONTENT_NOTE_RULE). */
export const needsContentNote = (state) => Boolean(part(state)?.content_notes && speaking(state) && !isFacilitator(state));

/** My own milestone controls: null for observers and before I am seated. */
export function milestoneControls(state) {
  if (state.observer || !me(state)) return null;
  return { mine: state.myMilestone, online: state.conn.state === "connected" };
}

/**
 * Fairness at a glance (facilitators): every seated member with their turns in this meeting,
 * those who have not shared yet first (each group in join order). Null for everyone else.
 */
export function fairness(state) {
  if (!isFacilitator(state)) return null;
  const turns = new Map(state.tending.fairness.map((x) => [x.member, x]));
  const rows = state.members.filter((m) => m.role !== "facilitator").map((m) => {
    const x = turns.get(m.id) ?? { shares: 0, share_ms: 0, passes: 0 };
    return { id: m.id, name: m.name, shares: x.shares, shareMs: x.share_ms, passes: x.passes };
  });
  const notYet = rows.filter((r) => r.shares === 0);
  return { notYet, shared: rows.filter((r) => r.shares > 0), online: state.conn.state === "connected" };
}

/** The milestones members marked for this meeting, with names (facilitators only). */
export function milestonesMarked(state) {
  if (!isFacilitator(state)) return [];
  return state.tending.milestones.map((m) => ({ ...m, name: nameOf(state, m.member) ?? "" }));
}
