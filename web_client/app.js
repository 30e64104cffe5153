// Entry point: the crisis line, the theme, the screens (lobby, room, notice), the session on
// this device, and the connection that ties them together.

import { Connection } from "./connection.js";
import { Announcer } from "./announce.js";
import { Lobby } from "./lobby.js";
import { RoomView } from "./room.js";
import { setText } from "./render.js";
import * as storage from "./storage.js";

const $ = (id) => document.getElementById(id);

const STATE_WORDS = {
  connecting: "Connecting…",
  waiting: "In the waiting room",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  offline: "Offline",
  closed: "Disconnected",
};

// Said kindly, because the person reading it may be having the worst night of their year.
const NOTICES = {
  removed: ["You've been asked to leave this room",
    "A facilitator removed you from this room. It doesn't have to define your night: the other rooms are still open to you."],
  banned: ["You can't come back to this room for a while",
    "A facilitator has paused your access to this room for a time. The other rooms are still open to you."],
  session_invalid: ["Your session has ended", "It only takes a moment to join again."],
  seat_lost: ["Your seat was given up while you were away",
    "Someone else is using your name now. You're welcome to join again with another name."],
  room_gone: ["This room isn't here any more", "Have a look at the other rooms."],
  lobby: ["This room has a waiting room", "A facilitator lets people in one by one. Please try again in a little while."],
  not_admitted: ["You weren't let in this time",
    "The facilitators didn't let anyone new in just now. That is often about the room, not about you. The other rooms are open, and you can try again later."],
  lobby_lost: ["Your place in the waiting room was lost",
    "The connection closed while you were waiting. You're welcome to ask to come in again."],
  client_error: ["Something went wrong on our side", "Please reload the page and join again."],
};

const conn = new Connection();
const announcer = new Announcer($("announcer"));
const room = new RoomView({ conn, announcer });
let remember = false;

// -- invites from the link's fragment (#room=SLUG&invite=TOKEN or &facilitator=TOKEN) ----------

function readInvite() {
  const params = new URLSearchParams(location.hash.slice(1));
  const slug = params.get("room");
  if (slug) {
    const invite = { room: slug, invite: params.get("invite"), facilitator: params.get("facilitator") };
    storage.saveInvite(invite);
    if (invite.invite || invite.facilitator) {
      // Keep the token out of the address bar and history; this tab remembers it.
      history.replaceState(null, "", `${location.pathname}${location.search}#room=${encodeURIComponent(slug)}`);
    }
  }
  const saved = storage.loadInvite();
  if (saved && slug && saved.room !== slug) return { room: slug };
  return saved;
}

const lobby = new Lobby({ onJoin: join, invite: readInvite() });

// -- screens --------------------------------------------------------------------------------

function showScreen(name) {
  for (const screen of ["lobby", "room", "notice"]) $(`${screen}-screen`).hidden = screen !== name;
  $("leave-button").hidden = name !== "room";
  document.body.classList.toggle("in-room", name === "room");
  if (name === "lobby") lobby.start();
  else lobby.stop();
}

/** A calm full-page message with one way forward. */
function showNotice(title, text, action = "Back to the rooms", onAction = backToLobby) {
  setText($("notice-title"), title);
  setText($("notice-text"), text);
  const button = $("notice-action");
  setText(button, action);
  button.onclick = onAction;
  showScreen("notice");
  $("notice-title").focus();
}

function backToLobby() {
  showScreen("lobby");
  $("lobby-title").focus();
}

// -- joining and leaving ----------------------------------------------------------------------

async function join(fields) {
  remember = Boolean(fields.remember);
  const ack = await conn.join(fields); // throws ServerError with the server's own message
  if (ack.lobby) {
    showNotice("You're in the waiting room",
      `A facilitator of ${ack.room?.name ?? "the room"} lets people in one at a time. ` +
      "You don't need to do anything: the room opens here as soon as they do.",
      "Stop waiting", stopWaiting);
  }
}

async function stopWaiting() {
  await conn.leave();
  backToLobby();
}

// Seated: by a join, or let in from the waiting room.
conn.addEventListener("snapshot", (e) => {
  const { ack, reason } = e.detail;
  if (reason === "resync") return;
  storage.saveSession({ room: ack.room.slug, token: ack.token, remember });
  showScreen("room");
  room.focusStart();
  if (reason === "admitted") announcer.say(`You're in. Welcome to ${ack.room.name}.`);
});

async function leave() {
  $("leave-button").disabled = true;
  await conn.leave();
  $("leave-button").disabled = false;
  storage.clearSession();
  room.leave();
  backToLobby();
}

conn.addEventListener("token", (e) => {
  if (conn.session) storage.saveSession({ room: conn.session.room, token: e.detail.token, remember });
});

conn.addEventListener("terminal", (e) => {
  storage.clearSession();
  const [title, text] = NOTICES[e.detail.kind] ?? NOTICES.session_invalid;
  showNotice(title, text);
});

conn.addEventListener("state", (e) => {
  const el = $("conn-state");
  const { state } = e.detail;
  el.hidden = state === "idle";
  el.dataset.state = state;
  setText(el, STATE_WORDS[state] ?? "");
});

// -- page chrome --------------------------------------------------------------------------------

async function loadConfig() {
  try {
    const response = await fetch("/api/config", { cache: "no-store" });
    if (!response.ok) return;
    const config = await response.json();
    if (config.crisis_text) setText($("crisis-text"), config.crisis_text);
    const number = (config.crisis_number || "").trim();
    const link = $("crisis-number");
    if (number) {
      setText(link, number);
      link.href = `tel:${number.replace(/[^0-9+*#]/g, "")}`;
      link.setAttribute("aria-label", `Crisis line: ${number}`);
    }
    link.hidden = !number;
  } catch {
    // The default crisis text is already in the page.
  }
}

function setupTheme() {
  const button = $("theme-toggle");
  const apply = (theme) => {
    document.documentElement.dataset.theme = theme;
    button.setAttribute("aria-pressed", String(theme === "light"));
  };
  apply(storage.loadTheme());
  button.addEventListener("click", () => {
    const next = document.documentElement.dataset.theme === "light" ? "dark" : "light";
    storage.saveTheme(next);
    apply(next);
  });
}

function setupChrome() {
  $("skip-link").addEventListener("click", (e) => {
    e.preventDefault(); // the fragment carries invites; do not touch it
    $("main").focus();
  });
  $("leave-button").addEventListener("click", leave);
  addEventListener("hashchange", () => {
    if (!$("lobby-screen").hidden && location.hash.includes("room=")) {
      lobby.invite = readInvite();
      lobby.start();
    }
  });
}

// Test-only hook (tests/browser): set window.__SHARECIRCLE_TEST__ before the page loads to get
// raw access to the socket. Never present for ordinary visitors.
if (globalThis.__SHARECIRCLE_TEST__ === true) {
  globalThis.__sharecircle = {
    send: (frame) => conn.raw(frame),
    drop: () => conn.drop(),
    info: () => ({ state: conn.state, lastSeq: conn.lastSeq, epoch: conn.epoch, ...conn.stats }),
  };
}

setupTheme();
setupChrome();
loadConfig();

const stored = storage.loadSession();
if (stored) {
  remember = Boolean(stored.remember);
  room.placeholder(stored.room);
  showScreen("room");
  conn.resumeSession({ token: stored.token, room: stored.room });
} else {
  showScreen("lobby");
}
