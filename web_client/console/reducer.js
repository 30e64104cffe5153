// The staff console's state and the pure function that changes it: reduce(state, action).
// Actions: the staff channel's happenings (watching: the staff.watch ack; staff: an event frame;
// alert and oncall: acks of our own commands; conn; ended) and local ones (signin, signout,
// busy, tick). No DOM here, and nothing is mutated (docs/protocol.md §10 for the frames).

export function initialState() {
  return {
    screen: "signin", // signin | console
    signin: { busy: false, error: null }, // error: a code (invalid_credentials, revoked...)
    conn: "idle", // idle | connecting | connected | reconnecting | closed
    me: null, // {name, admin, rooms, onCall}
    rooms: {}, // slug -> RoomView, in the order the server listed them
    alerts: {}, // id -> AlertView
    onCall: 0, // staff on call now
    busy: {}, // alert id (or "oncall") -> true while our command is on its way
    errors: {}, // alert id (or "oncall") -> the last refusal's code
    fresh: [], // ids of alerts that newly need a human (for effects: chime, notification)
    conversations: {}, // id -> {id, kind, room, with, ended: reason|null, messages: [...], seen: [seq...]}
    heard: null, // the last message from the other party (effects announce it), for one action
    now: 0,
  };
}

export function reduce(state, action) {
  // `fresh` speaks of the one action that made it: every other action starts without it.
  const base = state.fresh.length || state.heard ? { ...state, fresh: [], heard: null } : state;
  const next = ACTIONS[action.type]?.(base, action) ?? base;
  if (typeof action.now === "number" && action.now !== next.now) return { ...next, now: action.now };
  return next;
}

const byKey = (list, key) => Object.fromEntries((list ?? []).map((item) => [item[key], item]));

/** An alert that needs a human now and did not before (new, or handed back). */
function needsHuman(before, after) {
  return after.status === "open" && (!before || before.status !== "open");
}

function withAlert(state, view) {
  const before = state.alerts[view.id];
  const fresh = needsHuman(before, view) ? [view.id] : [];
  return { ...state, alerts: { ...state.alerts, [view.id]: view }, fresh };
}

/** A conversation as the console keeps it, from its opening frame (or the watch ack's entry). */
function opened(frame, before = null) {
  return {
    id: frame.conversation, kind: frame.kind ?? "crisis", room: frame.room ?? null, with: frame.with ?? "",
    ended: null, messages: before?.messages ?? [], seen: before?.seen ?? [],
  };
}

/**
 * Apply `change` to the frame's conversation once: a frame whose seq was seen is dropped (a
 * reconnect replays what is still in the window; messages written while waiting keep their
 * earlier seqs, so seqs are remembered, not just the highest). An unknown conversation starts.
 */
function talk(state, frame, change, fresh = null) {
  const id = frame.conversation;
  const held = state.conversations[id];
  const current = held ?? fresh ?? opened(frame);
  const seq = typeof frame.seq === "number" ? frame.seq : null;
  if (seq !== null && current.seen.includes(seq)) return state;
  const base = fresh && held ? { ...fresh, messages: held.messages, seen: held.seen } : current;
  const next = change(base);
  return { ...state, conversations: { ...state.conversations, [id]: { ...next, seen: seq === null ? base.seen : [...base.seen, seq] } } };
}

const ACTIONS = {
  tick: (state) => state,
  signin: (state, a) => ({ ...state, signin: { busy: a.busy ?? false, error: a.error ?? null } }),
  conn: (state, a) => ({ ...state, conn: a.state }),
  watching(state, a) {
    const ack = a.ack;
    return {
      ...state,
      screen: "console",
      signin: { busy: false, error: null },
      me: { name: ack.staff.name, admin: Boolean(ack.staff.admin), rooms: ack.staff.rooms ?? [], onCall: Boolean(ack.staff.on_call) },
      rooms: byKey(ack.rooms, "slug"),
      alerts: byKey(ack.alerts, "id"),
      onCall: ack.on_call ?? 0,
      busy: {},
      errors: {},
      conversations: Object.fromEntries((ack.conversations ?? []).map((c) => [c.conversation, opened(c, state.conversations[c.conversation])])),
    };
  },
  staff(state, a) {
    const frame = a.frame;
    if (frame.event === "staff.rooms") {
      return { ...state, rooms: { ...state.rooms, ...byKey(frame.rooms, "slug") } };
    }
    if (frame.event === "alert" && frame.alert) return withAlert(state, frame.alert);
    if (frame.event === "oncall") return { ...state, onCall: frame.on_call ?? state.onCall };
    if (frame.event === "conversation.opened") return talk(state, frame, (c) => c, opened(frame));
    return state;
  },
  /** A `conversation` frame of a conversation this staff member is in (docs/protocol.md §3.7). */
  conversation(state, a) {
    const f = a.frame;
    if (f.event === "conversation.message") {
      const message = { seq: f.seq, from: f.from, name: f.name, text: f.text, ts: f.ts, earlier: f.earlier ?? null };
      const next = talk(state, f, (c) => ({ ...c, messages: [...c.messages, message] }));
      return next !== state && f.from !== "me" ? { ...next, heard: { conversation: f.conversation, name: f.name, text: f.text } } : next;
    }
    if (f.event === "conversation.ended") return talk(state, f, (c) => ({ ...c, ended: f.reason ?? "other" }));
    return talk(state, f, (c) => c);
  },
  busy: (state, a) => ({
    ...state,
    busy: { ...state.busy, [a.key]: a.on },
    errors: a.on ? { ...state.errors, [a.key]: null } : state.errors,
  }),
  refused: (state, a) => ({ ...state, busy: { ...state.busy, [a.key]: false }, errors: { ...state.errors, [a.key]: a.code } }),
  alert(state, a) {
    const next = withAlert(state, a.alert);
    return { ...next, busy: { ...next.busy, [a.alert.id]: false }, fresh: [] }; // we did it: no ring
  },
  oncall: (state, a) => ({
    ...state,
    me: state.me ? { ...state.me, onCall: Boolean(a.ack.staff?.on_call) } : state.me,
    onCall: a.ack.on_call ?? state.onCall,
    busy: { ...state.busy, oncall: false },
  }),
  ended: (state, a) => ({ ...initialState(), signin: { busy: false, error: a.reason }, now: state.now }),
  signout: (state) => ({ ...initialState(), now: state.now }),
};
