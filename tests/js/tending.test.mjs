// Milestones, fairness at a glance and content notes in the page's state (tending.js) and what
// the views derive from them (selectors.js): facilitators' tally and milestones, my own
// milestone, the celebration in the timeline, and a share's content note.

import { test } from "node:test";
import assert from "node:assert/strict";
import { initialState, reduce } from "../../web_client/reducer.js";
import * as sel from "../../web_client/selectors.js";
import { effectsOf } from "../../web_client/effects.js";
import { EPOCH, joinAck, member } from "./fake_socket.mjs";

const ME = member("m_me", "River");
const SAM = member("m_sam", "Sam");
const HOST = member("m_host", "Host", { role: "facilitator" });
const ev = (seq, name, fields = {}) => ({ type: "event", replayed: false, frame: { type: "event", event: name, seq, epoch: EPOCH, ts: 5000, ...fields } });
const connected = { type: "conn", state: "connected" };
const run = (...actions) => actions.reduce(reduce, initialState());

const hostSeat = {
  type: "snapshot", reason: "join",
  ack: joinAck(HOST, {
    members: [HOST, ME, SAM],
    tending: { fairness: [{ member: "m_sam", shares: 1, share_ms: 95_000, passes: 0 }], milestones: [{ member: "m_me", days: 30, celebrated: false }] },
  }),
};

test("a facilitator's join ack brings the tally and the milestones; events keep them current", () => {
  let s = run(hostSeat, connected);
  let view = sel.fairness(s);
  assert.deepEqual(view.notYet.map((r) => r.name), ["River"]);
  assert.deepEqual(view.shared.map((r) => [r.name, r.shares, r.shareMs]), [["Sam", 1, 95_000]]);
  assert.deepEqual(sel.milestonesMarked(s).map((m) => [m.name, m.days, m.celebrated]), [["River", 30, false]]);
  s = reduce(s, ev(101, "fairness", { turns: [{ member: "m_sam", shares: 1, share_ms: 95_000, passes: 0 }, { member: "m_me", shares: 0, share_ms: 0, passes: 1 }] }));
  view = sel.fairness(s);
  assert.deepEqual(view.notYet.map((r) => [r.name, r.passes]), [["River", 1]]);
  s = reduce(s, ev(102, "milestone.marked", { member: "m_sam", days: 365 }));
  s = reduce(s, ev(103, "milestone.celebrated", { member: "m_me", days: 30, by: null }));
  assert.deepEqual(sel.milestonesMarked(s).map((m) => [m.name, m.celebrated]), [["River", true], ["Sam", false]]);
  s = reduce(s, ev(104, "milestone.cleared", { member: "m_sam" }));
  assert.equal(sel.milestonesMarked(s).length, 1);
  s = reduce(s, ev(105, "member.left", { member: "m_me", reason: "left" }));
  assert.deepEqual(sel.milestonesMarked(s), []);
  assert.deepEqual(s.tending.fairness.map((x) => x.member), ["m_sam"]);
  s = reduce(s, ev(106, "format.ended", { by: null }));
  assert.deepEqual(s.tending, { fairness: [], milestones: [] });
});

test("a member who becomes a facilitator mid-meeting gets the tending whole", () => {
  let s = run({ type: "snapshot", reason: "join", ack: joinAck(ME, { members: [HOST, ME, SAM] }) }, connected);
  s = reduce(s, ev(101, "member.updated", { member: { ...ME, role: "facilitator" } }));
  assert.deepEqual(sel.fairness(s).shared, []);
  s = reduce(s, ev(102, "tending", { tending: { fairness: [{ member: "m_sam", shares: 2, share_ms: 1000, passes: 0 }], milestones: [{ member: "m_sam", days: 7, celebrated: true }] } }));
  assert.deepEqual(sel.fairness(s).shared.map((r) => [r.name, r.shares]), [["Sam", 2]]);
  assert.deepEqual(sel.milestonesMarked(s).map((m) => [m.name, m.celebrated]), [["Sam", true]]);
});

test("members never see the tally; facilitators are not listed in it", () => {
  const member = run({ type: "snapshot", reason: "join", ack: joinAck(ME, { members: [HOST, ME] }) });
  assert.equal(sel.fairness(member), null);
  assert.deepEqual(sel.milestonesMarked(member), []);
  assert.ok(!sel.fairness(run(hostSeat)).notYet.some((r) => r.name === "Host"));
});

test("my milestone: set from the ack, celebrated, kept over a resume, gone on a new join", () => {
  const seat = { type: "snapshot", reason: "join", ack: joinAck(ME, { members: [HOST, ME] }) };
  let s = run(seat, connected, { type: "milestone.mine", days: 30 });
  assert.deepEqual(sel.milestoneControls(s), { mine: { days: 30, celebrated: false }, online: true });
  s = reduce(s, ev(101, "milestone.celebrated", { member: "m_me", days: 30, by: "m_host" }));
  assert.equal(s.myMilestone.celebrated, true);
  assert.equal(reduce(s, { type: "snapshot", reason: "resync", ack: joinAck(ME) }).myMilestone.days, 30);
  assert.equal(reduce(s, seat).myMilestone, null);
  assert.equal(reduce(s, { type: "milestone.mine", days: null }).myMilestone, null);
  assert.equal(reduce(s, ev(102, "format.ended", { by: "m_host" })).myMilestone, null);
  const observer = run({ type: "snapshot", reason: "join", ack: { ...joinAck(ME), member: null, members: [HOST] } });
  assert.equal(sel.milestoneControls(observer), null);
});

test("a celebration is said and noted in the timeline, in words for me or for the room", () => {
  const s = run(hostSeat);
  const f = { event: "milestone.celebrated", member: "m_me", days: 30, by: null };
  const out = effectsOf(s, s, { type: "event", frame: f });
  assert.deepEqual(out.map((e) => e.say ?? e.note), ["announce.milestone", "note.milestone"]);
  assert.equal(out[1].params.name, "River");
  assert.equal(out[1].params.count, 30);
  const mine = run({ type: "snapshot", reason: "join", ack: joinAck(ME, { members: [HOST, ME] }) });
  assert.equal(effectsOf(mine, mine, { type: "event", frame: f })[1].note, "note.milestone.mine");
  assert.deepEqual(effectsOf(mine, mine, { type: "event", replayed: true, frame: f }), []);
});

test("a share in a part with content notes waits for one; the note goes when the floor moves", () => {
  const part = { index: 3, count: 7, kind: "share_round", title: "Shares", posting: "floor", crosstalk: false, content_notes: true, holds: false, text: "" };
  const meeting = { mode: "round", base_mode: "open", hands: [], paused_room: false, slow_seconds: 0, part,
    round: { queue: [], paused: false, floor: { member: "m_me", ends_at: 99_000, remaining_ms: 1 } } };
  let s = run({ type: "snapshot", reason: "join", ack: joinAck(ME, { members: [HOST, ME], meeting }) }, connected);
  assert.equal(sel.needsContentNote(s), true);
  assert.deepEqual(sel.postBlock(s), { reason: "content_note", hard: false, params: {} });
  const granted = { type: "event", frame: { event: "floor.granted", member: "m_me", ends_at: 99_000 } };
  assert.ok(effectsOf(s, s, granted).some((e) => e.say === "announce.content_note"), "the sharer is told where the note goes");
  s = reduce(s, { type: "content.note", text: "grief" });
  assert.equal(sel.postBlock(s), null);
  s = reduce(s, ev(101, "floor.granted", { member: "m_sam", ends_at: 1 }));
  assert.equal(s.contentNote, "");
  const chat = reduce(s, ev(102, "chat.message", { mid: 102, from: "m_me", name: "River", text: "hard week", note: "grief" }));
  assert.equal(chat.messages.at(-1).note, "grief");
});
