// The protocol client against a fake socket: join, resume after a drop (recovered and not),
// healing a gap, close codes that end the session, replays that update state but say nothing,
// listeners that can be removed, and binary frames. Timers are mocked: nothing waits for real.

import { describe, test, beforeEach, afterEach, mock } from "node:test";
import assert from "node:assert/strict";
import { Session, ClientError, ServerError } from "../../web_client/protocol/index.js";
import { createStore } from "../../web_client/store.js";
import { initialState, reduce } from "../../web_client/reducer.js";
import { runEffects } from "../../web_client/effects.js";
import { bindSession } from "../../web_client/bridge.js";
import { FakeSocket, EPOCH, joinAck, member } from "./fake_socket.mjs";

const ME = member("m_me", "River");
const SAM = member("m_sam", "Sam");
let sessions = [];
let now = 1_000_000;

function open() {
  const network = new EventTarget();
  const session = new Session({ url: "ws://test/ws", WebSocketImpl: FakeSocket, random: () => 0, now: () => now, network });
  sessions.push(session);
  return { session, network };
}

const ev = (seq, name, fields = {}, epoch = EPOCH) => ({ type: "event", event: name, seq, epoch, ts: now, ...fields });
const chat = (seq, from, text) => ev(seq, "chat.message", { mid: seq, from: from.id, name: from.name, text });

/** A session seated in a room, with a store and an effects log. */
async function seated() {
  const { session, network } = open();
  const store = createStore(reduce, initialState());
  const said = [];
  bindSession(session, store);
  runEffects(store, { say: (text) => said.push(text), t: (key, params) => `${key}${params.name ? `:${params.name}` : ""}` });
  const joined = session.join({ room: "night-owls", name: "River" });
  const ws = FakeSocket.last;
  ws.hello();
  ws.reply("join", joinAck(ME, { members: [ME, SAM] }));
  await joined;
  ws.deliver(ev(101, "member.joined", { member: ME }));
  return { session, network, store, said, ws };
}

// The hooks (fake sockets, mocked timers) hold for these tests only, also when every file runs
// in one process (all.mjs).
describe("a session against a fake socket", () => {
  beforeEach(() => {
    FakeSocket.reset();
    mock.timers.enable({ apis: ["setTimeout", "setInterval"] });
  });

  afterEach(() => {
    for (const s of sessions) s.dispose();
    sessions = [];
    mock.timers.reset();
  });

  test("a join seats the session and events reach the store once, in order", async () => {
    const { session, store, said, ws } = await seated();
    assert.equal(ws.protocols[0], "sharecircle.v1.json");
    assert.equal(session.state, "connected");
    ws.deliver(chat(102, SAM, "hello"));
    ws.deliver(chat(102, SAM, "hello")); // a repeat
    assert.deepEqual(store.getState().messages.map((m) => m.text), ["hello"]);
    assert.equal(session.stats.duplicates, 1);
    assert.deepEqual(said, ["announce.message:Sam"]);
  });

  test("a resume after a drop replays the missed events into state without announcing them", async () => {
    const { session, store, said, ws } = await seated();
    ws.serverClose(1006);
    assert.equal(store.getState().conn.state, "reconnecting");
    mock.timers.tick(1); // backoff with random() = 0 is 0 ms
    const again = FakeSocket.last;
    assert.notEqual(again, ws);
    again.hello();
    const resume = again.lastSent("resume");
    assert.deepEqual([resume.token, resume.seq, resume.epoch], ["tok-1", 101, EPOCH]);
    again.reply("resume", { recovered: true, missed: 2, member: ME, position: { seq: 103, epoch: EPOCH } });
    again.deliver(chat(102, SAM, "while you were gone"));
    again.deliver(ev(103, "floor.granted", { member: ME.id, ends_at: now + 60_000 }));
    again.deliver(chat(104, SAM, "live again"));
    const texts = store.getState().messages.map((m) => m.text);
    assert.deepEqual(texts, ["while you were gone", "live again"]);
    assert.deepEqual(said, ["announce.message:Sam"], "only the live message is announced");
    assert.equal(session.stats.lastResume.recovered, true);
  });

  test("a resume that cannot recover is a resync: a fresh snapshot and a history-lost note", async () => {
    const { store, said, ws } = await seated();
    ws.deliver(chat(102, SAM, "before"));
    ws.serverClose(1012);
    mock.timers.tick(999);
    assert.equal(FakeSocket.instances.length, 1, "a drain spreads reconnects over 1-5 s");
    mock.timers.tick(1);
    const again = FakeSocket.last;
    again.hello();
    again.reply("resume", { ...joinAck(ME, { members: [ME, SAM] }), recovered: false, reason: "epoch", position: { seq: 7, epoch: "e2" } });
    const state = store.getState();
    assert.equal(state.historyLost, true);
    assert.deepEqual(state.messages.filter((m) => m.kind === "message"), []);
    assert.deepEqual(said.slice(-1), ["announce.resync"]);
  });

  test("a dead socket is noticed within seconds: a ping at least every 5 s, 3 s for its pong", async () => {
    const { session, store, said, ws } = await seated(); // hello asks for a 600 s heartbeat
    mock.timers.tick(3_999);
    assert.equal(ws.lastSent("ping"), undefined);
    mock.timers.tick(1); // 5 s with the lowest jitter (random() = 0)
    assert.ok(ws.lastSent("ping"), "the client pings sooner than the server's heartbeat_ms");
    mock.timers.tick(2_999);
    assert.equal(session.state, "connected");
    mock.timers.tick(1);
    assert.notEqual(session.state, "connected", "no pong in 3 s: the socket is given up");
    assert.equal(store.getState().conn.state, session.state);
    mock.timers.tick(2_500); // the status is said once it has settled, not per flip
    assert.deepEqual(said.filter((x) => x.startsWith("conn.")), ["conn.reconnecting"]);
  });

  test("a gap in the seqs heals itself with a resume from the last seq", async () => {
    const { session, ws } = await seated();
    ws.deliver(chat(105, SAM, "after a hole"));
    assert.equal(session.stats.gaps, 1);
    mock.timers.tick(1);
    const again = FakeSocket.last;
    assert.notEqual(again, ws);
    again.hello();
    assert.equal(again.lastSent("resume").seq, 101);
  });

  for (const [code, kind] of [[4500, "removed"], [4501, "banned"], [4502, "session_invalid"], [4503, "not_admitted"], [4599, "session_invalid"]]) {
    test(`close ${code} ends the session as "${kind}" and never reconnects by itself`, async () => {
      const { store, ws } = await seated();
      ws.serverClose(code);
      mock.timers.tick(120_000);
      assert.equal(FakeSocket.instances.length, 1);
      const state = store.getState();
      assert.equal(state.screen, "notice");
      assert.equal(state.notice.kind, kind);
      assert.equal(state.conn.state, "closed");
    });
  }

  test("a resume refused as banned ends the session", async () => {
    const { store, ws } = await seated();
    ws.serverClose(1006);
    mock.timers.tick(1);
    FakeSocket.last.hello();
    FakeSocket.last.refuse("resume", "banned");
    assert.equal(store.getState().notice.kind, "banned");
    mock.timers.tick(120_000);
    assert.equal(FakeSocket.instances.length, 2);
  });

  test("commands resolve with their ack or reject with a code, never with our English", async () => {
    const { session, ws } = await seated();
    const posted = session.command("post", { text: "hi" });
    ws.reply("post", { seq: 102 });
    assert.equal((await posted).seq, 102);
    const refused = session.command("post", { text: "again" });
    ws.refuse("post", "slow_mode", { retry_after_ms: 3000 });
    await assert.rejects(refused, (err) => err instanceof ServerError && err.code === "slow_mode" && err.retryAfterMs === 3000);
    const lost = session.command("post", { text: "lost" });
    ws.serverClose(1006);
    await assert.rejects(lost, (err) => err instanceof ClientError && err.code === "connection_lost" && err.message === "connection_lost");
  });

  test("listeners can be removed, and dispose lets go of the network", async () => {
    const { session, network, ws } = await seated();
    const seen = [];
    const off = session.on("event", ({ frame }) => seen.push(frame.seq));
    ws.deliver(chat(102, SAM, "one"));
    off();
    ws.deliver(chat(103, SAM, "two"));
    assert.deepEqual(seen, [102]);
    session.dispose();
    network.dispatchEvent(new Event("online"));
    assert.equal(FakeSocket.instances.length, 1);
  });

  test("two sessions live side by side without sharing ids or events", async () => {
    const a = await seated();
    const b = await seated();
    const idA = a.ws.lastSent("join").id;
    const idB = b.ws.lastSent("join").id;
    assert.notEqual(idA, idB);
    a.ws.deliver(chat(102, SAM, "only in a"));
    assert.equal(a.store.getState().messages.length, 1);
    assert.equal(b.store.getState().messages.length, 0);
  });

  test("binary data that is not a frame goes to the binary listeners", async () => {
    const { session, ws } = await seated();
    const got = [];
    session.on("binary", ({ data }) => got.push(data.byteLength));
    ws.deliverBinary(new Uint8Array([1, 2, 3]).buffer);
    assert.deepEqual(got, [3]);
  });
});
