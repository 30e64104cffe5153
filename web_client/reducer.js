// The page's state and the pure function that changes it: reduce(state, action) -> state.
// Actions are protocol happenings (snapshot, resumed, event, conn, terminal, lobby, conversation)
// and local ones (tick, note, slow, select, sending, arm/disarm, screen, leave, and the private
// conversations' own: conversations.js). Room events are applied the same whether
// replayed or live; whether anything is *said* about them is effects.js's business.
// No DOM here, and nothing is mutated: every change makes new objects along its path.

import { CONVERSATION_ACTIONS, emptyConversations, initialConversations, withOpenConversations } from "./conversations.js";
// -- milestones, fairness, content notes (issue 15): their state lives in tending.js ----------
import { emptyTending, tendingFromAck, TENDING_ACTIONS, TENDING_EVENTS } from "./tending.js";
// -----------------------------------------------------------------------------------------------

export const REACTIONS = ["heart", "thanks", "hug", "strength", "same"];
const MAX_LOG = 200;
const MAX_NOTES = 50;

export function initialState() {
  return {
    screen: "lobby", // lobby | room | notice
    notice: null, // {kind, params} on the notice screen
    conn: { state: "idle", retryInMs: null },
    now: 0, // the server's clock (ms) at the last action that knew it
    hello: null,
    noteCount: 0,
    ...initialConversations(),
    ...emptyRoom(),
  };
}

function emptyRoom() {
  return {
    room: null,
    returning: null, // a stored session's room slug while it resumes
    myId: null,
    observer: false,
    members: [], // member objects, in join order (maybe only the pages read so far)
    memberCount: 0, // everyone seated, read or not (protocol.md §3.1 member_count)
    membersNext: null, // the `after` of the next members.page, or null: the list is whole
    names: {}, // id -> last known name (kept after people leave, for the log)
    observers: 0,
    meeting: null,
    messages: [], // {kind: "message"|"note"|"redacted", key, ...} in the order they came
    warning: null, // {member, remainingMs, at}
    modlog: [],
    waiting: [], // [{ticket, name}] (facilitators)
    historyLost: false,
    slowUntil: 0, // server time before which slow mode holds my next post
    selected: null, // the member a facilitator chose
    sending: false, // a post is on its way
    armed: null, // the key of a two-press button pressed once ("reset", "remove-<mid>")
    welcome: false, // the "how this room works" card shows
    ...emptyConversations(), // this seat's private conversations (conversations.js)
    ...emptyTending(), // tending, myMilestone, contentNote (tending.js)
  };
}

export function reduce(state, action) {
  const next = ACTIONS[action.type]?.(state, action) ?? state;
  if (typeof action.now === "number" && action.now !== next.now) return { ...next, now: action.now };
  return next;
}

const ACTIONS = {
  tick: (state) => state,
  hello: (state, a) => ({ ...state, hello: a.hello }),
  conn: (state, a) => ({ ...state, conn: { state: a.state, retryInMs: a.retryInMs ?? null } }),
  returning: (state, a) => ({ ...state, ...emptyRoom(), screen: "room", returning: a.room }),
  snapshot: loadSnapshot,
  roster(state, a) {
    let next = { ...state, membersNext: a.ack.next ?? null };
    for (const m of a.ack.members ?? []) next = withMember(next, m);
    const count = a.ack.member_count ?? next.members.length;
    return { ...next, memberCount: Math.max(count, next.members.length) };
  },
  resumed(state, a) {
    const next = a.ack.member ? { ...withMember(state, a.ack.member), myId: a.ack.member.id } : state;
    return withOpenConversations(next, a.ack, a.ack.member?.role === "facilitator");
  },
  lobby: (state, a) => ({ ...state, screen: "notice", notice: { kind: "waiting", params: { room: a.ack.room?.name ?? "" } } }),
  terminal: (state, a) => ({ ...state, ...emptyRoom(), screen: "notice", notice: { kind: a.kind, params: {} } }),
  leave: (state) => ({ ...state, ...emptyRoom(), screen: "lobby", notice: null }),
  screen: (state, a) => ({ ...state, screen: a.screen, notice: a.screen === "notice" ? state.notice : null }),
  note: (state, a) => withNote(state, a.label, a.params),
  slow: (state, a) => ({ ...state, slowUntil: a.until }),
  select: (state, a) => ({ ...state, selected: a.member }),
  sending: (state, a) => ({ ...state, sending: a.on }),
  arm: (state, a) => ({ ...state, armed: a.key }),
  disarm: (state, a) => (state.armed === a.key ? { ...state, armed: null } : state),
  welcome: (state, a) => ({ ...state, welcome: Boolean(a.on) }),
  event(state, a) {
    const next = EVENTS[a.frame.event]?.(state, a.frame) ?? state;
    return TENDING_EVENTS[a.frame.event]?.(next, a.frame) ?? next;
  },
  ...TENDING_ACTIONS,
  ...CONVERSATION_ACTIONS,
};

/** Seatings that show the welcome card: a new arrival, not a return (resume, resync). */
const WELCOMED = new Set(["join", "admitted"]);

/** `state` with one of this page's own lines (a catalog key) added to the conversation. */
function withNote(state, label, params = {}, messages = state.messages) {
  const count = state.noteCount + 1;
  return { ...state, noteCount: count, messages: [...messages, { kind: "note", key: `n${count}`, label, params }] };
}

function loadSnapshot(state, { ack, reason }) {
  // A resync keeps the notes (they are this page's own lines) and says history was lost.
  const hadHistory = state.messages.some((m) => m.kind !== "note") || reason === "resync";
  const kept = reason === "resync" ? state.messages.filter((m) => m.kind === "note").slice(-MAX_NOTES) : [];
  let next = {
    ...state,
    ...emptyRoom(),
    screen: "room",
    notice: null,
    room: ack.room ?? state.room,
    myId: ack.member?.id ?? null,
    observer: !ack.member,
    observers: ack.observers ?? 0,
    meeting: ack.meeting ?? null,
    messages: kept,
    historyLost: reason === "resync" && hadHistory,
    waiting: (ack.waiting ?? []).map(({ ticket, name }) => ({ ticket, name })),
    selected: reason === "resync" ? state.selected : null,
    modlog: reason === "resync" ? state.modlog : [],
    welcome: WELCOMED.has(reason) ? true : state.welcome,
    ...tendingFromAck(state, ack, reason),
    // A resync is the same seat: its private conversations live on apart from the room's history.
    ...(reason === "resync" ? { conversations: state.conversations, lane: state.lane } : {}),
  };
  for (const m of ack.members ?? []) next = withMember(next, m);
  if (ack.member) next = withMember(next, ack.member);
  const count = ack.member_count ?? next.members.length;
  next = { ...next, memberCount: Math.max(count, next.members.length), membersNext: ack.members_next ?? null };
  return withOpenConversations(next, ack, ack.member?.role === "facilitator");
}

/** Someone seated arrives: in the list, and counted once (they may be known from a page). */
function arrived(state, member) {
  const known = state.members.some((m) => m.id === member.id);
  const next = withMember(state, member);
  return known ? next : { ...next, memberCount: Math.max(state.memberCount + 1, next.members.length) };
}

/** Someone left: off the list, and off the count (also if no page we read had them yet). */
function departed(state, id) {
  const members = state.members.filter((m) => m.id !== id);
  const memberCount = Math.max(state.memberCount - 1, members.length);
  return { ...state, members, memberCount, selected: state.selected === id ? null : state.selected };
}

function withMember(state, member) {
  const at = state.members.findIndex((m) => m.id === member.id);
  const members = at < 0
    ? [...state.members, member]
    : state.members.map((m, i) => (i === at ? { ...m, ...member } : m));
  return { ...state, members, names: { ...state.names, [member.id]: member.name ?? state.names[member.id] } };
}

function patchMember(state, id, fields) {
  const m = state.members.find((x) => x.id === id);
  return m ? withMember(state, { ...m, ...fields }) : state;
}

function patchMessage(state, mid, fn) {
  const at = state.messages.findIndex((m) => m.kind === "message" && m.mid === mid);
  if (at < 0) return state;
  const messages = state.messages.slice();
  messages[at] = fn(messages[at]);
  return { ...state, messages };
}

function log(state, entry) {
  return { ...state, modlog: [...state.modlog, entry].slice(-MAX_LOG) };
}

function clearWarning(state) {
  return state.warning ? { ...state, warning: null } : state;
}

const EVENTS = {
  "chat.message"(state, f) {
    if (state.messages.some((m) => m.kind === "message" && m.mid === f.mid)) return state;
    const message = { kind: "message", key: `m${f.mid}`, mid: f.mid, from: f.from, name: f.name, text: f.text, ts: f.ts, reactions: {}, ...(f.note ? { note: f.note } : {}) };
    return { ...state, messages: [...state.messages, message] };
  },
  "chat.reaction"(state, f) {
    if (!REACTIONS.includes(f.reaction)) return state;
    return patchMessage(state, f.mid, (m) => {
      const who = m.reactions[f.reaction] ?? [];
      const on = f.on !== false; // withdrawn reactions arrive with on: false
      if (who.includes(f.from) === on) return m;
      const next = on ? [...who, f.from] : who.filter((id) => id !== f.from);
      return { ...m, reactions: { ...m.reactions, [f.reaction]: next } };
    });
  },
  "chat.removed": (state, f) => ({ ...state, messages: state.messages.filter((m) => !(m.kind === "message" && m.mid === f.mid)) }),
  redacted(state, f) {
    // A message removed before we caught up on it: keep its place, say what happened.
    return { ...state, messages: [...state.messages, { kind: "redacted", key: `r${f.seq}`, mid: f.seq }] };
  },
  "member.joined": (state, f) => arrived(state, f.member),
  "member.updated": (state, f) => withMember(state, f.member),
  "member.away": (state, f) => patchMember(state, f.member, { away: true }),
  "member.back": (state, f) => patchMember(state, f.member, { away: false }),
  "member.left": (state, f) => departed(state, f.member),
  // several presence changes at once: a busy room's batch, or a resume's folded run (§4.1)
  "members.changed"(state, f) {
    let next = state;
    for (const m of f.joined ?? []) next = arrived(next, m);
    for (const { member } of f.left ?? []) next = departed(next, member);
    for (const id of f.away ?? []) next = patchMember(next, id, { away: true });
    for (const id of f.back ?? []) next = patchMember(next, id, { away: false });
    return next;
  },
  observers: (state, f) => ({ ...state, observers: f.count }),
  "room.reset"(state) {
    return withNote(state, "note.reset", {}, state.messages.filter((m) => m.kind === "note"));
  },
  "part.started": clearWarning,
  "meeting.state"(state, f) {
    const floor = f.meeting?.round?.floor;
    const warning = floor && state.warning?.member === floor.member ? state.warning : null;
    return { ...state, meeting: f.meeting, warning };
  },
  "round.ended": clearWarning,
  "floor.granted": clearWarning,
  "share.extended": clearWarning,
  "share.ended": clearWarning,
  "share.warning": (state, f) => ({ ...state, warning: { member: f.member, remainingMs: f.remaining_ms, at: f.ts } }),
  // facilitators only (protocol.md §4.4); everyone else gets `hidden`, which changes nothing
  moderation: (state, f) => log(state, { kind: "moderation", key: f.seq, ...f }),
  "report.filed": (state, f) => log(state, { kind: "report", key: f.seq, ...f }),
  "raid.alert": (state, f) => log(state, { kind: "raid", key: f.seq, ...f }),
  // Quiet mode ended (everyone gets it); `meeting.state` right after it says `quiet` false.
  "raid.settled": (state) => state,
  "lobby.waiting": (state, f) => ({ ...state, waiting: [...state.waiting.filter((w) => w.ticket !== f.ticket), { ticket: f.ticket, name: f.name }] }),
  "lobby.admitted": (state, f) => ({ ...state, waiting: state.waiting.filter((w) => w.ticket !== f.ticket) }),
  "lobby.denied": (state, f) => ({ ...state, waiting: state.waiting.filter((w) => w.ticket !== f.ticket) }),
};

