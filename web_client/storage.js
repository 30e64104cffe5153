// Where this device keeps the session: this tab only (sessionStorage) unless the person asked
// to be remembered (localStorage), and the invite of the link that opened this tab. "Leave"
// clears all of it (clearVisit). Besides that: the theme and the language (this device), and the
// turn-alert choices (this tab only).

const SESSION_KEY = "sharecircle.session";
const THEME_KEY = "sharecircle.theme";
const INVITE_KEY = "sharecircle.invite";
const LOCALE_KEY = "sharecircle.locale";
const ALERTS_KEY = "sharecircle.alerts";

function safe(fn, fallback = null) {
  try {
    return fn();
  } catch {
    return fallback; // storage can be disabled (private modes, strict settings)
  }
}

/** {room, token, epoch, remember} or null. */
export function loadSession() {
  const raw = safe(() => sessionStorage.getItem(SESSION_KEY)) ?? safe(() => localStorage.getItem(SESSION_KEY));
  if (!raw) return null;
  try {
    const session = JSON.parse(raw);
    return session && typeof session.token === "string" && typeof session.room === "string" ? session : null;
  } catch {
    return null;
  }
}

export function saveSession(session) {
  const keep = session.remember ? localStorage : sessionStorage;
  const other = session.remember ? sessionStorage : localStorage;
  safe(() => other.removeItem(SESSION_KEY));
  safe(() => keep.setItem(SESSION_KEY, JSON.stringify(session)));
}

export function clearSession() {
  safe(() => sessionStorage.removeItem(SESSION_KEY));
  safe(() => localStorage.removeItem(SESSION_KEY));
}

/** Leaving forgets the visit on this device: the session and any invite token this tab kept. */
export function clearVisit() {
  clearSession();
  saveInvite(null);
}

export function loadTheme() {
  return safe(() => localStorage.getItem(THEME_KEY)) === "light" ? "light" : "dark";
}

export function saveTheme(theme) {
  safe(() => localStorage.setItem(THEME_KEY, theme));
}

/** Invite tokens from a link's fragment, kept for this tab so a reload does not lose them. */
export function loadInvite() {
  const raw = safe(() => sessionStorage.getItem(INVITE_KEY));
  return raw ? safe(() => JSON.parse(raw)) : null;
}

export function saveInvite(invite) {
  if (invite) safe(() => sessionStorage.setItem(INVITE_KEY, JSON.stringify(invite)));
  else safe(() => sessionStorage.removeItem(INVITE_KEY));
}

export const loadLocale = () => safe(() => localStorage.getItem(LOCALE_KEY));

export function saveLocale(name) {
  safe(() => localStorage.setItem(LOCALE_KEY, name));
}

/** The turn alerts chosen in this tab: {title, sound, vibrate, notify}, all off unless chosen. */
export function loadAlerts() {
  const raw = safe(() => sessionStorage.getItem(ALERTS_KEY));
  const saved = raw ? safe(() => JSON.parse(raw)) : null;
  return { title: false, sound: false, vibrate: false, notify: false, ...(saved ?? {}) };
}

export function saveAlerts(choices) {
  safe(() => sessionStorage.setItem(ALERTS_KEY, JSON.stringify(choices)));
}
