// What the staff console keeps on this device: the sign-in (this tab only, sessionStorage: the
// token is good for an hour and refreshed while the console is open), the alert choices
// (sound, notifications: remembered on this device, localStorage), and the hand-off of a
// staff token to the member client for "Join as facilitator" (this tab's sessionStorage, copied
// into the tab the console opens; never in a URL).

const SIGNIN_KEY = "sharecircle.staff";
const RING_KEY = "sharecircle.staff.ring";
const INVITE_KEY = "sharecircle.invite"; // the member client's (storage.js loadInvite)

function safe(fn, fallback = null) {
  try {
    return fn();
  } catch {
    return fallback; // storage can be disabled (private modes, strict settings)
  }
}

/** {name, token} or null. */
export function loadSignin() {
  const raw = safe(() => sessionStorage.getItem(SIGNIN_KEY));
  const saved = raw ? safe(() => JSON.parse(raw)) : null;
  return saved && typeof saved.token === "string" ? saved : null;
}

export function saveSignin(signin) {
  if (signin) safe(() => sessionStorage.setItem(SIGNIN_KEY, JSON.stringify(signin)));
  else safe(() => sessionStorage.removeItem(SIGNIN_KEY));
}

/** The new-alert choices: {sound, notify}, both off unless chosen. */
export function loadRing() {
  const raw = safe(() => localStorage.getItem(RING_KEY));
  const saved = raw ? safe(() => JSON.parse(raw)) : null;
  return { sound: false, notify: false, ...(saved ?? {}) };
}

export function saveRing(choices) {
  safe(() => localStorage.setItem(RING_KEY, JSON.stringify(choices)));
}

/** Leave the member client a staff join for `room` (read by its lobby; docs/web_client.md). */
export function handOff(room, token, name) {
  safe(() => sessionStorage.setItem(INVITE_KEY, JSON.stringify({ room, staff: token, name })));
}
