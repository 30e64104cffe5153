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
  assert.deepEqual([speaking.hand, speaking.done, speaking.pass], [null, true, false], "Done and Pass are on the sharer's bar");
  const listening = sel.myControls(state({}, { mode: "listen_only" }));
  assert.equal(listening.hand.disabled, true);
});

test("names are remembered after people leave", () => {
  const s = state({ members: [ME], names: { m_gone: "Gone" } });
  assert.equal(sel.nameOf(s, "m_gone"), "Gone");
  assert.equal(sel.nameOf(s, "m_never"), null);
});

const PART = { index: 2, count: 9, kind: "reading", title: "Readings", posting: "facilitator", crosstalk: false, holds: false, text: "" };
const withPart = (fields, meeting = {}) => ({ format: { key: "f", title: "F", self_led: true, parts: 9 }, part: { ...PART, ...fields }, ...meeting });

test("disabled reasons: the raise-hand button says why whenever the server would refuse it", () => {
  const why = (s) => sel.myControls(s).hand.why;
  assert.equal(why(state()), null);
  assert.equal(why(state({ members: [{ ...ME, muted_until: 20_000 }, SAM] })), "muted");
  assert.equal(why(state({ members: [{ ...ME, muted_until: 9_000 }, SAM] })), null, "a mute that is over is over");
  assert.equal(why(state({ members: [{ ...ME, listen_only: true }, SAM] })), "listen_only");
  assert.equal(why(state({}, { paused_room: true })), "room_paused");
  assert.equal(why(state({}, { mode: "listen_only" })), "listening_room");
  assert.equal(why(state({}, withPart({ holds: true }))), "part_holds");
  assert.equal(why(state({ conn: { state: "reconnecting" } })), "reconnecting");
  assert.equal(why(state({}, withPart({}))), null, "hands may go up during a reading");
  const c = sel.myControls(state({ members: [{ ...ME, muted_until: 20_000 }, SAM] }));
  assert.equal(c.hand.disabled, true);
  const paused = sel.myControls(state({ members: [{ ...ME, listen_only: true }, SAM] }, { paused_room: true }));
  assert.deepEqual([paused.listenOnly.disabled, paused.listenOnly.why], [true, "room_paused"]);
});

test("a paused room blocks members' posts with its own reason, never the open floor", () => {
  assert.equal(sel.postBlock(state({}, { paused_room: true })).reason, "room_paused");
  assert.equal(sel.postBlock(state({ myId: HOST.id }, { paused_room: true })), null, "facilitators still speak");
});

test("posting follows the current part's rules", () => {
  const reason = (s) => sel.postBlock(s)?.reason ?? null;
  assert.equal(reason(state({}, withPart({}))), "part_reader");
  assert.equal(sel.postBlock(state({}, withPart({}))).params.title, "Readings");
  assert.equal(reason(state({ myId: HOST.id }, withPart({}))), null, "the reader is a facilitator");
  assert.equal(reason(state({}, withPart({ posting: "nobody", kind: "open_talk" }))), "part_quiet");
  assert.equal(reason(state({ myId: HOST.id }, withPart({ posting: "nobody" }))), "part_quiet", "a quiet moment is quiet for all");
  assert.equal(reason(state({}, withPart({ posting: "everyone", kind: "open_talk", crosstalk: true }))), null);
  assert.equal(reason(state({}, withPart({ posting: "facilitator", kind: "closing", crosstalk: true }))), null, "crosstalk on");
  assert.equal(reason(state({}, withPart({ holds: true, posting: "everyone" }))), "part_holds");
  assert.equal(reason(state({}, withPart({ posting: "floor", kind: "share_round" }))), "part_turn");
  assert.equal(reason(state({}, withPart({ posting: "floor", kind: "share_round" }, running(ME.id, [ME.id])))), null);
});

test("the first hand in a self-led room asks first: it would open the round at once", () => {
  assert.equal(sel.handOpensRound(state({}, { self_led: true })), true);
  assert.equal(sel.myControls(state({}, { self_led: true })).hand.opensRound, true);
  assert.equal(sel.handOpensRound(state({}, { self_led: true, hands: [SAM.id] })), false, "a hand is already up");
  assert.equal(sel.handOpensRound(state({}, { self_led: false })), false);
  assert.equal(sel.handOpensRound(state({}, { self_led: true, ...running(SAM.id, [SAM.id]) })), false);
  assert.equal(sel.handOpensRound(state({}, withPart({}, { self_led: true }))), false, "a format's first hand starts the meeting, not a share");
  const sharePart = withPart({ kind: "share_round", posting: "floor" }, { self_led: true });
  assert.equal(sel.handOpensRound(state({}, sharePart)), true, "a self-led format's share part: the first hand shares at once");
  assert.equal(sel.handOpensRound(state({}, { ...sharePart, format: { ...sharePart.format, self_led: false } })), false, "a format that needs a facilitator");
  assert.equal(sel.handOpensRound(state({}, { ...sharePart, paused_room: true })), false);
  assert.equal(sel.handOpensRound(state({}, { self_led: true, format: { key: "f", title: "F", self_led: true, parts: 3 }, part: null })), false);
});

test("the sharer's bar and the facilitators' bar, with reasons for what cannot be done", () => {
  assert.equal(sel.sharerBar(state({}, running(SAM.id, [SAM.id]))), null);
  assert.deepEqual(sel.sharerBar(state({}, running(ME.id, [ME.id]))), { left: 60_000, paused: false, online: true });
  assert.equal(sel.facilitatorBar(state()), null, "members have no facilitator bar");
  const idle = sel.facilitatorBar(state({ myId: HOST.id }));
  assert.deepEqual([idle.extend, idle.skip, idle.pause, idle.nextPart, idle.waiting], ["no_floor", "no_floor", null, null, 0]);
  const live = sel.facilitatorBar(state({ myId: HOST.id }, running(SAM.id, [SAM.id, ME.id])));
  assert.deepEqual([live.holder, live.left, live.extend, live.waiting, live.pause], [SAM.id, 60_000, null, 1, { paused: false, why: null }]);
  const off = sel.facilitatorBar(state({ myId: HOST.id, conn: { state: "offline" } }, running(SAM.id, [SAM.id])));
  assert.equal(off.extend, "reconnecting");
  const fmt = sel.facilitatorBar(state({ myId: HOST.id }, withPart({ index: 8 })));
  assert.deepEqual(fmt.nextPart, { why: null, last: true, started: true });
  const before = sel.facilitatorBar(state({ myId: HOST.id }, { format: { key: "f", title: "F", self_led: true, parts: 9 }, part: null }));
  assert.deepEqual(before.nextPart, { why: null, last: false, started: false });
});

test("a newcomer held by quiet mode is told why, and cannot switch listen-only off", () => {
  const held = { ...ME, listen_only: true, listen_only_until: 70_000 };
  const s = state({ members: [held, SAM, HOST] }, { quiet: true });
  assert.equal(sel.postBlock(s).reason, "quiet");
  const controls = sel.myControls(s);
  assert.equal(controls.hand.why, "quiet");
  assert.equal(controls.listenOnly.disabled, true);
  assert.equal(controls.listenOnly.why, "quiet");
  // Members seated before the raid carry on.
  assert.equal(sel.postBlock(state({}, { quiet: true })), null);
});
