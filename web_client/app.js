// Entry point: builds the one store, binds the protocol session to it, mounts every region on
// it, runs the effects and the clock, and keeps the session on this device (storage.js).
// Views get state, never the session: they act through ctx.act, which sends a command and
// shows a refusal in the catalog's words.

import { Session } from "./protocol/index.js";
import { createStore } from "./store.js";
import { initialState, reduce } from "./reducer.js";
import { runEffects } from "./effects.js";
import { deadlineLive } from "./selectors.js";
import { configResources } from "./conversations.js";
import { bindSession } from "./bridge.js";
import { t, errorText, translatePage, setLocale, pickLocale, currentLocale, LOCALES } from "./i18n.js";
import { fireAlert } from "./alerts.js";
import { Announcer } from "./announce.js";
import { setText } from "./dom.js";
import * as storage from "./storage.js";
import * as screens from "./regions/screens.js";
import * as notice from "./regions/notice.js";
import * as lobby from "./regions/lobby.js";
import * as roomhead from "./regions/roomhead.js";
import * as messages from "./regions/messages.js";
import * as round from "./regions/round.js";
import * as people from "./regions/people.js";
import * as composer from "./regions/composer.js";
import * as facilitator from "./regions/facilitator.js";
import * as welcome from "./regions/welcome.js";
import * as part from "./regions/part.js";
import * as bars from "./regions/bars.js";
import * as alerts from "./regions/alerts.js";
import * as voicePanel from "./regions/voice.js";
import { Voice } from "./voice/voice.js";
import * as milestone from "./regions/milestone.js"; // issue 15: milestones, fairness, content notes
import * as fairness from "./regions/fairness.js";
import * as contentnote from "./regions/contentnote.js";
import * as crisis from "./regions/crisis.js";

const TICK_MS = 250; // 4 Hz, only while something on screen counts down
const ARMED_MS = 6000; // how long a two-press button waits for its second press

const $ = (id) => document.getElementById(id);
const session = new Session();
const store = createStore(reduce, initialState());
const announcer = new Announcer($("announcer"));
const voice = new Voice();
let remember = false;
let invite = readInvite();

// -- invites from the link's fragment (#room=SLUG&invite=TOKEN or &facilitator=TOKEN) ----------

function readInvite() {
  const params = new URLSearchParams(location.hash.slice(1));
  const slug = params.get("room");
  if (slug) {
    const found = { room: slug, invite: params.get("invite"), facilitator: params.get("facilitator") };
    storage.saveInvite(found);
    if (found.invite || found.facilitator) {
      // Keep the token out of the address bar and history; this tab remembers it.
      history.replaceState(null, "", `${location.pathname}${location.search}#room=${encodeURIComponent(slug)}`);
    }
  }
  const saved = storage.loadInvite();
  if (saved && slug && saved.room !== slug) return { room: slug };
  return saved;
}

// -- what regions may do --------------------------------------------------------------------------

let pagingAfter = null; // the members.page in flight, so a redraw does not ask twice

const ctx = {
  store,
  /** Dispatch a local action stamped with the server's time (what it records happened then). */
  dispatch: (action) => store.dispatch({ ...action, now: session.serverNow() }),
  invite: () => invite,
  /** The chat session's token while seated (the media connection authenticates with it). */
  token: () => (store.getState().conn.state === "connected" ? session.session?.token ?? null : null),
  /** Send a command; on refusal say why in `status` (calmly, inline). Resolves with the ack or null. */
  async act(type, fields, status, onError) {
    if (status) setText(status, "");
    try {
      return await session.command(type, fields);
    } catch (err) {
      if (status) setText(status, errorText(err));
      onError?.(err);
      return null;
    }
  },
  async join(fields) {
    remember = Boolean(fields.remember);
    return session.join(fields); // a refusal rejects with the server's code
  },
  async leave() {
    await session.leave();
    storage.clearVisit();
    invite = invite ? { room: invite.room } : null; // the room stays chosen; no token is kept
    store.dispatch({ type: "leave" });
  },
  async noticeAction(current) {
    if (current?.kind === "waiting") await session.leave();
    store.dispatch({ type: "leave" });
  },
  /** Read the next page of the member list once (a big room's join ack brings only the first). */
  async pageMembers(after) {
    if (pagingAfter === after) return;
    pagingAfter = after;
    const ack = await ctx.act("members.page", { after });
    if (!ack) return; // refused: not asked again for this page until the next snapshot
    pagingAfter = null;
    store.dispatch({ type: "roster", ack });
  },
  chooseMember(id, focus = true) {
    store.dispatch({ type: "select", member: id });
    if (focus && id) ctx.focusMemberActions?.();
  },
  /** Arm a two-press button (its key) until it is pressed again or ARMED_MS pass. */
  arm(key) {
    store.dispatch({ type: "arm", key });
    setTimeout(() => store.dispatch({ type: "disarm", key }), ARMED_MS);
  },
  slowFor(ms) {
    const now = session.serverNow();
    store.dispatch({ type: "slow", until: now + ms, now });
  },
};

// -- the session on this device ---------------------------------------------------------------------

session.on("snapshot", ({ ack, reason }) => {
  if (reason !== "resync") storage.saveSession({ room: ack.room.slug, token: ack.token, remember });
});
session.on("token", ({ token }) => {
  if (session.session) storage.saveSession({ room: session.session.room, token, remember });
});
session.on("terminal", () => storage.clearSession());

// -- the clock: one tick source for countdowns, mute and slow-mode waits -----------------------------

let ticker = null;
function tickWhileNeeded(previous, next) {
  const live = deadlineLive(next);
  if (live && !ticker) ticker = setInterval(() => store.dispatch({ type: "tick", now: session.serverNow() }), TICK_MS);
  else if (!live && ticker) {
    clearInterval(ticker);
    ticker = null;
  }
}

// -- page chrome --------------------------------------------------------------------------------------

/** The server's crisis resources (/api/config); the crisis line shows them on every screen. */
async function loadConfig() {
  try {
    const response = await fetch("/api/config", { cache: "no-store" });
    if (!response.ok) return;
    store.dispatch({ type: "config", crisis: configResources(await response.json()) });
  } catch {
    // "Talk to someone now" still opens; the room's own resources come with the join.
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

/** The page's language: chosen here before (this device), else the browser's, else English. */
function setupLanguage() {
  setLocale(pickLocale(storage.loadLocale(), navigator.languages));
  const menu = $("language");
  for (const name of LOCALES) {
    const option = document.createElement("option");
    option.value = name;
    option.lang = name;
    option.textContent = t(`lang.${name}`);
    menu.append(option);
  }
  menu.value = currentLocale();
  menu.addEventListener("change", () => {
    storage.saveLocale(menu.value);
    // Every region draws its words once; the session stays in this tab and resumes.
    location.reload();
  });
}

function setupChrome() {
  $("skip-link").addEventListener("click", (e) => {
    e.preventDefault(); // the fragment carries invites; do not touch it
    $("main").focus();
  });
  addEventListener("hashchange", () => {
    if (store.getState().screen === "lobby" && location.hash.includes("room=")) {
      invite = readInvite();
      ctx.refreshLobby?.();
    }
  });
}

function mountRegions() {
  const room = $("room-screen");
  const updates = [
    screens.mount(document, ctx),
    notice.mount(document, ctx),
    lobby.mount($("lobby-screen"), ctx),
    roomhead.mount(document),
    round.mount($("round-panel"), ctx),
    messages.mount(room, ctx),
    people.mount($("people"), ctx),
    composer.mount(room, ctx),
    facilitator.mount($("facilitator-panel"), ctx),
    welcome.mount(document, ctx),
    part.mount(document),
    bars.mount(document, ctx),
    alerts.mount($("alerts"), ctx),
    voicePanel.mount($("voice-panel"), ctx, voice),
    milestone.mount($("milestone"), ctx),
    fairness.mount($("tending-panel"), ctx),
    contentnote.mount($("content-note-field"), ctx),
    crisis.mount(document, ctx),
  ];
  const render = (previous, next) => updates.forEach((update) => update(next, previous));
  store.subscribe(render);
  store.subscribe(tickWhileNeeded);
  render(null, store.getState());
}

// Test-only hook (tests/browser): set window.__SHARECIRCLE_TEST__ before the page loads to get
// raw access to the socket and the state. Never present for ordinary visitors.
if (globalThis.__SHARECIRCLE_TEST__ === true) {
  globalThis.__sharecircle = {
    send: (frame) => session.raw(frame),
    drop: () => session.drop(),
    info: () => ({ state: session.state, lastSeq: session.lastSeq, epoch: session.epoch, ...session.stats }),
    state: () => store.getState(),
    voice: () => ({ ...voice.stats, ...voice.state }),
    voiceQuiet: () => {
      voice.stats.peak = 0; // the loudest level played from now on
    },
  };
}

setupLanguage();
translatePage(document);
setupTheme();
setupChrome();
loadConfig();
mountRegions();
runEffects(store, { say: (text, kind) => announcer.say(text, kind), t, alert: (kind) => fireAlert(kind) });
bindSession(session, store);

const stored = storage.loadSession();
if (stored) {
  remember = Boolean(stored.remember);
  store.dispatch({ type: "returning", room: stored.room });
  session.resumeSession({ token: stored.token, room: stored.room });
}
