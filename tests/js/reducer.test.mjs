// The reducer: protocol events and local actions in, a new state out; nothing is mutated.

import { test } from "node:test";
import assert from "node:assert/strict";
import { initialState, reduce } from "../../web_client/reducer.js";
import { EPOCH, joinAck, member } from "./fake_socket.mjs";

const ME = member("m_me", "River");
const SAM = member("m_sam", "Sam");
const ev = (seq, name, fields = {}) => ({ type: "event", replayed: false, frame: { type: "event", event: name, seq, epoch: EPOCH, ts: 5000, ...fields } });
const chat = (seq, from, text) => ev(seq, "chat.message", { mid: seq, from: from.id, name: from.name, text });

function run(...actions) {
  return actions.reduce(reduce, initialState());
}

const frozen = (value) => {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    Object.values(value).forEach(frozen);
  }
  return value;
};

/** reduce over deep-frozen states: any mutation throws in strict mode (ES modules are strict). */
function runFrozen(...actions) {
  return actions.reduce((state, action) => frozen(reduce(state, action)), frozen(initialState()));
}

const seat = { type: "snapshot", reason: "join", ack: joinAck(ME, { members: [ME, SAM] }) };

test("a join snapshot seats me in the room screen", () => {
  const s = run(seat);
  assert.equal(s.screen, "room");
  assert.equal(s.myId, "m_me");
  assert.equal(s.observer, false);
  assert.deepEqual(s.members.map((m) => m.name), ["River", "Sam"]);
});

test("the reducer never mutates a state", () => {
  const s = runFrozen(seat, chat(101, SAM, "a"), ev(102, "chat.reaction", { mid: 101, from: ME.id, reaction: "heart" }),
    ev(103, "member.updated", { member: { ...SAM, role: "facilitator" } }), ev(104, "member.left", { member: SAM.id }),
    ev(105, "room.reset"), { type: "note", label: "note.round.ended" }, { type: "tick", now: 9 });
  assert.equal(s.now, 9);
});

test("messages arrive once; reactions count each member once and can be taken back", () => {
  let s = run(seat, chat(101, SAM, "hi"), chat(101, SAM, "hi"));
  assert.equal(s.messages.length, 1);
  const heart = (seq, from, on = true) => ev(seq, "chat.reaction", { mid: 101, from, reaction: "heart", on });
  s = [heart(102, ME.id), heart(103, ME.id), heart(104, SAM.id)].reduce(reduce, s);
  assert.deepEqual(s.messages[0].reactions.heart, [ME.id, SAM.id]);
  s = reduce(s, heart(105, ME.id, false));
  assert.deepEqual(s.messages[0].reactions.heart, [SAM.id]);
  s = reduce(s, ev(106, "chat.reaction", { mid: 101, from: ME.id, reaction: "<script>" }));
  assert.equal(s.messages[0].reactions["<script>"], undefined);
});

test("a removed message disappears; a redacted one keeps its place", () => {
  const s = run(seat, chat(101, SAM, "unkind"), ev(102, "chat.removed", { mid: 101 }), ev(103, "redacted"));
  assert.deepEqual(s.messages.map((m) => m.kind), ["redacted"]);
});

test("room.reset clears the messages but keeps the notes, and adds its own", () => {
  const s = run(seat, { type: "note", label: "note.round.opened" }, chat(101, SAM, "x"), ev(102, "room.reset"));
  assert.deepEqual(s.messages.map((m) => m.label), ["note.round.opened", "note.reset"]);
  assert.notEqual(s.messages[0].key, s.messages[1].key);
});

test("a resync keeps notes and the log, says history was lost; a join starts clean", () => {
  const resync = { type: "snapshot", reason: "resync", ack: joinAck(ME) };
  const s = run(seat, chat(101, SAM, "gone"), { type: "note", label: "note.round.ended" }, resync);
  assert.equal(s.historyLost, true);
  assert.deepEqual(s.messages.map((m) => m.kind), ["note"]);
  const fresh = run(seat, chat(101, SAM, "x"), seat);
  assert.equal(fresh.historyLost, false);
  assert.equal(fresh.messages.length, 0);
});

test("member updates merge; away and back toggle; leaving clears a facilitator's selection", () => {
  let s = run(seat, ev(101, "member.updated", { member: { ...SAM, role: "facilitator" } }), ev(102, "member.away", { member: SAM.id }));
  assert.deepEqual([s.members[1].role, s.members[1].away], ["facilitator", true]);
  s = reduce(s, ev(103, "member.back", { member: SAM.id }));
  assert.equal(s.members[1].away, false);
  s = reduce(s, { type: "select", member: SAM.id });
  s = reduce(s, ev(104, "member.left", { member: SAM.id, reason: "left" }));
  assert.equal(s.selected, null);
  assert.equal(s.names[SAM.id], "Sam", "a name is kept for the log after they leave");
});

test("a share warning holds only for the current floor holder", () => {
  const floor = (holder) => ev(110, "meeting.state", { meeting: { mode: "round", hands: [], round: { queue: [], paused: false, floor: { member: holder, ends_at: 9000, remaining_ms: 4000 } } } });
  let s = run(seat, floor(SAM.id), ev(111, "share.warning", { member: SAM.id, remaining_ms: 30000 }));
  assert.equal(s.warning.member, SAM.id);
  s = reduce(s, floor(ME.id));
  assert.equal(s.warning, null);
});

test("facilitator-only events feed the log and the waiting list", () => {
  const s = run(seat, ev(101, "moderation", { action: "mute", by: ME.id, target: SAM.id }),
    ev(102, "lobby.waiting", { ticket: "t1", name: "New" }), ev(103, "lobby.waiting", { ticket: "t2", name: "Other" }),
    ev(104, "lobby.admitted", { ticket: "t1", member: "m_new" }));
  assert.deepEqual(s.modlog.map((e) => e.action), ["mute"]);
  assert.deepEqual(s.waiting, [{ ticket: "t2", name: "Other" }]);
});

test("terminal endings and the waiting room are notices; leave goes back to the lobby", () => {
  const banned = run(seat, { type: "terminal", kind: "banned" });
  assert.deepEqual([banned.screen, banned.notice.kind, banned.members.length], ["notice", "banned", 0]);
  const waiting = run({ type: "lobby", ack: { lobby: true, room: { name: "Night Owls" } } });
  assert.deepEqual(waiting.notice, { kind: "waiting", params: { room: "Night Owls" } });
  assert.equal(reduce(banned, { type: "leave" }).screen, "lobby");
});

test("unknown events and hidden placeholders change nothing", () => {
  const s = run(seat);
  assert.equal(reduce(s, ev(101, "hidden")), s);
  assert.equal(reduce(s, ev(102, "something.new")), s);
});

test("a two-press button stays armed until pressed again or disarmed by its own key", () => {
  let s = run(seat, { type: "arm", key: "reset" });
  assert.equal(s.armed, "reset");
  s = reduce(s, { type: "disarm", key: "remove-7" });
  assert.equal(s.armed, "reset", "another button's timer does not disarm this one");
  s = reduce(s, { type: "disarm", key: "reset" });
  assert.equal(s.armed, null);
});

test("a post on its way and slow mode's wait are state, on the server's clock", () => {
  const s = run(seat, { type: "sending", on: true }, { type: "slow", until: 42_000, now: 40_000 });
  assert.deepEqual([s.sending, s.slowUntil, s.now], [true, 42_000, 40_000]);
  assert.equal(reduce(s, { type: "sending", on: false }).sending, false);
});

test("the welcome card shows on a new arrival, not on a return, and closes on request", () => {
  const ack = joinAck;
  const me = member("m_w", "Wren");
  const joined = reduce(initialState(), { type: "snapshot", reason: "join", ack: ack(me) });
  assert.equal(joined.welcome, true);
  const closed = reduce(joined, { type: "welcome", on: false });
  assert.equal(closed.welcome, false);
  assert.equal(reduce(closed, { type: "snapshot", reason: "resync", ack: ack(me) }).welcome, false);
  assert.equal(reduce(initialState(), { type: "snapshot", reason: "admitted", ack: ack(me) }).welcome, true);
  assert.equal(reduce(closed, { type: "welcome", on: true }).welcome, true, "How this room works brings it back");
});

test("quiet mode: its end is accepted, and the meeting view says when the room is quiet", () => {
  const quiet = run(seat, ev(101, "meeting.state", { meeting: { mode: "open", hands: [], round: null, quiet: true } }));
  assert.equal(quiet.meeting.quiet, true);
  const settled = reduce(quiet, ev(102, "raid.settled", { slow_seconds: 0 }));
  assert.equal(settled, quiet);
  const after = reduce(settled, ev(103, "meeting.state", { meeting: { ...quiet.meeting, quiet: false } }));
  assert.equal(after.meeting.quiet, false);
});

test("members.changed applies a batch: joined, left, away and back, and keeps the count", () => {
  const ANN = member("m_ann", "Ann");
  let s = run({ type: "snapshot", reason: "join", ack: joinAck(ME, { members: [ME, SAM], member_count: 5, members_next: 7 }) });
  assert.deepEqual([s.memberCount, s.membersNext], [5, 7]);
  s = reduce(s, ev(101, "members.changed", { joined: [ANN], left: [{ member: SAM.id, reason: "left" }], away: [ME.id], back: [] }));
  assert.deepEqual(s.members.map((m) => [m.name, m.away]), [["River", true], ["Ann", false]]);
  assert.equal(s.memberCount, 5, "one came, one went");
  s = reduce(s, ev(102, "members.changed", { joined: [], left: [], away: [], back: [ME.id] }));
  assert.equal(s.members[0].away, false);
});

test("a members.page merges by id and says where the list continues", () => {
  const ANN = member("m_ann", "Ann");
  let s = run({ type: "snapshot", reason: "join", ack: joinAck(ME, { members: [ME], member_count: 3, members_next: 0 }) });
  s = reduce(s, { type: "roster", ack: { members: [ME, SAM], next: 2, member_count: 3 } });
  assert.deepEqual([s.members.length, s.membersNext], [2, 2]);
  s = reduce(s, { type: "roster", ack: { members: [ANN], next: null, member_count: 3 } });
  assert.deepEqual([s.members.map((m) => m.name), s.membersNext, s.memberCount], [["River", "Sam", "Ann"], null, 3]);
});
