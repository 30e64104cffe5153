// What the console shows, derived from its state in one place: the queue of what needs a human
// (oldest first, one action each), the rooms (those with an alert first), and what a new alert
// should ring. Pure functions of the state; no DOM.

const LIVE = new Set(["open", "taken"]);

/** The live alerts, oldest first (by when each was raised), each with the action it offers me. */
export function queue(state) {
  const me = state.me?.name;
  return Object.values(state.alerts)
    .filter((alert) => LIVE.has(alert.status))
    .sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : 1))
    .map((alert) => ({ alert, room: state.rooms[alert.room] ?? null, action: actionFor(alert, me) }));
}

/** "take" (open), "handle" (taken by me: resolve or release) or "watch" (taken by someone else). */
export function actionFor(alert, me) {
  if (alert.status === "open") return "take";
  if (alert.status === "taken" && alert.taker === me) return "handle";
  return "watch";
}

/** How long an alert has waited since it became open (ms), on the server's clock. */
export function waitedMs(alert, now) {
  return Math.max(0, now - (alert.opened_at ?? alert.created_at));
}

/** The rooms, those with a live alert first, then those with people, then the rest (by name). */
export function roomList(state) {
  const rank = (room) => (room.alert ? 0 : room.members + room.observers > 0 ? 1 : 2);
  return Object.values(state.rooms).sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

/** Whether I may join this room as its facilitator (admins: every room). */
export function mayFacilitate(state, slug) {
  return Boolean(state.me && (state.me.admin || state.me.rooms.includes(slug)));
}

/** The alerts that should ring now (chime, notification, announcement): new ones needing a human. */
export function ringing(state) {
  return state.fresh.map((id) => state.alerts[id]).filter(Boolean);
}

/** The number of open alerts (the page title shows it). */
export function openCount(state) {
  return Object.values(state.alerts).filter((alert) => alert.status === "open").length;
}

/** Whether anything on screen counts (waiting times), so the page ticks once a second. */
export function ticking(state) {
  return Object.values(state.alerts).some((alert) => LIVE.has(alert.status));
}

/** The conversations this staff member is in, live ones first (then by when they began). */
export function conversations(state) {
  return Object.values(state.conversations).sort((a, b) => Number(Boolean(a.ended)) - Number(Boolean(b.ended)));
}
