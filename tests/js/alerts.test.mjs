// Turn alerts are opt-in, remembered in this tab only, and each way fires only when chosen:
// the title, a vibration, a Notification only while the tab is hidden and allowed.

import { describe, test, beforeEach, afterEach, mock } from "node:test";
import assert from "node:assert/strict";
import { fireAlert, ALERT_WAYS } from "../../web_client/alerts.js";
import { loadAlerts, saveAlerts } from "../../web_client/storage.js";
import EN from "../../web_client/catalog/en.js";

class FakeStorage {
  constructor() { this.map = new Map(); }
  getItem(k) { return this.map.has(k) ? this.map.get(k) : null; }
  setItem(k, v) { this.map.set(k, String(v)); }
  removeItem(k) { this.map.delete(k); }
}

function fakeDoc(hidden = false) {
  return { title: "sharecircle", hidden, addEventListener() {}, removeEventListener() {} };
}

let vibrations;
let notifications;
const saved = {};

// Hooks scoped to this file (all.mjs runs every file in one process).
describe("turn alerts", () => {
  beforeEach(() => {
    mock.timers.enable({ apis: ["setTimeout"] }); // the title's restore timer must not hold the run
    vibrations = [];
    notifications = [];
    for (const name of ["sessionStorage", "localStorage", "navigator", "Notification"]) saved[name] = Object.getOwnPropertyDescriptor(globalThis, name);
    const define = (name, value) => Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
    define("sessionStorage", new FakeStorage());
    define("localStorage", new FakeStorage());
    define("navigator", { vibrate: (pattern) => vibrations.push(pattern) });
    define("Notification", class { constructor(text) { notifications.push(text); } static permission = "granted"; });
  });

  afterEach(() => {
    mock.timers.reset();
    for (const [name, descriptor] of Object.entries(saved)) {
      if (descriptor) Object.defineProperty(globalThis, name, descriptor);
      else delete globalThis[name];
    }
  });

  test("every way is off until chosen, and nothing fires by default", () => {
    assert.deepEqual(loadAlerts(), { title: false, sound: false, vibrate: false, notify: false });
    assert.deepEqual(ALERT_WAYS, ["title", "sound", "vibrate", "notify"]);
    const doc = fakeDoc(true);
    fireAlert("floor", doc);
    assert.equal(doc.title, "sharecircle");
    assert.deepEqual([vibrations, notifications], [[], []]);
  });

  test("choices are remembered in this tab (sessionStorage), not on the device", () => {
    saveAlerts({ ...loadAlerts(), vibrate: true });
    assert.equal(loadAlerts().vibrate, true);
    assert.equal(globalThis.localStorage.map.size, 0);
  });

  test("the chosen ways fire: title, vibration, and a notification only while hidden", () => {
    saveAlerts({ title: true, sound: false, vibrate: true, notify: true });
    const visible = fakeDoc(false);
    fireAlert("warning", visible);
    assert.match(visible.title, new RegExp(`^${EN["alert.warning"]}`));
    mock.timers.tick(8000);
    assert.equal(visible.title, "sharecircle", "a visible tab's title comes back by itself");
    assert.equal(vibrations.length, 1);
    assert.deepEqual(notifications, [], "a visible tab gets no notification");
    const hidden = fakeDoc(true);
    fireAlert("floor", hidden);
    assert.deepEqual(notifications, [EN["alert.floor"]]);
    globalThis.Notification.permission = "denied";
    fireAlert("floor", fakeDoc(true));
    assert.equal(notifications.length, 1, "no notification without permission");
  });
});
