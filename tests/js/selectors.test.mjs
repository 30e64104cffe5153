// Derived facts, each written once and against the state's one clock (`now`).

import { test } from "node:test";
import assert from "node:assert/strict";
import * as sel from "../../web_client/selectors.js";
import { initialState } from "../../web_client/reducer.js";
import { member } from "./fake_socket.mjs";

const ME = member("m_me", "River");
const SAM = member("m_sam", "Sam");
const HOST = member("m_host", "Host", { role: "facilitator" });

function state(fields = {}, meeting = {}) {
  return {
    ...initialState(),
    screen: "room",
    conn: { state: "connected", retryInMs: null },
    now: 10_000,
    myId: ME.id,
    members: [ME, SAM, HOST],
    names: {},
    meeting: { mode: "open", base_mode: "open", hands: [], round: null, slow_seconds: 0, paused_room: false, ...meeting },
    ...fields,
  };
}

const running = (holder, queue, extra = {}) => ({
  mode: "round", hands: queue,
  round: { queue, paused: false, floor: holder ? { member: holder, ends_at: 70_000, remaining_ms: 5000 } : null, ...extra },
});

test("the floor holder, the queue without them, and my place", () => {
  const s = state({}, running(SAM.id, [SAM.id, HOST.id, ME.id]));
  assert.equal(sel.floorMember(s), SAM.id);
  assert.deepEqual(sel.queue(s), [HOST.id, ME.id]);
  assert.equal(sel.myPlace(s), 3);
  assert.equal(sel.handUp(s), true);
  assert.equal(sel.speaking(s), false);
});

test("time left counts down on the state's clock, and stops while paused", () => {
  const s = state({}, running(SAM.id, [SAM.id]));
  assert.equal(sel.timeLeft(s), 60_000);
  assert.equal(sel.timeLeft({ ...s, now: 80_000 }), 0);
  const paused = state({}, running(SAM.id, [SAM.id], { paused: true }));
  assert.equal(sel.timeLeft(paused), 5000);
  assert.equal(sel.timeLeft(state()), null);
});

test("muted is judged by the same clock for everyone", () => {
  const muted = { ...SAM, muted_until: 20_000 };
  const s = state({ members: [ME, muted] });
  assert.equal(sel.isMuted(s, muted), true);
  assert.equal(sel.isMuted({ ...s, now: 20_000 }, muted), false);
  assert.equal(sel.deadlineLive(s), true);
  assert.equal(sel.deadlineLive({ ...s, now: 30_000 }), false);
});

test("why I cannot post, in order of what matters", () => {
  const reason = (s) => sel.postBlock(s)?.reason ?? null;
  assert.equal(reason(state()), null);
  assert.equal(reason(state({ conn: { state: "reconnecting" } })), "reconnecting");
  assert.equal(reason(state({ conn: { state: "closed" } })), "gone");
  assert.equal(reason(state({ observer: true, myId: null })), "observer");
  assert.equal(reason(state({ members: [{ ...ME, muted_until: 50_000 }] })), "muted");
  assert.equal(reason(state({ members: [{ ...ME, listen_only: true }] })), "listen_only");
  assert.equal(reason(state({ members: [{ ...ME, listen_only: true }] }, { paused_room: true })), "room_paused");
  assert.equal(reason(state({}, { mode: "listen_only" })), "listening_room");
  const turn = sel.postBlock(state({}, running(SAM.id, [SAM.id, ME.id])));
  assert.deepEqual(turn, { reason: "turn", hard: true, params: { place: 2, name: "Sam" } });
  assert.equal(reason(state({}, running(null, []))), "round");
  assert.equal(reason(state({}, running(ME.id, [ME.id]))), null, "the speaker may post");
  const slow = sel.postBlock(state({ slowUntil: 12_500 }));
  assert.deepEqual(slow, { reason: "slow", hard: false, params: { seconds: 3 } });
  assert.equal(reason(state({ myId: HOST.id, slowUntil: 12_500 })), null, "facilitators are exempt from slow mode");
  assert.equal(reason(state({ myId: HOST.id }, { mode: "listen_only" })), null);
});

test("my controls follow my hand, my turn and the room", () => {
  assert.equal(sel.myControls(state({ observer: true, myId: null })), null);
  const idle = sel.myControls(state());
  assert.deepEqual([idle.hand.up, idle.done, idle.pass], [false, false, false]);
  const speaking = sel.myControls(state({}, running(ME.id, [ME.id])));
  assert.deepEqual([speaking.hand, speaking.done, speaking.pass], [null, true, true]);
  const listening = sel.myControls(state({}, { mode: "listen_only" }));
  assert.equal(listening.hand.disabled, true);
});

test("names are remembered after people leave", () => {
  const s = state({ members: [ME], names: { m_gone: "Gone" } });
  assert.equal(sel.nameOf(s, "m_gone"), "Gone");
  assert.equal(sel.nameOf(s, "m_never"), null);
});
