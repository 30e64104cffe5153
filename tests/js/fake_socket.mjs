// A WebSocket stand-in for tests of the protocol client: records what the client sends, and
// lets the test play the server (open, hello, frames, close codes). No network.

export class FakeSocket {
  static instances = [];

  static reset() {
    FakeSocket.instances = [];
  }

  static get last() {
    return FakeSocket.instances.at(-1);
  }

  constructor(url, protocols) {
    this.url = url;
    this.protocols = protocols;
    this.readyState = 0;
    this.sent = [];
    this.closedWith = null;
    FakeSocket.instances.push(this);
  }

  send(data) {
    this.sent.push(JSON.parse(data));
  }

  close(code) {
    this.closedWith = code;
    this.readyState = 3;
  }

  // -- the server's side ------------------------------------------------------------------------

  /** Open and say hello, as a sharecircle server does first. */
  hello(fields = {}) {
    this.readyState = 1;
    this.deliver({ type: "hello", protocol: "sharecircle.v1", heartbeat_ms: 600_000, max_text_chars: 2000, ...fields });
  }

  deliver(frame) {
    this.onmessage?.({ data: typeof frame === "string" ? frame : JSON.stringify(frame) });
  }

  deliverBinary(bytes) {
    this.onmessage?.({ data: bytes });
  }

  /** The last command of `type` the client sent. */
  lastSent(type) {
    return this.sent.filter((f) => f.type === type).at(-1);
  }

  reply(type, fields = {}) {
    const command = this.lastSent(type);
    this.deliver({ type: "ack", id: command.id, ...fields });
  }

  refuse(type, code, fields = {}) {
    const command = this.lastSent(type);
    this.deliver({ type: "error", id: command.id, code, message: `server says ${code}`, ...fields });
  }

  serverClose(code) {
    this.readyState = 3;
    this.onclose?.({ code });
  }
}

let seq = 100;
export const EPOCH = "e1";

/** A room event as the server sends it. */
export function event(name, fields = {}, at = {}) {
  seq += 1;
  return { type: "event", event: name, seq: at.seq ?? seq, epoch: at.epoch ?? EPOCH, ts: at.ts ?? 1_700_000_000_000, ...fields };
}

export const member = (id, name, extra = {}) => ({
  id, name, role: "member", listen_only: false, muted_until: null, away: false, hand: false, ...extra,
});

/** A join ack for `me` in a quiet open room. */
export function joinAck(me, fields = {}) {
  return {
    token: "tok-1",
    member: me,
    members: [me],
    room: { slug: "night-owls", name: "Night Owls", description: "", access: "open", self_led: false },
    observers: 0,
    meeting: { mode: "open", base_mode: "open", hands: [], round: null, slow_seconds: 0, locked: false, lobby: false, paused_room: false },
    position: { seq: 100, epoch: EPOCH },
    ...fields,
  };
}
