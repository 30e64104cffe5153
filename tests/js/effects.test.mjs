// Effects are data, decided from (previous, next, action); replays never produce any.

import { test } from "node:test";
import assert from "node:assert/strict";
import { effectsOf, EFFECTS, runEffects, StatusAnnouncer, STATUS_SETTLE_MS } from "../../web_client/effects.js";
import { initialState, reduce } from "../../web_client/reducer.js";
import { createStore } from "../../web_client/store.js";
import { EPOCH, joinAck, member } from "./fake_socket.mjs";

const ME = member("m_me", "River");
const SAM = member("m_sam", "Sam");
const seated = reduce(initialState(), { type: "snapshot", reason: "join", ack: joinAck(ME, { members: [ME, SAM] }) });
const frame = (event, fields = {}) => ({ type: "event", event, seq: 101, epoch: EPOCH, ts: 1, ...fields });

function effects(f, replayed = false, state = seated) {
  const action = { type: "event", frame: f, replayed };
  return effectsOf(state, reduce(state, action), action);
}

test("every event the table knows says nothing when replayed", () => {
  for (const name of Object.keys(EFFECTS)) {
    const f = frame(name, { member: name === "member.updated" ? { ...ME, role: "facilitator" } : SAM.id, from: SAM.id, name: "Sam", text: "t", topic: "x" });
    assert.deepEqual(effects(f, true), [], name);
  }
});

test("turns are announced for me and for others, and floor changes noted in the timeline", () => {
  assert.deepEqual(effects(frame("floor.granted", { member: ME.id })), [
    { say: "announce.floor.mine", params: {}, kind: "note" }, { note: "note.floor.mine", params: {} }, { alert: "floor" }]);
  assert.deepEqual(effects(frame("floor.granted", { member: SAM.id })), [
    { say: "announce.floor.other", params: { name: "Sam" }, kind: "note" }, { note: "note.floor.other", params: { name: "Sam" } }]);
});

test("turn alerts fire for my floor and my 30 s warning, live only, never on replay", () => {
  const alerts = (f, replayed) => effects(f, replayed).filter((e) => e.alert).map((e) => e.alert);
  assert.deepEqual(alerts(frame("floor.granted", { member: ME.id }), false), ["floor"]);
  assert.deepEqual(alerts(frame("share.warning", { member: ME.id, remaining_ms: 30_000 }), false), ["warning"]);
  assert.deepEqual(alerts(frame("floor.granted", { member: ME.id }), true), []);
  assert.deepEqual(alerts(frame("share.warning", { member: ME.id, remaining_ms: 30_000 }), true), []);
  assert.deepEqual(alerts(frame("floor.granted", { member: SAM.id }), false), [], "someone else's turn alerts nobody");
  assert.deepEqual(alerts(frame("share.warning", { member: SAM.id, remaining_ms: 30_000 }), false), []);
  // Through the store: a resume's backlog that holds my floor alerts nothing.
  const store = createStore(reduce, seated);
  const fired = [];
  runEffects(store, { say: () => {}, t: (k) => k, alert: (kind) => fired.push(kind) });
  store.dispatch({ type: "event", frame: frame("floor.granted", { member: ME.id }), replayed: true });
  assert.deepEqual(fired, []);
  store.dispatch({ type: "event", frame: frame("floor.granted", { member: ME.id, seq: 102 }), replayed: false });
  assert.deepEqual(fired, ["floor"]);
});

test("a skipped member gets a gentle note; other endings say nothing to them", () => {
  const out = effects(frame("share.ended", { member: ME.id, how: "skipped" }));
  assert.deepEqual(out.map((e) => e.say ?? e.note), ["announce.skipped.mine", "note.skipped.mine"]);
  assert.deepEqual(effects(frame("share.ended", { member: ME.id, how: "done" })), []);
  assert.deepEqual(effects(frame("share.ended", { member: SAM.id, how: "skipped" })), []);
});

test("a part's start is said and noted with its text; the format's end too", () => {
  const part = { index: 1, count: 5, kind: "reading", title: "Readings", text: "We meet as equals." };
  const out = effects(frame("part.started", { part, by: null }));
  assert.deepEqual(out, [
    { say: "announce.part", params: { title: "Readings", number: 2, count: 5 }, kind: "note" },
    { note: "note.part", params: { title: "Readings", number: 2, count: 5 } },
    { note: "note.part.text", params: { text: "We meet as equals." } }]);
  assert.deepEqual(effects(frame("part.started", { part: { ...part, text: "" }, by: null })).length, 2);
  assert.deepEqual(effects(frame("format.ended", { by: null })).map((e) => e.say ?? e.note), ["announce.format.ended", "note.format.ended"]);
});

test("connection status: one announcement per change once it settles, not one per flip", () => {
  const said = [];
  const timers = [];
  const fake = { setTimer: (fn, ms) => timers.push({ fn, ms, live: true }) - 1, clearTimer: (i) => { if (timers[i]) timers[i].live = false; } };
  const status = new StatusAnnouncer((state) => said.push(state), fake);
  const settle = () => timers.filter((x) => x.live).forEach((x) => { x.live = false; x.fn(); });
  // 12 flips in quick succession, then it holds: said once.
  for (let i = 0; i < 12; i += 1) status.changed(i % 2 ? "offline" : "reconnecting");
  assert.equal(timers.filter((x) => x.live).length, 1);
  assert.equal(timers.at(-1).ms, STATUS_SETTLE_MS);
  settle();
  assert.deepEqual(said, ["offline"]);
  status.changed("offline"); // no change: not said again
  settle();
  status.changed("connected"); // back after trouble: said
  settle();
  status.changed("connecting"); // never said
  settle();
  status.changed("connected"); // nothing was wrong meanwhile: not said
  settle();
  assert.deepEqual(said, ["offline", "connected"]);
});

test("a blip shorter than the settle time says nothing at all", () => {
  const said = [];
  let pending = null;
  const status = new StatusAnnouncer((state) => said.push(state), { setTimer: (fn) => (pending = fn), clearTimer: () => (pending = null) });
  status.changed("reconnecting");
  status.changed("connected");
  pending();
  assert.deepEqual(said, []);
});

test("connection changes become status effects; other actions do not", () => {
  const going = reduce(seated, { type: "conn", state: "reconnecting" });
  assert.deepEqual(effectsOf(seated, going, { type: "conn", state: "reconnecting" }), [{ status: "reconnecting" }]);
  assert.deepEqual(effectsOf(going, going, { type: "conn", state: "reconnecting" }), []);
});

test("my own messages are not read back to me; others' are, as messages", () => {
  assert.deepEqual(effects(frame("chat.message", { from: ME.id, name: "River", text: "mine" })), []);
  const [said] = effects(frame("chat.message", { from: SAM.id, name: "Sam", text: "x".repeat(400) }));
  assert.equal(said.kind, "message");
  assert.equal(said.params.text.length, 300);
});

test("a round opening is announced and noted in the conversation", () => {
  const out = effects(frame("round.opened", { topic: "Gratitude" }));
  assert.deepEqual(out.map((e) => e.say ?? e.note), ["announce.round.opened.topic", "note.round.opened.topic"]);
});

test("changes to me are said in words", () => {
  const out = effects(frame("member.updated", { member: { ...ME, role: "facilitator", muted_until: 99 } }));
  assert.deepEqual(out.map((e) => e.say), ["announce.me.facilitator", "announce.me.muted"]);
});

test("notes from effects land in state through the store, after every subscriber saw the event", () => {
  const store = createStore(reduce, seated);
  const seen = [];
  runEffects(store, { say: () => {}, t: (k) => k });
  store.subscribe((prev, next, action) => seen.push(action.type));
  store.dispatch({ type: "event", frame: frame("round.ended", { by: null }), replayed: false });
  store.dispatch({ type: "event", frame: frame("round.ended", { by: null, seq: 102 }), replayed: true });
  assert.deepEqual(seen, ["event", "note", "event"]);
  assert.deepEqual(store.getState().messages.map((m) => m.label), ["note.round.ended"]);
});

test("being let in from the waiting room is a welcome; a resync that lost history says so", () => {
  const admitted = { type: "snapshot", reason: "admitted", ack: joinAck(ME) };
  assert.deepEqual(effectsOf(initialState(), reduce(initialState(), admitted), admitted).map((e) => e.say), ["announce.admitted"]);
  const resync = { type: "snapshot", reason: "resync", ack: joinAck(ME) };
  assert.deepEqual(effectsOf(seated, reduce(seated, resync), resync).map((e) => e.say), ["announce.resync"]);
});

test("a raid is said as quiet mode when no facilitator was there, and its end too", () => {
  assert.deepEqual(effects(frame("raid.alert", { joins: 10, window_seconds: 30, self_led: true })),
    [{ say: "announce.raid.quiet", params: {}, kind: "note" }]);
  assert.deepEqual(effects(frame("raid.alert", { joins: 10, window_seconds: 30, self_led: false })),
    [{ say: "announce.raid", params: {}, kind: "note" }]);
  assert.deepEqual(effects(frame("raid.settled", { slow_seconds: 0 })),
    [{ say: "announce.quiet.over", params: {}, kind: "note" }]);
});
