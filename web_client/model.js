// What this tab knows about the room it is in, built from a join/resync snapshot plus the
// events that follow (docs/protocol.md §4). No DOM here: views listen for "change" events
// whose detail says what changed ({what, ...}).

export const REACTIONS = ["heart", "thanks", "hug", "strength", "same"];

export class RoomModel extends EventTarget {
  constructor() {
    super();
    this.clear();
  }

  clear() {
    this.room = null;
    this.myId = null;
    this.observer = false;
    this.members = new Map(); // id -> member object, in join order
    this.names = new Map(); // id -> last known name (kept after people leave, for the log)
    this.observers = 0;
    this.meeting = null;
    this.messages = new Map(); // mid -> message
    this.warning = null; // {member, remainingMs, at} after share.warning, for the current share
    this.modlog = []; // facilitator-only entries, newest last
    this.waiting = new Map(); // lobby ticket -> name (facilitators)
  }

  get me() {
    return this.myId ? this.members.get(this.myId) ?? null : null;
  }

  get isFacilitator() {
    return this.me?.role === "facilitator";
  }

  name(id) {
    if (!id) return "someone";
    return this.members.get(id)?.name ?? this.names.get(id) ?? "someone who left";
  }

  /** A join ack or a resync: the whole picture, replacing what we had. */
  loadSnapshot(ack, { keepHistory }) {
    this.room = ack.room ?? this.room;
    this.myId = ack.member?.id ?? null;
    this.observer = !ack.member;
    this.members = new Map();
    for (const m of ack.members ?? []) this._putMember(m);
    if (ack.member) this._putMember(ack.member);
    this.observers = ack.observers ?? 0;
    this.meeting = ack.meeting ?? null;
    this.warning = null;
    if (!keepHistory) {
      this.messages = new Map();
      this.modlog = [];
      this.waiting = new Map();
    }
    this._changed({ what: "snapshot" });
  }

  /** A resume that recovered: only our own member object may have moved. */
  loadResume(ack) {
    if (ack.member) {
      this.myId = ack.member.id;
      this._putMember(ack.member);
    }
    this._changed({ what: "members" });
  }

  /** Apply one room event (already deduplicated by seq). */
  apply(frame, ts = frame.ts) {
    const handler = HANDLERS[frame.event];
    if (handler) handler(this, frame, ts);
  }

  _putMember(member) {
    this.members.set(member.id, { ...(this.members.get(member.id) ?? {}), ...member });
    this.names.set(member.id, member.name);
  }

  _changed(detail) {
    this.dispatchEvent(new CustomEvent("change", { detail }));
  }

  _log(entry) {
    this.modlog.push(entry);
    if (this.modlog.length > 200) this.modlog.shift();
    this._changed({ what: "modlog", entry });
  }
}

function addMessage(model, frame, ts) {
  if (model.messages.has(frame.mid)) return;
  const message = {
    mid: frame.mid,
    from: frame.from,
    name: frame.name,
    text: frame.text,
    ts,
    reactions: new Map(), // reaction -> Set of member ids (distinct members)
    removed: false,
    redacted: false,
  };
  model.messages.set(frame.mid, message);
  model._changed({ what: "message", message });
}

function setMember(model, member, what = "members") {
  const before = model.members.get(member.id);
  model._putMember(member);
  model._changed({ what, member, before });
}

const HANDLERS = {
  "chat.message": addMessage,
  "chat.reaction"(model, f) {
    const message = model.messages.get(f.mid);
    if (!message || message.removed || !REACTIONS.includes(f.reaction)) return;
    let who = message.reactions.get(f.reaction);
    if (!who) message.reactions.set(f.reaction, (who = new Set()));
    const on = f.on !== false; // withdrawn reactions arrive with on: false
    if (who.has(f.from) === on) return;
    if (on) who.add(f.from);
    else who.delete(f.from);
    model._changed({ what: "reaction", message });
  },
  "chat.removed"(model, f) {
    const message = model.messages.get(f.mid);
    if (message) {
      message.removed = true;
      message.text = "";
      message.reactions.clear();
    }
    model._changed({ what: "removed", mid: f.mid });
  },
  redacted(model, f, ts) {
    // A message removed before we caught up on it: keep its place, say what happened.
    const message = {
      mid: f.seq, from: null, name: "", text: "", ts, reactions: new Map(), removed: false, redacted: true,
    };
    model.messages.set(f.seq, message);
    model._changed({ what: "message", message });
  },
  "member.joined"(model, f) {
    setMember(model, f.member, "joined");
  },
  "member.updated"(model, f) {
    setMember(model, f.member, f.member.id === model.myId ? "me" : "members");
  },
  "member.away"(model, f) {
    const m = model.members.get(f.member);
    if (m) setMember(model, { ...m, away: true });
  },
  "member.back"(model, f) {
    const m = model.members.get(f.member);
    if (m) setMember(model, { ...m, away: false });
  },
  "member.left"(model, f) {
    model.members.delete(f.member);
    model._changed({ what: "left", member: f.member, reason: f.reason });
  },
  observers(model, f) {
    model.observers = f.count;
    model._changed({ what: "observers" });
  },
  "room.reset"(model) {
    model.messages = new Map();
    model._changed({ what: "reset" });
  },
  "meeting.state"(model, f) {
    model.meeting = f.meeting;
    const floor = f.meeting?.round?.floor;
    if (!floor || (model.warning && model.warning.member !== floor.member)) model.warning = null;
    model._changed({ what: "meeting" });
  },
  "round.opened"(model, f) {
    model._changed({ what: "round.opened", frame: f });
  },
  "round.ended"(model, f) {
    model.warning = null;
    model._changed({ what: "round.ended", frame: f });
  },
  "round.paused"(model, f) {
    model._changed({ what: "round.paused", frame: f });
  },
  "round.resumed"(model, f) {
    model._changed({ what: "round.resumed", frame: f });
  },
  "floor.granted"(model, f) {
    model.warning = null;
    model._changed({ what: "floor.granted", frame: f });
  },
  "share.warning"(model, f, ts) {
    model.warning = { member: f.member, remainingMs: f.remaining_ms, at: ts };
    model._changed({ what: "share.warning", frame: f });
  },
  "share.extended"(model, f) {
    model.warning = null;
    model._changed({ what: "share.extended", frame: f });
  },
  "share.ended"(model, f) {
    model.warning = null;
    model._changed({ what: "share.ended", frame: f });
  },
  // facilitators only (protocol.md §4.4); everyone else gets `hidden`, which changes nothing
  moderation(model, f, ts) {
    model._log({ kind: "moderation", ts, ...f });
  },
  "report.filed"(model, f, ts) {
    model._log({ kind: "report", ts, ...f });
  },
  "raid.alert"(model, f, ts) {
    model._log({ kind: "raid", ts, ...f });
  },
  "lobby.waiting"(model, f) {
    model.waiting.set(f.ticket, f.name);
    model._changed({ what: "waiting", ticket: f.ticket, name: f.name, arrived: true });
  },
  "lobby.admitted"(model, f) {
    model.waiting.delete(f.ticket);
    model._changed({ what: "waiting", ticket: f.ticket });
  },
  "lobby.denied"(model, f) {
    model.waiting.delete(f.ticket);
    model._changed({ what: "waiting", ticket: f.ticket });
  },
};
