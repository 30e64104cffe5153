// Private conversations (issue 14): the crisis lane's honest statuses, a private word on both
// sides, messages once each and in order, what is said aloud, the resources shown, and where a
// report went (the report ack's `routed`).

import { test } from "node:test";
import assert from "node:assert/strict";
import { initialState, reduce } from "../../web_client/reducer.js";
import * as conv from "../../web_client/conversations.js";
import { deadlineLive, reportNote } from "../../web_client/selectors.js";
import { effectsOf } from "../../web_client/effects.js";
import { Session } from "../../web_client/protocol/index.js";
import { FakeSocket, joinAck, member } from "./fake_socket.mjs";

const ME = member("m_me", "River");
const HOST = member("m_host", "Host", { role: "facilitator" });
const SAMARITANS = { label: "Samaritans", number: "116 123", channel: "call", link: "tel:116123", hours: "24/7" };
const EMERGENCY = { label: "Emergency", number: "112", channel: "emergency", link: "tel:112", hours: "24/7" };

const seat = (ack = {}) => ({ type: "snapshot", reason: "join", ack: joinAck(ME, { members: [ME, HOST], ...ack }), now: 1_000 });
const connected = { type: "conn", state: "connected" };
const frame = (event, fields) => ({ type: "conversation", frame: { type: "conversation", event, ...fields } });
const say = (seq, from, text, id = "cv_1") => frame("conversation.message", { conversation: id, seq, from, name: from === "me" ? "River" : "Ana", text, ts: 5_000 + seq });
const opened = (fields = {}) => ({ type: "crisis.opened", now: 2_000, ack: { conversation: "cv_1", status: "waiting", on_call: 2, resources: [EMERGENCY, SAMARITANS], ...fields } });

function run(...actions) {
  return actions.reduce(reduce, initialState());
}

/** The effects (said aloud) of applying `action` after `actions`. */
function saidAfter(actions, action) {
  const prev = run(...actions);
  return effectsOf(prev, reduce(prev, action), action).filter((e) => e.say).map((e) => e.say);
}

test("before a room there is nobody to ask from here; the lobby's lane says so and shows the resources", () => {
  const s = run({ type: "config", crisis: [SAMARITANS] }, { type: "sheet", open: true, focus: "crisis" });
  assert.equal(conv.laneStatus(s).status, "not_seated");
  assert.deepEqual(conv.crisisResources(s).map((r) => r.label), ["Samaritans"]);
  assert.equal(conv.crisisLine(s).link, "tel:116123");
  assert.equal(conv.sheetIsLane(s), true);
});

test("asking, then waiting with the number on call, then answered, then ended", () => {
  let s = run(seat(), connected);
  assert.equal(conv.laneStatus(s).status, "idle");
  s = reduce(s, { type: "crisis.asking" });
  assert.equal(conv.laneStatus(s).status, "asking");
  assert.deepEqual(s.sheet, { open: true, focus: "crisis" });
  s = reduce(s, opened());
  assert.deepEqual(conv.laneStatus(s), { status: "waiting", onCall: 2, by: "", waitedMs: 0, stage: 0 });
  assert.deepEqual(conv.crisisResources(s).map((r) => r.channel), ["emergency", "call"], "the lane's own resources win");
  assert.equal(conv.crisisLine(s).label, "Samaritans", "the pinned line is a crisis line to call, not the emergency number");
  assert.equal(conv.sayBlock(s, conv.crisisConversation(s)), null, "the member may write while waiting");
  assert.equal(conv.unanswered(conv.crisisConversation(s)), true);
  s = reduce(s, frame("conversation.status", { conversation: "cv_1", status: "answered", by: "Ana" }));
  assert.equal(conv.laneStatus(s).status, "answered");
  assert.equal(conv.laneStatus(s).by, "Ana");
  assert.equal(conv.sayBlock(s, conv.crisisConversation(s)), null);
  s = reduce(s, frame("conversation.ended", { conversation: "cv_1" }));
  assert.equal(conv.laneStatus(s).status, "ended");
  assert.equal(conv.liveConversations(s).length, 0);
});

test("nobody on call is said plainly; the wait's stages come at two and five minutes", () => {
  let s = run(seat(), connected, opened({ status: "nobody_on_call", on_call: 0 }));
  assert.equal(conv.laneStatus(s).status, "nobody_on_call");
  assert.equal(deadlineLive(s), true, "the elapsed wait is on screen");
  s = reduce(s, { type: "tick", now: 2_000 + 2 * 60_000 });
  assert.equal(conv.laneStatus(s).stage, 1);
  assert.deepEqual(saidAfter([seat(), connected, opened()], { type: "tick", now: 2_000 + 5 * 60_000 }), ["announce.lane.still_waiting"]);
  assert.deepEqual(saidAfter([seat(), connected, opened()], { type: "tick", now: 2_000 + 60_000 }), []);
});

test("all-hours resources let the lane say they are staffed now; limited hours are not claimed", () => {
  assert.equal(conv.allHoursResources([EMERGENCY, SAMARITANS]), true);
  assert.equal(conv.allHoursResources([{ ...SAMARITANS, hours: "Mon-Fri 9-17" }]), false);
  assert.equal(conv.allHoursResources([]), false);
});

test("a staff member's drop puts the lane back to waiting, said once; a refusal is 'unavailable'", () => {
  const base = [seat(), connected, opened(), frame("conversation.status", { conversation: "cv_1", status: "answered", by: "Ana" })];
  assert.deepEqual(saidAfter(base, frame("conversation.status", { conversation: "cv_1", status: "waiting", on_call: 1 })), ["announce.lane.waiting_again"]);
  const s = reduce(run(...base), frame("conversation.status", { conversation: "cv_1", status: "waiting", on_call: 1 }));
  assert.equal(conv.laneStatus(s).by, "");
  assert.equal(conv.laneStatus(s).onCall, 1);
  const refused = run(seat(), connected, { type: "crisis.asking" }, { type: "crisis.refused", code: "unavailable" });
  assert.equal(conv.laneStatus(refused).status, "unavailable");
});

test("messages arrive once each, in seq order; unread counts only the other side's while hidden", () => {
  let s = run(seat(), connected, opened(), frame("conversation.status", { conversation: "cv_1", status: "answered", by: "Ana" }),
    { type: "sheet", open: false });
  s = [say(2, "them", "still here?"), say(1, "me", "hi"), say(2, "them", "still here?"), say(3, "them", "take your time")].reduce(reduce, s);
  const c = conv.crisisConversation(s);
  assert.deepEqual(c.messages.map((m) => [m.seq, m.from, m.text]), [[1, "me", "hi"], [2, "them", "still here?"], [3, "them", "take your time"]]);
  assert.equal(conv.unreadCount(s), 2);
  s = reduce(s, { type: "sheet", open: true, focus: "cv_1" });
  assert.equal(conv.unreadCount(s), 0, "showing it marks it read");
  s = reduce(s, say(4, "them", "I'm here"));
  assert.equal(conv.unreadCount(s), 0, "a message to the conversation on screen is read");
});

test("a private word from a facilitator opens the sheet on it and is said, without taking the focus", () => {
  const offer = frame("conversation.opened", { conversation: "cv_w", kind: "word", with: "Host" });
  const s = run(seat(), connected, offer);
  const c = conv.sheetFocus(s);
  assert.equal(c.kind, "word");
  assert.equal(c.with, "Host");
  assert.equal(c.mine, false);
  assert.equal(s.sheet.open, true);
  assert.equal(conv.sheetIsLane(s), false);
  assert.deepEqual(saidAfter([seat(), connected], offer), ["announce.word.opened"]);
  assert.deepEqual(saidAfter([seat(), connected, offer], say(1, "them", "how are you doing?", "cv_w")), ["announce.conversation.message"]);
  assert.deepEqual(saidAfter([seat(), connected, offer], say(1, "me", "ok", "cv_w")), [], "my own words are not read back");
  assert.deepEqual(saidAfter([seat(), connected, offer], frame("conversation.ended", { conversation: "cv_w" })), ["announce.conversation.ended"]);
});

test("the facilitator's side of a word: opened from the ack, with the member's name; several side by side", () => {
  let s = run(seat({ member: HOST, members: [ME, HOST] }), connected, { type: "word.opened", conversation: "cv_a", member: ME.id, name: "River" });
  assert.equal(conv.sheetFocus(s).with, "River");
  assert.equal(conv.sheetFocus(s).mine, true);
  s = reduce(s, { type: "word.opened", conversation: "cv_b", member: "m_sam", name: "Sam" });
  assert.deepEqual(conv.liveConversations(s).map((c) => c.with), ["River", "Sam"]);
  s = reduce(s, { type: "conversation.closed", id: "cv_b" });
  s = reduce(s, { type: "conversation.dismiss", id: "cv_b" });
  assert.deepEqual(s.conversations.map((c) => c.id), ["cv_a"]);
  assert.equal(s.sheet.focus, null);
  assert.equal(conv.sheetFocus(s).id, "cv_a", "the sheet falls back to the live one");
});

test("conversations belong to the seat: a resync keeps them, leaving ends them", () => {
  const live = run(seat(), connected, opened());
  const resync = reduce(live, { type: "snapshot", reason: "resync", ack: joinAck(ME) });
  assert.equal(resync.conversations.length, 1);
  assert.equal(reduce(live, { type: "leave" }).conversations.length, 0);
  assert.equal(reduce(live, { type: "terminal", kind: "removed" }).conversations.length, 0);
});

test("a new request after an ended lane starts afresh; a repeated ack keeps the same conversation", () => {
  let s = run(seat(), connected, opened(), frame("conversation.ended", { conversation: "cv_1" }));
  s = reduce(s, opened({ conversation: "cv_2" }));
  assert.deepEqual(s.conversations.map((c) => c.id), ["cv_2"]);
  s = reduce(s, { ...opened({ conversation: "cv_2" }), now: 99_000 });
  assert.equal(conv.crisisConversation(s).at, 2_000, "the wait counts from the first ask");
});

test("resources: only safe links, the room's over the server's, the older config shape still works", () => {
  assert.equal(conv.cleanResource({ label: "x", link: "javascript:alert(1)" }).link, null);
  assert.equal(conv.cleanResource({ label: "x", link: "sms:741741?body=HOME" }).link, "sms:741741?body=HOME");
  assert.equal(conv.cleanResource({ label: "" }), null);
  assert.deepEqual(conv.configResources({ crisis_text: "Call us", crisis_number: "555 0100" }),
    [{ label: "Call us", number: "555 0100", channel: "call", link: "tel:5550100", hours: "" }]);
  assert.deepEqual(conv.configResources({ crisis: { resources: [SAMARITANS] } }).map((r) => r.label), ["Samaritans"]);
  assert.deepEqual(conv.configResources({ crisis_number: "" }), []);
  const s = run({ type: "config", crisis: [SAMARITANS] }, seat({ room: { ...joinAck(ME).room, crisis: [EMERGENCY] } }));
  assert.deepEqual(conv.crisisResources(s).map((r) => r.label), ["Emergency"]);
});

test("where a report went, truthfully", () => {
  assert.equal(reportNote({ routed: "facilitators" }), "report.thanks");
  assert.equal(reportNote({ routed: "on_call", on_call: 2 }), "report.thanks.on_call");
  assert.equal(reportNote({ routed: "on_call", on_call: 0 }), "report.thanks.kept");
  assert.equal(reportNote({ routed: "on_call" }), "report.thanks.queued");
  assert.equal(reportNote({}), "report.thanks.sent", "an older server does not say: neither do we");
});

test("the protocol client passes conversation frames on to the seated page only", async () => {
  FakeSocket.reset();
  const session = new Session({ url: "ws://test/ws", WebSocketImpl: FakeSocket, random: () => 0.5 });
  const got = [];
  session.on("conversation", ({ frame: f }) => got.push(f.event));
  const joined = session.join({ room: "night-owls", name: "River" });
  const socket = FakeSocket.last;
  socket.hello();
  socket.deliver({ type: "conversation", event: "conversation.message", conversation: "cv_x", seq: 1 });
  assert.deepEqual(got, [], "nothing before the seat");
  socket.reply("join", joinAck(ME));
  await joined;
  socket.deliver({ type: "conversation", event: "conversation.opened", conversation: "cv_w", kind: "word", with: "Host" });
  assert.deepEqual(got, ["conversation.opened"]);
  session.dispose();
});

test("no conversation in the ack (the server's backend is away): the resources still show, honestly 'unavailable'", () => {
  const s = run(seat(), connected, { type: "crisis.asking" }, opened({ conversation: null, status: null, resources: [SAMARITANS] }));
  assert.equal(conv.laneStatus(s).status, "unavailable");
  assert.deepEqual(conv.crisisResources(s).map((r) => r.label), ["Samaritans"]);
  assert.equal(s.conversations.length, 0);
});

test("every conversation frame applies once by its seq, status frames too", () => {
  const answered = (seq) => frame("conversation.status", { conversation: "cv_1", seq, status: "answered", by: "Ana" });
  const waiting = (seq) => frame("conversation.status", { conversation: "cv_1", seq, status: "waiting", on_call: 1 });
  const s = run(seat(), connected, opened(), answered(2), waiting(3), answered(2));
  assert.equal(conv.laneStatus(s).status, "waiting", "a replayed 'answered' does not undo a later 'waiting'");
  assert.deepEqual(conv.crisisConversation(s).seen, [2, 3]);
});

test("a resume's ack brings back the conversations still open; their frames follow", () => {
  const ack = { ...joinAck(ME), conversations: [
    { conversation: "cv_1", kind: "crisis", with: "Ana" },
    { conversation: "cv_w", kind: "word", with: "Host" },
    { conversation: "cv_2", kind: "crisis", with: null },
  ] };
  const s = run({ type: "snapshot", reason: "resync", ack });
  assert.deepEqual(s.conversations.map((c) => [c.id, c.kind, c.status, c.with, c.mine]), [
    ["cv_1", "crisis", "answered", "Ana", true],
    ["cv_w", "word", "open", "Host", false],
    ["cv_2", "crisis", "waiting", "", true],
  ]);
  const again = reduce(run(seat(), connected, say(1, "me", "hi", "cv_w")), { type: "resumed", ack: { ...ack, conversations: [{ conversation: "cv_w", kind: "word", with: "Host" }] } });
  assert.equal(again.conversations[0].messages.length, 1, "a known conversation is kept as it is");
});

test("who ended it, from my side", () => {
  const ended = (fields) => conv.endedBy({ status: "ended", ...fields });
  assert.equal(ended({ kind: "crisis", reason: "member" }), "me");
  assert.equal(ended({ kind: "crisis", reason: "resolved" }), "them");
  assert.equal(ended({ kind: "word", mine: true, reason: "member" }), "them");
  assert.equal(ended({ kind: "word", mine: true, reason: "other" }), "me");
  assert.equal(ended({ kind: "word", mine: false, reason: "other" }), "them");
  assert.equal(ended({ kind: "word", reason: "gone" }), "gone");
  assert.equal(conv.endedBy({ status: "open", reason: null }), null);
});

test("with the lane on screen its status line speaks (a live region); the announcer stays quiet", () => {
  const open = [seat(), connected, { type: "crisis.asking" }, opened()];
  assert.deepEqual(saidAfter(open, frame("conversation.status", { conversation: "cv_1", seq: 2, status: "answered", by: "Ana" })), []);
  assert.deepEqual(saidAfter(open, { type: "tick", now: 2_000 + 3 * 60_000 }), []);
  const hidden = [...open, { type: "sheet", open: false }];
  assert.deepEqual(saidAfter(hidden, frame("conversation.status", { conversation: "cv_1", seq: 2, status: "answered", by: "Ana" })), ["announce.lane.answered"]);
  const said = effectsOf(run(...hidden), reduce(run(...hidden), { type: "tick", now: 2_000 + 3 * 60_000 }), { type: "tick" });
  assert.deepEqual(said.map((e) => [e.say, e.params.minutes]), [["announce.lane.still_waiting", 2]]);
});
