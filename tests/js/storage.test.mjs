// What the device keeps: leaving forgets the session and the invite token (issue 13 item 8).

import { test } from "node:test";
import assert from "node:assert/strict";

class FakeStorage {
  constructor() {
    this.items = new Map();
  }
  getItem(key) {
    return this.items.has(key) ? this.items.get(key) : null;
  }
  setItem(key, value) {
    this.items.set(key, String(value));
  }
  removeItem(key) {
    this.items.delete(key);
  }
}

globalThis.sessionStorage ??= new FakeStorage();
globalThis.localStorage ??= new FakeStorage();
const storage = await import("../../web_client/storage.js");

test("leaving clears the invite token and the session, remembered or not", () => {
  for (const remember of [false, true]) {
    storage.saveInvite({ room: "inner-circle", invite: "room-token", facilitator: "fac-token" });
    storage.saveSession({ room: "inner-circle", token: "session-token", remember });
    assert.equal(storage.loadInvite().invite, "room-token");
    assert.equal(storage.loadSession().token, "session-token");
    storage.clearVisit();
    assert.equal(storage.loadInvite(), null);
    assert.equal(storage.loadSession(), null);
    assert.equal(sessionStorage.items.size, 0);
    assert.equal(localStorage.items.size, 0);
  }
});

test("the theme outlives a leave", () => {
  storage.saveTheme("light");
  storage.clearVisit();
  assert.equal(storage.loadTheme(), "light");
  localStorage.removeItem("sharecircle.theme");
});
