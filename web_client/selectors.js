// Every fact derived from the state, written once and against one clock (`state.now`, the
// server's time): who holds the floor, my place in the queue, whether and why I cannot post,
// who is muted, how much time a share has left. Views and effects ask here; none of them
// recomputes these.

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
export const slowWait = (state) => (isFacilitator(state) ? 0 : Math.max(0, state.slowUntil - state.now));

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
  if (self.listen_only) return { reason: meeting?.paused_room ? "room_paused" : "listen_only", hard: true, params: {} };
  const facilitator = self.role === "facilitator";
  if (meeting?.mode === "listen_only" && !facilitator) return { reason: "listening_room", hard: true, params: {} };
  if (meeting?.mode === "round" && !facilitator && !speaking(state)) {
    const holder = floorMember(state);
    const params = { place: myPlace(state), name: nameOf(state, holder) };
    return { reason: holder ? "turn" : "round", hard: true, params };
  }
  const wait = slowWait(state);
  if (wait > 0) return { reason: "slow", hard: false, params: { seconds: Math.ceil(wait / 1000) } };
  return null;
}

/** Which of my own buttons show, and whether they work (members only). */
export function myControls(state) {
  const self = me(state);
  if (state.observer || !self) return null;
  const meeting = state.meeting;
  const online = state.conn.state === "connected";
  const up = handUp(state);
  const mine = speaking(state);
  return {
    online,
    hand: mine ? null : { up, disabled: !online || (!up && (self.listen_only || meeting?.mode === "listen_only")) },
    done: mine,
    pass: mine || (up && Boolean(meeting?.round)),
    listenOnly: { on: Boolean(self.listen_only), disabled: !online || Boolean(meeting?.paused_room && self.listen_only) },
  };
}

/** True while something on screen counts down, so the page needs ticks of the clock. */
export function deadlineLive(state) {
  const f = floor(state);
  if (f && !round(state).paused && f.ends_at > state.now) return true;
  if (state.slowUntil > state.now) return true;
  return state.members.some((m) => isMuted(state, m));
}

/** The warning about the current share's last 30 s, if it belongs to the current holder. */
export const shareWarning = (state) => (state.warning && state.warning.member === floorMember(state) ? state.warning : null);
