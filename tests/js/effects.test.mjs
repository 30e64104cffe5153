// Effects are data, decided from (previous, next, action); replays never produce any.

import { test } from "node:test";
import assert from "node:assert/strict";
import { effectsOf, EFFECTS, runEffects } from "../../web_client/effects.js";
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

test("turns are announced for me and for others", () => {
  assert.deepEqual(effects(frame("floor.granted", { member: ME.id })).map((e) => e.say), ["announce.floor.mine"]);
  assert.deepEqual(effects(frame("floor.granted", { member: SAM.id })), [{ say: "announce.floor.other", params: { name: "Sam" }, kind: "note" }]);
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
