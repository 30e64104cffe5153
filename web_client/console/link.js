// One staff console's connection to the staff channel (docs/protocol.md §10): opens /ws, sends
// `staff.watch` with the staff sign-in token, reconnects after a drop (protocol/policy.js
// closePolicy), and hands acks and `staff` frames to its listeners. No DOM, no words.
// The server refreshes the token in each watch ack, so a console open all night keeps working.

import { Transport, ClientError, closePolicy, defaultUrl, request } from "../protocol/index.js";

const REPLY_TIMEOUT_MS = 10_000;

/** Close codes that end the console for good, and why (the sign-in form says it). */
export const ENDINGS = { 4504: "revoked", 4505: "unauthorized" };

export class StaffLink {
  /**
   * @param {object} o
   * @param {string} o.token                 a staff sign-in token
   * @param {(ack: object) => void} o.onWatching  each accepted staff.watch (first and after reconnects)
   * @param {(frame: object) => void} o.onFrame   each `staff` or `conversation` frame
   * @param {(state: string) => void} o.onState   connecting | connected | reconnecting | closed
   * @param {(reason: string) => void} o.onEnded  the channel refused us for good (revoked, unauthorized...)
   * @param {(token: string) => void} [o.onToken] a refreshed token
   */
  constructor({ token, onWatching, onFrame, onState, onEnded, onToken = () => {},
    url = defaultUrl(), WebSocketImpl = globalThis.WebSocket, random = Math.random }) {
    this.token = token;
    this.handlers = { onWatching, onFrame, onState, onEnded, onToken };
    this.options = { url, WebSocketImpl, random };
    this.attempt = 0;
    this.transport = null;
    this.retry = null;
    this.state = "idle";
    this.stopped = false;
  }

  start() {
    this._connect("connecting");
  }

  /** Close and never reconnect. */
  stop() {
    this.stopped = true;
    clearTimeout(this.retry);
    this.transport?.close(1000, "signout");
    this._setState("closed");
  }

  /** Send a staff command; resolves with its ack, rejects with ServerError or ClientError. */
  command(type, fields = {}) {
    if (this.state !== "connected") return Promise.reject(new ClientError("offline"));
    return request(this.transport, type, fields, REPLY_TIMEOUT_MS);
  }

  _setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.handlers.onState(state);
  }

  _connect(state) {
    if (this.stopped) return;
    this._setState(state);
    const t = new Transport({
      ...this.options,
      onHello: () => this._watch(t),
      onFrame: (frame) => {
        // Staff events, and the frames of a conversation this staff member is in (§3.7).
        if (frame.type === "staff" || frame.type === "conversation") this.handlers.onFrame(frame);
      },
      onClose: (code) => this._closed(t, code),
    });
    this.transport = t;
  }

  _watch(t) {
    t.send({ type: "staff.watch", staff: this.token }, {
      onReply: (frame) => {
        if (frame.type === "error") {
          // A refused credential is final (the server closes with 4505 too); anything else
          // (unavailable) is tried again after a pause.
          if (frame.code === "invalid_token") this._end("unauthorized");
          else t.dead();
          return;
        }
        this.attempt = 0;
        if (frame.token) {
          this.token = frame.token;
          this.handlers.onToken(frame.token);
        }
        this._setState("connected");
        this.handlers.onWatching(frame);
      },
      onLost: () => {},
    });
  }

  _closed(t, code) {
    if (t !== this.transport || this.stopped) return;
    if (ENDINGS[code]) {
      this._end(ENDINGS[code]);
      return;
    }
    const policy = closePolicy(code, this.attempt, this.options.random);
    if (policy.terminal) {
      this._end("closed");
      return;
    }
    this.attempt += 1;
    this._setState("reconnecting");
    clearTimeout(this.retry);
    this.retry = setTimeout(() => this._connect("reconnecting"), policy.delay);
  }

  _end(reason) {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.retry);
    this.transport?.close(1000, "ended");
    this._setState("closed");
    this.handlers.onEnded(reason);
  }
}
