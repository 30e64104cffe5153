// Turn alerts, carried out: when the floor becomes mine and 30 s before my share ends (effects.js
// decides when, and never for a replayed event). Each way of alerting is opted into in this tab
// (storage.js, sessionStorage): the tab's title, a short tone made with WebAudio (no audio file),
// vibration where the device has it, and a Notification while the tab is hidden.

import { t } from "./i18n.js";
import * as storage from "./storage.js";

export const ALERT_WAYS = ["title", "sound", "vibrate", "notify"];
const TONES = { floor: [660, 880], warning: [520] }; // Hz, one short beep each
const BEEP_S = 0.18;

let audio = null;
let plainTitle = null;

/** Fire the alert of `kind` ("floor" | "warning") in every way chosen in this tab. */
export function fireAlert(kind, doc = document) {
  const chosen = storage.loadAlerts();
  const text = t(`alert.${kind}`);
  if (chosen.title) flagTitle(doc, text);
  if (chosen.sound) beep(TONES[kind] ?? TONES.warning);
  if (chosen.vibrate) navigator.vibrate?.(kind === "floor" ? [200, 100, 200] : [150]);
  if (chosen.notify && doc.hidden && globalThis.Notification?.permission === "granted") {
    try {
      new Notification(text, { tag: "sharecircle-turn" }); // eslint-disable-line no-new
    } catch {
      // Some mobile browsers only notify through a service worker; the other ways still ran.
    }
  }
}

function flagTitle(doc, text) {
  plainTitle ??= doc.title;
  doc.title = `${text} · ${plainTitle}`;
  const restore = () => {
    if (doc.hidden) return;
    doc.title = plainTitle;
    doc.removeEventListener("visibilitychange", restore);
  };
  doc.addEventListener("visibilitychange", restore);
  if (!doc.hidden) setTimeout(restore, 8000);
}

/** Short, soft tones, made on the spot (the staff console rings with them too). Needs a user
 * gesture first: `unlockSound`. */
export function beep(freqs) {
  if (!audio) return;
  const start = audio.currentTime;
  freqs.forEach((freq, i) => {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = freq;
    const at = start + i * (BEEP_S + 0.06);
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.15, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + BEEP_S);
    osc.connect(gain).connect(audio.destination);
    osc.start(at);
    osc.stop(at + BEEP_S + 0.02);
  });
}

/** Browsers start audio only after a gesture: called when the sound option is switched on. */
export function unlockSound() {
  const Ctx = globalThis.AudioContext ?? globalThis.webkitAudioContext;
  if (!Ctx) return false;
  audio ??= new Ctx();
  audio.resume?.();
  beep([660]); // a sample, so the person hears what they chose
  return true;
}

/** Ask for notification permission (after the person ticked the box); true when granted. */
export async function askNotifications() {
  const N = globalThis.Notification;
  if (!N) return false;
  if (N.permission === "default") await N.requestPermission();
  return N.permission === "granted";
}
