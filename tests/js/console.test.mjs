// The staff console's logic without a browser: its reducer and selectors (pure), and its link
// to the staff channel against a fake WebSocket (docs/protocol.md §9).

import { test, describe, beforeEach, afterEach, mock } from "node:test";
import assert from "node:assert/strict";
import { initialState, reduce } from "../../web_client/console/reducer.js";
import { queue, actionFor, roomList, mayFacilitate, ringing, openCount, waitedMs, conversations } from "../../web_client/console/selectors.js";
import { StaffLink } from "../../web_client/console/link.js";
import { FakeSocket } from "./fake_socket.mjs";

const room = (slug, fields = {}) => ({
  slug, name: slug.toUpperCase(), language: "en", members: 0, observers: 0, phase: "open",
  facilitator_present: false, self_led: false, waiting: 0, alert: null, ...fields,
});
const alert = (id, fields = {}) => ({
  id, kind: "report", room: "owls", status: "open", created_at: 1000, opened_at: 1000, closed_at: null,
  count: 1, taker: null, outcome: null, reason: null, action: "review_report", outcomes: ["action_taken", "no_action"], ...fields,
});
const watching = (fields = {}) => ({
  type: "watching",
  ack: {
    staff: { name: "ana", admin: false, rooms: ["owls"], on_call: false },
    token: "tok2",
    rooms: [room("owls"), room("larks")],
    alerts: [],
    on_call: 1,
    ...fields,
  },
});
const staff = (event, fields) => ({ type: "staff", frame: { type: "staff", event, ...fields } });

const frozen = (value) => {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    Object.values(value).forEach(frozen);
  }
  return value;
};
/** reduce over deep-frozen states: any mutation throws (ES modules are strict). */
const run = (...actions) => actions.reduce((state, action) => frozen(reduce(state, action)), frozen(initialState()));

describe("console reducer", () => {
  test("the watch ack opens the console with its rooms, alerts and on-call count", () => {
    const s = run(watching({ alerts: [alert("a1")] }));
    assert.equal(s.screen, "console");
    assert.deepEqual(s.me, { name: "ana", admin: false, rooms: ["owls"], onCall: false });
    assert.deepEqual(Object.keys(s.rooms), ["owls", "larks"]);
    assert.equal(s.onCall, 1);
    assert.deepEqual(ringing(s), [], "what was waiting already does not ring again");
  });

  test("staff.rooms merges the rooms that changed, by slug", () => {
    const s = run(watching(), staff("staff.rooms", { rooms: [room("owls", { members: 3, alert: "a1" })] }));
    assert.equal(s.rooms.owls.members, 3);
    assert.equal(s.rooms.larks.members, 0);
    assert.deepEqual(roomList(s).map((r) => r.slug), ["owls", "larks"], "a room with an alert comes first");
  });

  test("a new open alert rings once; its later changes do not", () => {
    let s = run(watching(), staff("alert", { alert: alert("a1") }));
    assert.deepEqual(ringing(s).map((a) => a.id), ["a1"]);
    s = reduce(s, staff("alert", { alert: alert("a1", { count: 2 }) }));
    assert.deepEqual(ringing(s), []);
    s = reduce(s, staff("alert", { alert: alert("a1", { status: "taken", taker: "bo" }) }));
    assert.deepEqual(ringing(s), []);
    s = reduce(s, staff("alert", { alert: alert("a1", { status: "open", opened_at: 9000 }) }));
    assert.deepEqual(ringing(s).map((a) => a.id), ["a1"], "handed back: it needs a human again");
    s = reduce(s, { type: "tick", now: 10_000 });
    assert.deepEqual(ringing(s), [], "ringing is for the change only");
  });

  test("our own command's ack updates the alert and clears its busy mark", () => {
    let s = run(watching(), staff("alert", { alert: alert("a1") }), { type: "busy", key: "a1", on: true });
    assert.equal(s.busy.a1, true);
    s = reduce(s, { type: "alert", alert: alert("a1", { status: "taken", taker: "ana" }) });
    assert.equal(s.busy.a1, false);
    assert.equal(s.alerts.a1.taker, "ana");
    s = reduce(s, { type: "refused", key: "a1", code: "not_taker" });
    assert.equal(s.errors.a1, "not_taker");
  });

  test("on call: my toggle's ack and everyone's count", () => {
    let s = run(watching(), { type: "oncall", ack: { staff: { name: "ana", on_call: true }, on_call: 2 } });
    assert.equal(s.me.onCall, true);
    assert.equal(s.onCall, 2);
    s = reduce(s, staff("oncall", { on_call: 0 }));
    assert.equal(s.onCall, 0);
  });

  test("an ended channel goes back to the sign-in with the reason; signing out forgets all", () => {
    const ended = run(watching(), { type: "ended", reason: "revoked" });
    assert.equal(ended.screen, "signin");
    assert.equal(ended.signin.error, "revoked");
    assert.deepEqual(ended.alerts, {});
    assert.equal(run(watching(), { type: "signout" }).me, null);
  });
});

describe("console conversations (the crisis lane's staff side)", () => {
  const opened = staff("conversation.opened", { conversation: "cv_1", kind: "crisis", room: "owls", with: "River", seq: 3, ts: 5 });
  const said = (seq, from, text, extra = {}) => ({
    type: "conversation",
    frame: { type: "conversation", event: "conversation.message", conversation: "cv_1", seq, from, name: from === "me" ? "ana" : "River", text, ts: 9, ...extra },
  });

  test("taking a crisis opens its conversation; messages come once each, earlier ones included", () => {
    let s = run(watching(), opened, said(1, "them", "hello?", { earlier: 2 }), said(4, "me", "I'm here"));
    s = reduce(s, said(4, "me", "I'm here")); // a reconnect's replay: dropped
    const talk = s.conversations.cv_1;
    assert.equal(talk.with, "River");
    assert.deepEqual(talk.messages.map((m) => [m.seq, m.from, m.earlier]), [[1, "them", 2], [4, "me", null]]);
    assert.equal(talk.ended, null);
  });

  test("what the other person says is heard for one action; my own words are not", () => {
    let s = run(watching(), opened, said(5, "them", "thanks"));
    assert.deepEqual(s.heard, { conversation: "cv_1", name: "River", text: "thanks" });
    s = reduce(s, { type: "tick" });
    assert.equal(s.heard, null);
    assert.equal(reduce(s, said(6, "me", "of course")).heard, null);
  });

  test("an ended conversation says why, and a live one comes first", () => {
    const s = run(
      watching(),
      opened,
      { type: "conversation", frame: { type: "conversation", event: "conversation.ended", conversation: "cv_1", seq: 7, reason: "released" } },
      staff("conversation.opened", { conversation: "cv_2", kind: "crisis", room: "larks", with: "Kit", seq: 1 }),
    );
    assert.equal(s.conversations.cv_1.ended, "released");
    assert.deepEqual(conversations(s).map((c) => c.id), ["cv_2", "cv_1"]);
  });

  test("the watch ack lists the conversations I am in; their replayed frames follow", () => {
    const s = run(watching({ conversations: [{ conversation: "cv_1", kind: "crisis", with: "River", room: "owls" }] }), said(2, "them", "still there?"));
    assert.equal(s.conversations.cv_1.messages.length, 1);
  });
});

describe("console selectors", () => {
  const s = run(
    watching(),
    staff("alert", { alert: alert("late", { created_at: 5000, opened_at: 5000 }) }),
    staff("alert", { alert: alert("early", { created_at: 1000, kind: "crisis", action: "take_conversation" }) }),
    staff("alert", { alert: alert("mine", { created_at: 3000, status: "taken", taker: "ana" }) }),
    staff("alert", { alert: alert("theirs", { created_at: 4000, status: "taken", taker: "bo" }) }),
    staff("alert", { alert: alert("done", { created_at: 500, status: "resolved", outcome: "no_action" }) }),
  );

  test("the queue is every live alert, oldest first, each with its one action", () => {
    assert.deepEqual(queue(s).map((row) => [row.alert.id, row.action]),
      [["early", "take"], ["mine", "handle"], ["theirs", "watch"], ["late", "take"]]);
    assert.equal(queue(s)[0].room.slug, "owls");
    assert.equal(openCount(s), 2);
  });

  test("actions and waiting times", () => {
    assert.equal(actionFor(alert("x"), "ana"), "take");
    assert.equal(actionFor(alert("x", { status: "taken", taker: "ana" }), "ana"), "handle");
    assert.equal(actionFor(alert("x", { status: "taken", taker: "bo" }), "ana"), "watch");
    assert.equal(waitedMs(alert("x", { opened_at: 1000 }), 61_000), 60_000);
    assert.equal(waitedMs(alert("x", { opened_at: 5000 }), 1000), 0, "never negative");
  });

  test("I may join the rooms my account facilitates, an admin every room", () => {
    assert.equal(mayFacilitate(s, "owls"), true);
    assert.equal(mayFacilitate(s, "larks"), false);
    const admin = run(watching({ staff: { name: "root", admin: true, rooms: [], on_call: false } }));
    assert.equal(mayFacilitate(admin, "larks"), true);
  });
});

describe("console link", () => {
  let seen;
  const link = (token = "tok1") => new StaffLink({
    token, url: "ws://test/ws", WebSocketImpl: FakeSocket, random: () => 0,
    onWatching: (ack) => seen.push(["watching", ack.staff.name]),
    onFrame: (frame) => seen.push(["frame", frame.event]),
    onState: (state) => seen.push(["state", state]),
    onEnded: (reason) => seen.push(["ended", reason]),
    onToken: (token) => seen.push(["token", token]),
  });

  beforeEach(() => {
    seen = [];
    FakeSocket.reset();
    mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  });
  afterEach(() => mock.timers.reset());

  test("it watches with the token after hello, keeps the fresh one, and hands on staff frames", () => {
    const l = link();
    l.start();
    const ws = FakeSocket.last;
    ws.hello();
    assert.deepEqual(ws.lastSent("staff.watch").staff, "tok1");
    ws.reply("staff.watch", { staff: { name: "ana" }, token: "tok2", rooms: [], alerts: [], on_call: 0 });
    ws.deliver({ type: "staff", event: "oncall", on_call: 1 });
    ws.deliver({ type: "conversation", event: "conversation.message", conversation: "cv_1", seq: 1 });
    ws.deliver({ type: "event", event: "chat.message", seq: 1 }); // never on a console; ignored
    assert.deepEqual(seen, [["state", "connecting"], ["token", "tok2"], ["state", "connected"], ["watching", "ana"],
      ["frame", "oncall"], ["frame", "conversation.message"]]);
    assert.equal(l.token, "tok2");
  });

  test("a dropped socket reconnects and watches again with the newest token", () => {
    const l = link();
    l.start();
    FakeSocket.last.hello();
    FakeSocket.last.reply("staff.watch", { staff: { name: "ana" }, token: "tok2" });
    FakeSocket.last.serverClose(1006);
    assert.deepEqual(seen.at(-1), ["state", "reconnecting"]);
    mock.timers.tick(1);
    FakeSocket.last.hello();
    assert.equal(FakeSocket.last.lastSent("staff.watch").staff, "tok2");
  });

  test("a refused token or a revoked account ends the console for good", () => {
    link().start();
    FakeSocket.last.hello();
    FakeSocket.last.refuse("staff.watch", "invalid_token");
    assert.deepEqual(seen.at(-1), ["ended", "unauthorized"]);
    seen = [];
    link().start();
    FakeSocket.last.hello();
    FakeSocket.last.reply("staff.watch", { staff: { name: "ana" } });
    FakeSocket.last.serverClose(4504);
    assert.deepEqual(seen.at(-1), ["ended", "revoked"]);
    mock.timers.tick(60_000);
    assert.equal(FakeSocket.instances.length, 2, "no reconnect after an ending");
  });

  test("commands resolve with their ack and reject with the server's code", async () => {
    const l = link();
    l.start();
    FakeSocket.last.hello();
    FakeSocket.last.reply("staff.watch", { staff: { name: "ana" } });
    const taking = l.command("alert.take", { alert: "a1" });
    FakeSocket.last.reply("alert.take", { alert: { id: "a1", status: "taken" } });
    assert.equal((await taking).alert.status, "taken");
    const again = l.command("alert.take", { alert: "a1" });
    FakeSocket.last.refuse("alert.take", "already_taken");
    await assert.rejects(again, (err) => err.code === "already_taken");
  });
});
