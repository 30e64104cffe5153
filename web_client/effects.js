// What is worth saying when something happens: announcements for screen readers and quiet
// notes in the conversation, turn alerts, connection changes. One table, keyed by event name;
// each entry looks at (previous, next, frame) and returns effects as data:
//   {say: key, params, kind}   an announcement ("message" items are summed up in bursts)
//   {note: key, params}        a line in the conversation
//   {alert: "floor"|"warning"} a turn alert for me (tab title, sound, vibration, notification)
//   {status: connState}        the connection changed (said once it settles: StatusAnnouncer)
// The table and effectsOf are pure; runEffects carries them out through the functions it is
// given. Replayed events (a resume's backlog) give none, so old turns are never announced again.

import { me, nameOf, needsContentNote } from "./selectors.js";
import { WAIT_STAGES_MS, crisisConversation, laneStatus, sheetIsLane } from "./conversations.js";

const say = (key, params = {}, kind = "note") => ({ say: key, params, kind });
const note = (key, params = {}) => ({ note: key, params });
const alert = (kind) => ({ alert: kind }); // a turn alert: "floor" or "warning" (alerts.js)

/** Someone's name for announcements; a catalog key stands in when the name is unknown. */
const who = (state, id) => ({ name: nameOf(state, id) ?? "" });

export const EFFECTS = {
  "chat.message": (prev, next, f) => (f.from === next.myId ? [] : [say("announce.message", { name: f.name, text: String(f.text).slice(0, 300) }, "message")]),
  "floor.granted": (prev, next, f) => (f.member === next.myId
    ? [say("announce.floor.mine"), note("note.floor.mine"), alert("floor"), ...askContentNote(next)]
    : [say("announce.floor.other", who(next, f.member)), note("note.floor.other", who(next, f.member))]),
  "share.warning": (prev, next, f) => (f.member === next.myId
    ? [say("announce.warning.mine"), alert("warning")]
    : [say("announce.warning.other", who(next, f.member))]),
  "share.ended": (prev, next, f) => (f.member === next.myId && f.how === "skipped"
    ? [say("announce.skipped.mine"), note("note.skipped.mine")]
    : []),
  "part.started": (prev, next, f) => partStarted(f.part),
  "format.ended": () => [say("announce.format.ended"), note("note.format.ended")],
  "round.opened": (prev, next, f) => (f.topic
    ? [say("announce.round.opened.topic", { topic: f.topic }), note("note.round.opened.topic", { topic: f.topic })]
    : [say("announce.round.opened"), note("note.round.opened")]),
  "round.ended": () => [say("announce.round.ended"), note("note.round.ended")],
  "round.paused": () => [say("announce.round.paused")],
  "round.resumed": () => [say("announce.round.resumed")],
  "report.filed": () => [say("announce.report")],
  "raid.alert": (prev, next, f) => [say(f.self_led ? "announce.raid.quiet" : "announce.raid")],
  "raid.settled": () => [say("announce.quiet.over")],
  "lobby.waiting": (prev, next, f) => [say("announce.waiting", { name: f.name })],
  "room.reset": () => [say("announce.reset")],
  "member.updated": (prev, next, f) => (f.member.id === next.myId ? aboutMe(me(prev), me(next)) : []),
  // issue 15: a milestone celebrated in the room (by a facilitator, or the closing part)
  "milestone.celebrated": (prev, next, f) => (f.member === next.myId
    ? [say("announce.milestone", { ...who(next, f.member), count: f.days }), note("note.milestone.mine", { count: f.days })]
    : [say("announce.milestone", { ...who(next, f.member), count: f.days }), note("note.milestone", { ...who(next, f.member), count: f.days })]),
};

/** My share in a part with content notes: say where the note goes (issue 15, contentnote.js). */
const askContentNote = (next) => (needsContentNote(next) ? [say("announce.content_note")] : []);

/**
 * Private conversations (conversations.js): said to me only, since only I see them. Messages from
 * the other side are read like chat; a status is said when it changes what I can expect.
 */
export const CONVERSATION_EFFECTS = {
  "conversation.opened": (prev, next, f) => (f.kind === "word" ? [say("announce.word.opened", { name: f.with ?? "" })] : []),
  "conversation.status"(prev, next, f) {
    const before = prev.conversations.find((c) => c.id === f.conversation)?.status;
    if (before === f.status || laneOnScreen(next)) return []; // its role=status line says it
    if (f.status === "answered") return [say("announce.lane.answered", { name: f.by ?? "" })];
    if (f.status === "nobody_on_call") return [say("announce.lane.nobody")];
    if (f.status === "waiting" && before === "answered") return [say("announce.lane.waiting_again")];
    return [];
  },
  "conversation.message": (prev, next, f) => {
    const had = prev.conversations.find((c) => c.id === f.conversation)?.messages.some((m) => m.seq === f.seq);
    return f.from === "me" || had ? [] : [say("announce.conversation.message", { name: f.name ?? "", text: String(f.text ?? "").slice(0, 300) }, "message")];
  },
  "conversation.ended": (prev, next, f) => (prev.conversations.find((c) => c.id === f.conversation)?.status === "ended"
    ? [] : [say("announce.conversation.ended")]),
};

/** The lane's own status line is on screen (a polite live region): it speaks for itself. */
const laneOnScreen = (state) => state.sheet.open && sheetIsLane(state);

/** After two and five minutes of waiting, say plainly that nobody has joined yet (SAFETY-NET §3). */
function laneWaited(prev, next) {
  if (!crisisConversation(next) || laneOnScreen(next)) return [];
  const before = laneStatus(prev);
  const after = laneStatus(next);
  const minutes = WAIT_STAGES_MS[after.stage - 1] / 60_000;
  return after.stage > before.stage && before.status === after.status ? [say("announce.lane.still_waiting", { minutes })] : [];
}

/** A part begins: its title (and place in the format) is said and noted, and so is its text. */
function partStarted(p) {
  if (!p) return [];
  const params = { title: p.title, number: p.index + 1, count: p.count };
  const out = [say("announce.part", params), note("note.part", params)];
  if (p.text) out.push(note("note.part.text", { text: p.text }));
  return out;
}

/** Say what changed about me, in words (role, mute, listen-only). */
function aboutMe(before, after) {
  if (!before || !after) return [];
  const out = [];
  if (before.role !== after.role) out.push(say(after.role === "facilitator" ? "announce.me.facilitator" : "announce.me.member"));
  if (before.muted_until !== after.muted_until) out.push(say(after.muted_until ? "announce.me.muted" : "announce.me.unmuted"));
  if (before.listen_only !== after.listen_only) out.push(say(after.listen_only ? "announce.me.listen_only" : "announce.me.speak"));
  return out;
}

/**
 * The effects of one store change. `action` is what the store just applied; replayed events and
 * anything but live events and seatings give none.
 */
export function effectsOf(prev, next, action) {
  return [...effectsOfAction(prev, next, action), ...laneWaited(prev, next)];
}

function effectsOfAction(prev, next, action) {
  if (action.type === "event") return action.replayed ? [] : EFFECTS[action.frame.event]?.(prev, next, action.frame) ?? [];
  if (action.type === "conversation") return CONVERSATION_EFFECTS[action.frame?.event]?.(prev, next, action.frame) ?? [];
  if (action.type === "conn" && prev.conn.state !== next.conn.state) return [{ status: next.conn.state }];
  // The name may carry a number ("River 2") if someone in the room took it while they waited.
  if (action.type === "snapshot" && action.reason === "admitted") return [say("announce.admitted", { room: next.room?.name ?? "", name: action.ack?.member?.name ?? "" })];
  if (action.type === "snapshot" && next.historyLost) return [say("announce.resync")];
  return [];
}

/** How long the connection must stay in one state before it is said out loud. */
export const STATUS_SETTLE_MS = 2_500;
const TROUBLE = new Set(["reconnecting", "offline", "closed"]);

/**
 * One announcement per connection change, not one per flip: a status is said once it has held
 * for STATUS_SETTLE_MS, and only when it differs from the last one said. "Connected" is said
 * only after trouble was; "connecting" and "idle" never are (the screen shows them).
 */
export class StatusAnnouncer {
  constructor(sayStatus, { setTimer = (fn, ms) => setTimeout(fn, ms), clearTimer = (id) => clearTimeout(id) } = {}) {
    Object.assign(this, { sayStatus, setTimer, clearTimer, timer: null, said: "connected" });
  }

  /** The connection state just became `state`. */
  changed(state) {
    this.clearTimer(this.timer);
    this.timer = this.setTimer(() => this.settle(state), STATUS_SETTLE_MS);
  }

  settle(state) {
    this.timer = null;
    const worth = TROUBLE.has(state) || (state === "connected" && TROUBLE.has(this.said));
    if (!worth || state === this.said) return;
    this.said = state;
    this.sayStatus(state);
  }
}

/**
 * Carry out the effects of every store change: `say(text, kind)` for announcements (the app's
 * announcer), a `note` action for notes, `alert(kind)` for turn alerts (alerts.js), and
 * connection changes through a StatusAnnouncer. Returns the function that stops it.
 */
export function runEffects(store, { say, t, alert: fireAlert = () => {}, timers }) {
  const status = new StatusAnnouncer((state) => say(t(`conn.${state}`, {}), "note"), timers);
  return store.subscribe((previous, next, action) => {
    for (const effect of effectsOf(previous, next, action)) {
      if (effect.say) say(t(effect.say, effect.params), effect.kind);
      if (effect.note) store.dispatch({ type: "note", label: effect.note, params: effect.params });
      if (effect.alert) fireAlert(effect.alert);
      if (effect.status) status.changed(effect.status);
    }
  });
}
