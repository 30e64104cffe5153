// One WebSocket, from open to close: waits for `hello`, keeps the app-level heartbeat, puts an
// id on every command and hands each reply (`ack`, `error`, `pong`) to whoever sent it.
// A Transport is used once; the Session makes a new one for every (re)connect.
// Frames go through a codec (codec.js): text frames for JSON, binary frames for a binary codec.
// Binary data that the codec does not read as a frame goes to `onBinary` (a media socket).

import { jsonCodec } from "./codec.js";

const HELLO_TIMEOUT_MS = 10_000;
// A dead socket (a phone that lost its network without a close) must show within seconds, not
// after the server's heartbeat_ms plus a long wait: ping at least every HEARTBEAT_MAX_MS and give
// a pong PONG_TIMEOUT_MS. Pings are tiny and allowed at any time (docs/protocol.md §1).
export const HEARTBEAT_MAX_MS = 5_000;
export const PONG_TIMEOUT_MS = 3_000;

let transports = 0; // each transport numbers its commands under its own prefix

export class Transport {
  /**
   * @param {object} o
   * @param {(hello: object) => void} o.onHello
   * @param {(frame: object) => void} o.onFrame   every frame that is not a reply
   * @param {(code: number) => void} o.onClose   once, unless we closed it ourselves
   * @param {() => void} [o.onPong]               each heartbeat answered
   * @param {(data: ArrayBuffer) => void} [o.onBinary]  binary data that is not a frame
   * @param {object} [o.codec]                    jsonCodec unless given (codec.js)
   */
  constructor({ url, WebSocketImpl, random, onHello, onFrame, onClose, onPong = () => {},
    onBinary = () => {}, codec = jsonCodec }) {
    this.random = random;
    this.codec = codec;
    this.handlers = { onHello, onFrame, onClose, onPong, onBinary };
    // Ids stay unique across reconnects and sessions, so a late reply can never be mistaken.
    this.prefix = `c${(transports += 1).toString(36)}.`;
    this.nextId = 1;
    this.pending = new Map(); // id -> {onReply, onLost}
    this.timers = {};
    this.hello = null;
    this.closed = false;
    try {
      this.ws = new WebSocketImpl(url, [codec.subprotocol]);
      this.ws.binaryType = "arraybuffer";
    } catch {
      this.ws = null;
      queueMicrotask(() => this._finish(1006));
      return;
    }
    this.timers.hello = setTimeout(() => this.dead(), HELLO_TIMEOUT_MS);
    this.ws.onmessage = (e) => this._onMessage(e.data);
    this.ws.onclose = (e) => this._finish(e.code);
    this.ws.onerror = () => {}; // a close event always follows
  }

  get ready() {
    return !this.closed && this.hello !== null && this.ws?.readyState === 1;
  }

  /** Send a command with a fresh id; `onReply(frame)` gets its ack/error/pong, or `onLost()`. */
  send(frame, { onReply, onLost }) {
    const id = `${this.prefix}${this.nextId++}`;
    if (!this.ready) {
      queueMicrotask(onLost);
      return id;
    }
    this.pending.set(id, { onReply, onLost });
    this.ws.send(this.codec.encode({ ...frame, id }));
    return id;
  }

  /** Send a frame exactly as given; resolves with the reply to its id (if it has one). */
  sendRaw(frame) {
    if (!this.ready) return Promise.reject(new Error("offline"));
    return new Promise((resolve) => {
      if (frame.id !== undefined && frame.id !== null) {
        this.pending.set(frame.id, { onReply: resolve, onLost: () => resolve(null) });
      } else {
        queueMicrotask(() => resolve(null));
      }
      this.ws.send(this.codec.encode(frame));
    });
  }

  /** Close from our side; onClose is not called. Unanswered commands are failed. */
  close(code = 1000, reason = "") {
    if (this.closed) return;
    this.closed = true;
    this._stop();
    if (this.ws && this.ws.readyState <= 1) {
      try {
        this.ws.close(code, reason);
      } catch {
        /* already closing */
      }
    }
  }

  /** The socket looks dead (no hello, no pong, network gone): give up on it now. */
  dead() {
    if (this.closed) return;
    this.close(4000, "dead");
    this.handlers.onClose(1006);
  }

  /** Ping now rather than at the next heartbeat (the browser just said it went offline). */
  pingSoon() {
    if (this.ready) this._ping();
  }

  _onMessage(data) {
    if (this.closed) return;
    const frame = this.codec.decode(data);
    if (frame === null) {
      if (typeof data !== "string") this.handlers.onBinary(data);
      return; // text that is not a frame: nothing a server of ours sends
    }
    if (frame.type === "hello") {
      clearTimeout(this.timers.hello);
      this.hello = frame;
      this._scheduleHeartbeat();
      this.handlers.onHello(frame);
    } else if (frame.type === "ack" || frame.type === "error" || frame.type === "pong") {
      const entry = this.pending.get(frame.id);
      if (entry) {
        this.pending.delete(frame.id);
        entry.onReply(frame);
      } else if (frame.type === "error") {
        this.handlers.onFrame(frame); // id null: a frame the server could not read
      }
    } else {
      this.handlers.onFrame(frame);
    }
  }

  _scheduleHeartbeat() {
    clearTimeout(this.timers.ping);
    const every = Math.min(this.hello?.heartbeat_ms ?? HEARTBEAT_MAX_MS, HEARTBEAT_MAX_MS);
    this.timers.ping = setTimeout(() => this._ping(), every * (0.8 + 0.4 * this.random()));
  }

  _ping() {
    clearTimeout(this.timers.pong);
    this.timers.pong = setTimeout(() => this.dead(), PONG_TIMEOUT_MS);
    this.send({ type: "ping" }, {
      onReply: () => {
        clearTimeout(this.timers.pong);
        this.handlers.onPong();
        this._scheduleHeartbeat();
      },
      onLost: () => {},
    });
  }

  _finish(code) {
    if (this.closed) return;
    this.closed = true;
    this._stop();
    this.handlers.onClose(code);
  }

  _stop() {
    for (const timer of Object.values(this.timers)) clearTimeout(timer);
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const entry of pending) entry.onLost();
  }
}
