// The staff console (/staff): signs in (POST /api/staff/session), opens the staff channel
// (console/link.js), keeps one state (console/reducer.js) drawn by console/regions.js, and rings
// for new alerts in the ways the person chose (sound, notifications: opt-in, remembered here).
// "Join as facilitator" hands the staff token to the member client in a new tab through
// sessionStorage (copied into the tab this one opens), never through a URL.

import { createStore } from "../store.js";
import { initialState, reduce } from "./reducer.js";
import { ringing, ticking, openCount } from "./selectors.js";
import { StaffLink } from "./link.js";
import * as storage from "./storage.js";
import { t, translatePage, setLocale, pickLocale } from "../i18n.js";
import { loadLocale } from "../storage.js";
import { askNotifications, beep, unlockSound } from "../alerts.js";
import { setText } from "../dom.js";
import * as regions from "./regions.js";
import * as talk from "./talk.js";

const TICK_MS = 1000;
const TONE = [880, 660, 880]; // Hz: three short beeps for a new alert

const $ = (id) => document.getElementById(id);
const store = createStore(reduce, initialState());
const dispatch = (action) => store.dispatch({ ...action, now: Date.now() });
let link = null;

// -- signing in and the channel -----------------------------------------------------------

function open(signin) {
  link?.stop();
  link = new StaffLink({
    token: signin.token,
    onWatching: (ack) => dispatch({ type: "watching", ack }),
    onFrame: (frame) => dispatch({ type: frame.type === "conversation" ? "conversation" : "staff", frame }),
    onState: (state) => dispatch({ type: "conn", state }),
    onEnded: (reason) => {
      storage.saveSignin(null);
      dispatch({ type: "ended", reason });
    },
    onToken: (token) => storage.saveSignin({ ...storage.loadSignin(), token }),
  });
  link.start();
}

async function signIn(event) {
  event.preventDefault();
  const name = $("signin-name").value.trim();
  const secret = $("signin-secret").value;
  if (!name || !secret) {
    dispatch({ type: "signin", error: "missing" });
    return;
  }
  dispatch({ type: "signin", busy: true });
  let answer = null;
  try {
    const response = await fetch("/api/staff/session", {
      method: "post",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name, secret }),
      cache: "no-store",
    });
    answer = { status: response.status, body: await response.json().catch(() => ({})) };
  } catch {
    dispatch({ type: "signin", error: "network" });
    return;
  }
  if (answer.status !== 200) {
    dispatch({ type: "signin", error: answer.body.error === "invalid_credentials" ? "invalid_credentials" : "unavailable" });
    return;
  }
  $("signin-secret").value = "";
  const signin = { name: answer.body.name, token: answer.body.token };
  storage.saveSignin(signin);
  open(signin);
}

function signOut() {
  link?.stop();
  link = null;
  storage.saveSignin(null);
  dispatch({ type: "signout" });
}

// -- what regions may do ----------------------------------------------------------------------

const ctx = {
  store,
  async alert(type, id, fields = {}) {
    dispatch({ type: "busy", key: id, on: true });
    try {
      const ack = await link.command(type, { alert: id, ...fields });
      dispatch({ type: "alert", alert: ack.alert });
      if (type === "alert.take" && ack.alert.action !== "take_conversation") focusAlert(id);
    } catch (err) {
      dispatch({ type: "refused", key: id, code: err.code });
    }
  },
  async setOnCall(on, status) {
    dispatch({ type: "busy", key: "oncall", on: true });
    setText(status, "");
    try {
      dispatch({ type: "oncall", ack: await link.command("oncall.set", { on }) });
    } catch (err) {
      dispatch({ type: "busy", key: "oncall", on: false });
      regions.showError(status, err);
    }
  },
  joinRoom(slug) {
    const signin = storage.loadSignin();
    if (!signin) return;
    storage.handOff(slug, signin.token, signin.name);
    // The new tab starts with a copy of this tab's sessionStorage, hand-off included.
    const tab = window.open("/", `sharecircle-${slug}`);
    if (!tab) location.assign("/");
  },
  /** Say something in a conversation; true once the server took it. */
  async sayTalk(conversation, text, status) {
    try {
      await link.command("conversation.say", { conversation, text });
      return true;
    } catch (err) {
      talk.showError(status, err);
      return false;
    }
  },
  async endTalk(conversation, status) {
    try {
      await link.command("conversation.end", { conversation });
    } catch (err) {
      talk.showError(status, err);
    }
  },
  ringChoices: () => storage.loadRing(),
  notificationsBlocked: () => globalThis.Notification?.permission === "denied",
  async chooseRing(way, on) {
    let chosen = on;
    if (on && way === "sound") chosen = unlockSound();
    if (on && way === "notify") chosen = await askNotifications();
    storage.saveRing({ ...storage.loadRing(), [way]: chosen });
    return chosen;
  },
};

/** After taking an alert, the keyboard lands on what handles it (its first button). */
function focusAlert(id) {
  queueMicrotask(() => {
    const row = [...document.querySelectorAll("[data-alert]")].find((node) => node.dataset.alert === id);
    row?.querySelector("button")?.focus();
  });
}

// -- ringing for new alerts -----------------------------------------------------------------

function ring(previous, next) {
  if (next.heard) {
    const region = $("announcer");
    region.textContent = "";
    const said = t("console.talk.announce", { name: next.heard.name, text: String(next.heard.text).slice(0, 300) });
    requestAnimationFrame(() => { region.textContent = said; });
  }
  const alerts = ringing(next);
  if (alerts.length) {
    const state = next;
    const text = alerts.map((a) => t("console.announce", { kind: t(`console.kind.${a.kind}`), room: state.rooms[a.room]?.name ?? a.room })).join(" ");
    const region = $("alert-announcer");
    region.textContent = "";
    requestAnimationFrame(() => { region.textContent = text; });
    const choices = storage.loadRing();
    if (choices.sound) beep(TONE);
    if (choices.notify && document.hidden && globalThis.Notification?.permission === "granted") {
      try {
        new Notification(text, { tag: "sharecircle-alert" }); // eslint-disable-line no-new
      } catch {
        // Some browsers notify only through a service worker; the sound and the page still tell.
      }
    }
  }
  const waiting = openCount(next);
  document.title = waiting ? t("console.page_title.waiting", { count: waiting }) : t("console.page_title");
}

// -- the clock: waiting times tick while something waits ---------------------------------------

let ticker = null;
function tickWhileNeeded(previous, next) {
  const live = ticking(next);
  if (live && !ticker) ticker = setInterval(() => dispatch({ type: "tick" }), TICK_MS);
  else if (!live && ticker) {
    clearInterval(ticker);
    ticker = null;
  }
}

// -- the page ---------------------------------------------------------------------------------

setLocale(pickLocale(loadLocale(), navigator.languages));
translatePage(document);
document.title = t("console.page_title");
$("skip-link").addEventListener("click", (e) => {
  e.preventDefault();
  $("main").focus();
});
$("signin-form").addEventListener("submit", signIn);
$("signout").addEventListener("click", signOut);
const updates = [
  regions.screens(document),
  regions.oncall(document, ctx),
  regions.ring(document, ctx),
  regions.queueRegion(document, ctx),
  regions.roomsRegion(document, ctx),
  talk.mount(document, ctx),
];
const render = (previous, next) => updates.forEach((update) => update(next, previous));
store.subscribe(render);
store.subscribe(ring);
store.subscribe(tickWhileNeeded);
render(null, store.getState());

const saved = storage.loadSignin();
if (saved) open(saved);
