// Private conversations (docs/protocol.md §3.7, §4.6): the crisis lane a member or observer
// opens with "Talk to someone now", and a facilitator's private word with one member. Both are
// the same kind of conversation; only the two people in it ever see it. Pure, like reducer.js:
// the state slice, the actions that change it, and the facts derived from it. No DOM.
//
// State (kept in the page's one state object):
//   crisis         {config: [Resource]}   the server's resources from /api/config (page-wide)
//   sheet          {open, focus}          the conversation sheet above the crisis line: shown or
//                                         not, and what it shows ("crisis" or a conversation id)
//   conversations  [Conversation]         this seat's conversations, oldest first
//   lane           null | {status, code}  a crisis request in flight ("asking") or refused
//                                         ("unavailable"), before the server gave it an id
// Conversation: {id, kind: "crisis"|"word", status, with, onCall, mine, resources, at, messages,
//   unread, seen, reason}; status is waiting | nobody_on_call | answered (crisis) or open (word),
//   then ended (with the server's `reason`). `mine`: I opened it (my crisis request, or my word
//   as the facilitator). `seen`: the conversation seqs applied, so a frame sent again on a
//   resume changes nothing (docs/protocol.md §3.7).
// A message: {seq, from: "me"|"them", name, text, ts}, each seq once, in seq order.

const MAX_MESSAGES = 200;
const MAX_SEEN = 400;
const LIVE = new Set(["waiting", "nobody_on_call", "answered", "open"]);
const CRISIS_STATUSES = new Set(["waiting", "nobody_on_call", "answered", "ended"]);
/** How long a wait lasts before the lane says plainly that nobody has joined yet (SAFETY-NET §3). */
export const WAIT_STAGES_MS = [2 * 60_000, 5 * 60_000];

export function emptyConversations() {
  return { conversations: [], lane: null };
}

export function initialConversations() {
  return { crisis: { config: [] }, sheet: { open: false, focus: null }, ...emptyConversations() };
}

// -- resources -------------------------------------------------------------------------------

const SAFE_LINK = /^(tel:\+?[0-9*#]+|sms:\+?[0-9]+(\?body=[A-Za-z0-9 ]*)?|https:\/\/\S+)$/;

/** One resource as the page may show it: known fields only, and a link only of a safe kind. */
export function cleanResource(r) {
  if (!r || typeof r !== "object" || !r.label) return null;
  const link = typeof r.link === "string" && SAFE_LINK.test(r.link) ? r.link : null;
  return {
    label: String(r.label),
    number: r.number ? String(r.number) : "",
    channel: String(r.channel ?? "call"),
    link,
    hours: r.hours ? String(r.hours) : "",
  };
}

export function cleanResources(list) {
  return Array.isArray(list) ? list.map(cleanResource).filter(Boolean) : [];
}

/**
 * The resources in /api/config: `crisis` (a list, or {resources}), else the older
 * `crisis_number` and `crisis_text` as one call line.
 */
export function configResources(config) {
  const given = Array.isArray(config?.crisis) ? config.crisis : config?.crisis?.resources;
  const list = cleanResources(given);
  if (list.length) return list;
  const number = String(config?.crisis_number ?? "").trim();
  if (!number) return [];
  const digits = number.replace(/[^0-9+*#]/g, "");
  return [cleanResource({ label: config.crisis_text || number, number, channel: "call", link: digits ? `tel:${digits}` : null })];
}

// -- the reducer's part ------------------------------------------------------------------------

const upsert = (state, id, fields, base = {}) => {
  const at = state.conversations.findIndex((c) => c.id === id);
  if (at >= 0) {
    const conversations = state.conversations.slice();
    conversations[at] = { ...conversations[at], ...fields };
    return { ...state, conversations };
  }
  const fresh = { id, kind: "word", status: "open", with: "", onCall: null, mine: false, resources: [], at: state.now, messages: [], unread: 0, seen: [], reason: null, ...base, ...fields };
  return { ...state, conversations: [...state.conversations, fresh] };
};

const find = (state, id) => state.conversations.find((c) => c.id === id) ?? null;

const showing = (state, c) => state.sheet.open && sheetFocus(state)?.id === c.id;

/** Local actions (type names) and how they change the state. */
export const CONVERSATION_ACTIONS = {
  config: (state, a) => ({ ...state, crisis: { config: cleanResources(a.crisis) } }),
  sheet(state, a) {
    const sheet = { open: Boolean(a.open), focus: a.focus === undefined ? state.sheet.focus : a.focus };
    const next = { ...state, sheet };
    const c = sheetFocus(next);
    return c && sheet.open && c.unread ? upsert(next, c.id, { unread: 0 }) : next;
  },
  "crisis.asking": (state) => ({ ...state, lane: { status: "asking", code: null }, sheet: { open: true, focus: "crisis" } }),
  "crisis.refused": (state, a) => ({ ...state, lane: { status: "unavailable", code: a.code ?? null, resources: [] } }),
  "crisis.opened"(state, { ack, now }) {
    // The resources come even when the server could not open the conversation (no backend).
    if (!ack.conversation) return { ...state, lane: { status: "unavailable", code: null, resources: cleanResources(ack.resources) } };
    const status = CRISIS_STATUSES.has(ack.status) ? ack.status : "waiting";
    const old = find(state, ack.conversation);
    const next = upsert({ ...state, lane: null }, ack.conversation, {
      kind: "crisis", status, onCall: ack.on_call ?? null, mine: true, resources: cleanResources(ack.resources),
      ...(old ? {} : { at: now ?? state.now }),
    });
    // An earlier, ended crisis conversation gives way to the new one.
    return { ...next, conversations: next.conversations.filter((c) => c.id === ack.conversation || c.kind !== "crisis" || LIVE.has(c.status)) };
  },
  "word.opened"(state, a) {
    const next = upsert(state, a.conversation, { kind: "word", status: "open", with: a.name ?? "", member: a.member ?? null, mine: true });
    return { ...next, sheet: { open: true, focus: a.conversation } };
  },
  "conversation.closed": (state, a) => (find(state, a.id) ? upsert(state, a.id, { status: "ended" }) : state),
  "conversation.dismiss"(state, a) {
    const conversations = state.conversations.filter((c) => c.id !== a.id);
    const focus = state.sheet.focus === a.id ? null : state.sheet.focus;
    return { ...state, conversations, sheet: { ...state.sheet, focus } };
  },
  conversation(state, { frame: f }) {
    const apply = CONVERSATION_EVENTS[f?.event];
    if (!apply || !f.conversation) return state;
    const c = find(state, f.conversation);
    if (typeof f.seq === "number" && c?.seen.includes(f.seq)) return state; // already applied
    const next = apply(state, f);
    return typeof f.seq === "number" && next !== state ? upsert(next, f.conversation, { seen: [...find(next, f.conversation).seen, f.seq].slice(-MAX_SEEN) }) : next;
  },
};

/**
 * The conversations a join or resume ack says are still open for me (`conversations`,
 * docs/protocol.md §3.2): known ones kept as they are, others taken up; their frames follow.
 */
export function withOpenConversations(state, ack, facilitator) {
  let next = state;
  for (const item of Array.isArray(ack?.conversations) ? ack.conversations : []) {
    if (!item?.conversation || find(next, item.conversation)) continue;
    const crisis = item.kind === "crisis";
    next = upsert(next, item.conversation, {
      kind: crisis ? "crisis" : "word",
      with: item.with ?? "",
      status: crisis ? (item.with ? "answered" : "waiting") : "open",
      mine: crisis || Boolean(facilitator),
    });
  }
  return next;
}

/** Conversation frames (`{"type": "conversation", "event": ...}`), never room events. */
export const CONVERSATION_EVENTS = {
  "conversation.opened"(state, f) {
    const kind = f.kind === "crisis" ? "crisis" : "word";
    const next = upsert(state, f.conversation, { kind, with: f.with ?? "" }, { status: kind === "word" ? "open" : "answered" });
    // A private word offered to me shows at once (it is why the facilitator opened it); the
    // keyboard focus stays where it was (regions/crisis.js only moves it on my own action).
    return kind === "word" && !next.sheet.open ? { ...next, sheet: { open: true, focus: f.conversation } } : next;
  },
  "conversation.status"(state, f) {
    if (!CRISIS_STATUSES.has(f.status)) return state;
    const fields = { kind: "crisis", status: f.status };
    if (f.status === "answered") fields.with = f.by ?? "";
    if (typeof f.on_call === "number") fields.onCall = f.on_call;
    if (f.status === "waiting" || f.status === "nobody_on_call") fields.with = "";
    return upsert(state, f.conversation, fields, { mine: true });
  },
  "conversation.message"(state, f) {
    const c = find(state, f.conversation);
    if (c?.messages.some((m) => m.seq === f.seq)) return state;
    const message = { seq: f.seq, from: f.from === "me" ? "me" : "them", name: f.name ?? "", text: String(f.text ?? ""), ts: f.ts };
    const messages = [...(c?.messages ?? []), message].sort((a, b) => a.seq - b.seq).slice(-MAX_MESSAGES);
    const unread = (c?.unread ?? 0) + (message.from === "them" && !(c && showing(state, c)) ? 1 : 0);
    return upsert(state, f.conversation, { messages, unread });
  },
  "conversation.ended": (state, f) => upsert(state, f.conversation, { status: "ended", reason: f.reason ?? null }),
};

// -- derived facts ---------------------------------------------------------------------------

export const isLive = (c) => Boolean(c) && LIVE.has(c.status);

/** The crisis conversation of this seat (the newest), or null. */
export const crisisConversation = (state) => state.conversations.findLast((c) => c.kind === "crisis") ?? null;

/** What the sheet shows: a conversation, or null for the crisis lane before it has one. */
export function sheetFocus(state) {
  const focus = state.sheet.focus;
  if (focus === "crisis" || focus === null) return focus === "crisis" ? crisisConversation(state) : state.conversations.findLast(isLive) ?? null;
  return find(state, focus);
}

/** True when the sheet shows the crisis lane (resources and status), not a private word. */
export function sheetIsLane(state) {
  const c = sheetFocus(state);
  return state.sheet.focus === "crisis" || !c || c.kind === "crisis";
}

/** The resources to show, most specific first: the lane's (for my locale), the room's, the server's. */
export function crisisResources(state) {
  const lane = crisisConversation(state)?.resources ?? [];
  if (lane.length) return lane;
  if (state.lane?.resources?.length) return state.lane.resources;
  const room = cleanResources(state.room?.crisis);
  return room.length ? room : state.crisis.config;
}

const LINE_ORDER = ["call", "text", "emergency", "chat", "directory"];

/** The one resource pinned beside "Talk to someone now": a crisis line to call, else the best there is. */
export function crisisLine(state) {
  const list = crisisResources(state).filter((r) => r.link);
  for (const channel of LINE_ORDER) {
    const found = list.find((r) => r.channel === channel);
    if (found) return found;
  }
  return list[0] ?? null;
}

/** True when every resource shown answers around the clock (emergency numbers always do). */
export const allHoursResources = (list) => list.length > 0
  && list.every((r) => r.channel === "emergency" || /^24\s*\/\s*7$/.test(r.hours.trim()));

/** Can this page ask for the crisis lane now (seated, member or observer, connected)? */
export const canAskForHelp = (state) => state.screen === "room" && Boolean(state.room) && state.conn.state === "connected";

/**
 * The crisis lane as the member sees it: {status, onCall, by, waitedMs, stage}. status is
 * not_seated (no room: nobody to ask from here), asking, unavailable, waiting, nobody_on_call,
 * answered, ended, or idle (seated, nothing asked).
 */
export function laneStatus(state) {
  const c = crisisConversation(state);
  if (state.lane && !(c && isLive(c))) return { status: state.lane.status, code: state.lane.code, onCall: null, by: "", waitedMs: 0, stage: 0 };
  if (c) {
    const waitedMs = c.status === "waiting" || c.status === "nobody_on_call" ? Math.max(0, state.now - (c.at ?? state.now)) : 0;
    return { status: c.status, onCall: c.onCall, by: c.with, waitedMs, stage: waitStage(waitedMs) };
  }
  return { status: canAskForHelp(state) ? "idle" : "not_seated", onCall: null, by: "", waitedMs: 0, stage: 0 };
}

/** 0 before two minutes of waiting, 1 after two, 2 after five. */
export const waitStage = (ms) => WAIT_STAGES_MS.filter((limit) => ms >= limit).length;

/** The live conversations, for the sheet's switcher and the strip's "Show conversation". */
export const liveConversations = (state) => state.conversations.filter(isLive);

/** Messages from the other side not yet seen in the sheet. */
export const unreadCount = (state) => state.conversations.reduce((n, c) => n + c.unread, 0);

/** A crisis lane still waiting for someone: its elapsed time is on screen, so the clock ticks. */
export const laneCounting = (state) => {
  const c = crisisConversation(state);
  return Boolean(c && (c.status === "waiting" || c.status === "nobody_on_call"));
};

/**
 * Who ended a conversation, from my side: "me", "them", "gone" (a party left the room) or null
 * (still open, or not said). The member's side of the lane and of a word is the member's.
 */
export function endedBy(c) {
  if (c?.status !== "ended" || !c.reason) return null;
  if (c.reason === "gone") return "gone";
  const memberSide = c.kind === "crisis" || !c.mine;
  if (c.reason === "member") return memberSide ? "me" : "them";
  if (c.reason === "other" || c.reason === "resolved") return memberSide ? "them" : "me";
  return null;
}

/**
 * Whether I can write in a conversation now, or why not ("ended", "reconnecting"). While the
 * lane waits the member may write already: whoever takes it reads it (docs/protocol.md §3.7).
 */
export function sayBlock(state, c) {
  if (!c) return "ended";
  if (c.status === "ended") return "ended";
  if (state.conn.state !== "connected") return "reconnecting";
  return null;
}

/** A crisis conversation nobody has answered yet. */
export const unanswered = (c) => Boolean(c) && c.kind === "crisis" && (c.status === "waiting" || c.status === "nobody_on_call");
