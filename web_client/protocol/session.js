// One sharecircle session (docs/protocol.md): a reusable client that knows nothing about the
// DOM and has no words for people (failures and endings carry codes). Several sessions can live
// side by side (a room, a staff console, a media socket); listeners are removed with the
// function `on` returns, and `dispose()` lets go of everything.
//
// - Each socket is a Transport (transport.js): hello, a `ping` every heartbeat_ms ±20 % with a
//   10 s pong deadline, command ids, replies matched by id.
// - The room's position (seq, epoch) lives in a StreamPosition (stream.js): events at or below
//   the last seq seen are dropped, so a replay never shows anything twice; a hole in the seqs,
//   or a new epoch nobody announced, makes us resume at once to fill it.
// - When a socket dies we reconnect by ourselves (policy.js): backoff with full jitter from
//   0.5 s to a 30 s cap, 1-5 s after a drain (1012), 30 s+ when the node is full (1013), and
//   never after 4500+ (removed, banned, session invalid, not admitted).
// - Reconnecting means `resume` with the session token and the last (seq, epoch). `recovered:
//   true`: the missed events follow the ack and go out as ordinary "event"s. `recovered:
//   false`: a fresh snapshot, and the app says earlier messages are gone.
//
// Events (`session.on(type, fn)`, fn gets the detail):
//   "state"    {state, retryInMs}  idle | connecting | waiting | connected | reconnecting |
//                                  offline | closed
//   "lobby"    {ack}               parked in the room's waiting room, seeing nothing
//   "snapshot" {ack, reason}       "join", "admitted" (from the waiting room) or "resync"
//   "resumed"  {ack}               recovered; the missed events follow
//   "event"    {frame, replayed}   each room event once, in seq order
//   "conversation" {frame}         a private conversation's frame (crisis lane, private word):
//                                  only its two people get them; they carry the conversation's
//                                  own seq, not the room's (a resume may send them again)
//   "token"    {token}             the session token to keep (it may be renewed on resume)
//   "binary"   {data}              binary data the codec did not read as a frame
//   "terminal" {kind, code}        do not reconnect; kind: removed | banned | session_invalid |
//                                  seat_lost | room_gone | lobby | not_admitted | lobby_lost |
//                                  client_error

import { Emitter } from "./emitter.js";
import { ClientError, RESUME_TERMINAL, ServerError, backoffDelay, closePolicy, request } from "./policy.js";
import { ServerClock, StreamPosition } from "./stream.js";
import { Transport } from "./transport.js";
import { jsonCodec } from "./codec.js";

const REPLY_TIMEOUT_MS = 15_000;
const HEAL_COOLDOWN_MS = 10_000;

export function defaultUrl(location = globalThis.location) {
  return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/ws`;
}

export class Session extends Emitter {
  /**
   * @param {object} [o]
   * @param {string} [o.url]            the /ws address (defaultUrl() in a page)
   * @param {Function} [o.WebSocketImpl] the WebSocket class (a fake one in tests)
   * @param {() => number} [o.random]   randomness for backoff and heartbeat jitter
   * @param {() => number} [o.now]      the local clock in ms
   * @param {object} [o.codec]          how frames are encoded (codec.js; JSON by default)
   * @param {EventTarget} [o.network]   where "online"/"offline" come from (the window)
   */
  constructor({ url = defaultUrl(), WebSocketImpl = globalThis.WebSocket, random = Math.random,
    now = Date.now, codec = jsonCodec, network = globalThis } = {}) {
    super();
    this.options = { url, WebSocketImpl, random, codec };
    this.random = random;
    this.now = now;
    this.state = "idle";
    this.session = null; // {token, room} once seated; reconnects resume it
    this.position = new StreamPosition();
    this.clock = new ServerClock(20, now);
    this.stats = { resumes: 0, lastResume: null, duplicates: 0, gaps: 0, reconnects: 0, pongs: 0, lastClose: null, closes: [] };
    this._t = null; // the current Transport
    this._attempt = 0;
    this._retry = null;
    this._join = null; // {frame, resolve, reject} while a join is in flight
    this._waiting = null; // {ticket} while parked in the waiting room
    this._lastHeal = -Infinity;
    this._network = network;
    this._onOnline = () => this._online();
    this._onOffline = () => this._offline();
    network?.addEventListener?.("online", this._onOnline);
    network?.addEventListener?.("offline", this._onOffline);
  }

  /** Close the socket, stop retrying, drop every listener: this session is finished. */
  dispose() {
    this._cancelRetry();
    this._closeTransport(1000, "disposed");
    this._network?.removeEventListener?.("online", this._onOnline);
    this._network?.removeEventListener?.("offline", this._onOffline);
    this.listeners.clear();
  }

  get hello() {
    return this._t?.hello ?? null;
  }

  get lastSeq() {
    return this.position.lastSeq;
  }

  get epoch() {
    return this.position.epoch;
  }

  /** The server's clock now (ms since the epoch), estimated from event timestamps. */
  serverNow() {
    return this.clock.now();
  }

  // -- what the app does ------------------------------------------------------------------

  /** Join a room (fields of protocol.md §3.1 `join`). Resolves with the ack. */
  join(fields) {
    if (this.session || this._join || this._waiting) {
      return Promise.reject(new ClientError("already_joined"));
    }
    return new Promise((resolve, reject) => {
      this._join = { frame: { ...fields, type: "join" }, resolve, reject };
      this._connect("connecting");
    });
  }

  /** Take up a stored session (after a reload). With no epoch the server answers with a resync. */
  resumeSession({ token, room, epoch = "" }) {
    this.session = { token, room };
    this.position.reset(null);
    this._storedEpoch = epoch;
    this._connect("reconnecting");
  }

  /** Send a command; resolves with its ack, rejects with ServerError or ClientError. */
  command(type, fields = {}) {
    if (this.state !== "connected") {
      return Promise.reject(new ClientError("offline"));
    }
    return request(this._t, type, fields, REPLY_TIMEOUT_MS);
  }

  /** Send a frame exactly as given (the test hook); resolves with the reply frame. */
  raw(frame) {
    return this._t ? this._t.sendRaw(frame) : Promise.reject(new ClientError("offline"));
  }

  /** Leave for good (the seat is released), or stop waiting in the waiting room. */
  leave() {
    const seated = this.session && this.state === "connected";
    this.session = null;
    this._join = null;
    this._waiting = null;
    this._cancelRetry();
    if (!seated) {
      this._closeTransport(1000, "leaving");
      this._setState("idle");
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      // protocol.md §3.2 says the server closes with 1000 after `leave`; the ack already means
      // the seat is released, so we close from our side rather than wait for that.
      const done = () => {
        clearTimeout(timer);
        this._closeTransport(1000, "left");
        this._setState("idle");
        resolve();
      };
      const timer = setTimeout(done, 3000);
      this._t.send({ type: "leave" }, { onReply: done, onLost: done });
    });
  }

  /** Let the socket die as a broken network would (the test hook uses this). */
  drop() {
    this._t?.dead();
  }

  // -- sockets ----------------------------------------------------------------------------

  _connect(state) {
    this._cancelRetry();
    this._closeTransport(4000, "replaced");
    this._setState(state);
    const t = new Transport({
      ...this.options,
      onHello: () => this._onHello(),
      onFrame: (frame) => this._onFrame(frame),
      onClose: (code) => this._t === t && this._onClosed(code),
      onPong: () => (this.stats.pongs += 1),
      onBinary: (data) => this._emit("binary", { data }),
    });
    this._t = t;
  }

  _closeTransport(code, reason) {
    const t = this._t;
    this._t = null;
    t?.close(code, reason);
  }

  _onHello() {
    if (this._join) {
      this._t.send(this._join.frame, { onReply: (f) => this._onJoinReply(f), onLost: () => {} });
    } else if (this.session) {
      this._resume();
    }
  }

  _onFrame(frame) {
    if (frame.type === "event") this._onEvent(frame);
    else if (frame.type === "conversation") {
      if (this.session) this._emit("conversation", { frame });
    } else if (frame.type === "admitted" && this._waiting) {
      this._waiting = null;
      this._seat(frame, "admitted");
    } else if (frame.type === "lobby.denied") {
      this._terminal("not_admitted", 4503); // the close (4503) follows
    }
    // "reconnect" (a drain notice) needs nothing: the 1012 close that follows says it all.
  }

  _onClosed(code) {
    this._t = null;
    this.stats.lastClose = code;
    // The last few close codes, oldest first: a drain's 1012 may be followed by failed attempts
    // (1006) while no node listens yet.
    this.stats.closes = [...this.stats.closes, code].slice(-8);
    if (this._join) {
      const join = this._join;
      this._join = null;
      this._setState("idle");
      join.reject(new ClientError("network"));
    } else if (this._waiting) {
      // Nothing to resume without a session: the place in the waiting room is gone.
      this._terminal(code === 4503 ? "not_admitted" : "lobby_lost", code);
    } else if (!this.session) {
      this._setState("idle");
    } else {
      const policy = closePolicy(code, this._attempt, this.random);
      if (policy.terminal) this._terminal(policy.terminal, code);
      else this._scheduleReconnect(policy.delay);
    }
  }

  _scheduleReconnect(delay) {
    this._closeTransport(4000, "reconnecting");
    this._attempt += 1;
    this.stats.reconnects += 1;
    this._setState(globalThis.navigator?.onLine === false ? "offline" : "reconnecting", Math.round(delay));
    this._retry = setTimeout(() => this._connect("reconnecting"), delay);
  }

  _cancelRetry() {
    clearTimeout(this._retry);
    this._retry = null;
  }

  _online() {
    if (this._retry && this.session) {
      this._attempt = 0;
      this._connect("reconnecting"); // the network is back: no need to wait out the backoff
    }
  }

  _offline() {
    if (this.state === "reconnecting") this._setState("offline");
    else if (this.state === "connected") this._t?.pingSoon(); // find out quickly
  }

  _terminal(kind, code) {
    this.session = null;
    this._waiting = null;
    this._cancelRetry();
    this._closeTransport(1000, kind);
    this._setState("closed");
    this._emit("terminal", { kind, code });
  }

  // -- join, waiting room, resume -----------------------------------------------------------

  _onJoinReply(frame) {
    const join = this._join;
    this._join = null;
    if (!join) return;
    if (frame.type === "error") {
      this._closeTransport(1000, "join_refused");
      this._setState("idle");
      join.reject(new ServerError(frame));
    } else if (frame.lobby) {
      // protocol.md §3.1: parked; an `admitted` or a `lobby.denied` frame comes later.
      this._waiting = { ticket: frame.ticket };
      this._setState("waiting");
      this._emit("lobby", { ack: frame });
      join.resolve(frame);
    } else {
      this._seat(frame, "join");
      join.resolve(frame);
    }
  }

  _seat(frame, reason) {
    this.session = { token: frame.token, room: frame.room.slug };
    this._fromSnapshot(frame);
    this._emit("token", { token: frame.token });
    this._setState("connected");
    this._emit("snapshot", { ack: frame, reason });
  }

  _fromSnapshot(frame) {
    // The server sends events after its own cursor, which can sit a little before `position`
    // (a joiner gets their own member.joined). Take the first event as the base: applying a
    // snapshot's events again changes nothing, and one connection never repeats an event.
    this.position.reset(frame.position.epoch);
  }

  _resume() {
    const frame = {
      type: "resume",
      token: this.session.token,
      seq: this.position.lastSeq ?? 0,
      epoch: this.position.epoch ?? this._storedEpoch ?? "",
    };
    this._t.send(frame, { onReply: (f) => this._onResumeReply(f), onLost: () => {} });
  }

  _onResumeReply(frame) {
    if (!this.session) return; // left meanwhile
    if (frame.type === "error") {
      const kind = RESUME_TERMINAL[frame.code];
      if (kind) this._terminal(kind, null);
      else this._scheduleReconnect(Math.max(frame.retry_after_ms ?? 0, backoffDelay(this._attempt, this.random)));
      return;
    }
    this._attempt = 0;
    this.stats.resumes += 1;
    this.stats.lastResume = { recovered: frame.recovered, missed: frame.missed ?? null };
    if (frame.token) this.session.token = frame.token;
    this._emit("token", { token: this.session.token });
    if (frame.recovered) {
      this.position.replayUntil = frame.position?.seq ?? 0;
      this._setState("connected");
      this._emit("resumed", { ack: frame });
    } else {
      this._fromSnapshot(frame);
      this._setState("connected");
      this._emit("snapshot", { ack: frame, reason: "resync" });
    }
  }

  // -- the event stream -----------------------------------------------------------------------

  _onEvent(frame) {
    if (!this.session) return; // nothing of the room reaches us before we are seated
    const verdict = this.position.check(frame);
    if (verdict === "duplicate") {
      this.stats.duplicates += 1;
      return;
    }
    if (verdict === "epoch" && this._heal()) return; // the resume answers with a resync
    if (verdict === "gap") {
      this.stats.gaps += 1;
      if (this._heal()) return; // the resume from lastSeq fills the hole
    }
    this.position.accept(frame);
    const replayed = this.position.replaying(frame);
    if (!replayed && typeof frame.ts === "number") this.clock.note(frame.ts);
    this._emit("event", { frame, replayed });
  }

  /** Resume at once to repair the stream; at most once per cooldown, so we can never loop. */
  _heal() {
    const now = this.now();
    if (now - this._lastHeal < HEAL_COOLDOWN_MS) return false;
    this._lastHeal = now;
    this._attempt = 0;
    this._scheduleReconnect(0);
    return true;
  }

  _setState(state, retryInMs = null) {
    this.state = state;
    this._emit("state", { state, retryInMs });
  }

  _emit(type, detail) {
    this.emit(type, detail);
  }
}
