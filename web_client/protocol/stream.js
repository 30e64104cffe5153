// Where we are in a room's event stream (seq, epoch), and the server's clock as seen from here.

/**
 * The position of the last event handed to the app. `check` classifies each incoming event:
 * "new" (apply it), "duplicate" (seq already seen: drop it), "gap" (seqs were skipped) or
 * "epoch" (the history was rebuilt under us). protocol.md §2.3: seq rises by exactly one per
 * event within an epoch (a frame with `seq_from` stands for that many); `room.reset` announces
 * that a new epoch starts.
 */
export class StreamPosition {
  constructor() {
    this.reset(null);
  }

  /** After a snapshot: take the next event as the base (lastSeq null) in `epoch`. */
  reset(epoch) {
    this.lastSeq = null;
    this.epoch = epoch;
    this.expectNewEpoch = false;
    this.replayUntil = 0;
  }

  check(frame) {
    if (this.epoch !== null && frame.epoch !== this.epoch) {
      if (!this.expectNewEpoch) return "epoch";
      this.lastSeq = null; // room.reset: a new history begins here
    }
    if (this.lastSeq === null) return "new";
    if (frame.seq <= this.lastSeq) return "duplicate";
    // A folded members.changed in a resume's replay stands for seq_from..seq (protocol.md §2.3).
    if ((frame.seq_from ?? frame.seq) > this.lastSeq + 1) return "gap";
    return "new";
  }

  accept(frame) {
    // After room.reset the new epoch may begin a few events later: the server still sends what
    // the reset itself caused (a facilitator's `moderation`, everyone else's `hidden`) in the old
    // one. So a reset is expected until an event of a new epoch has arrived.
    if (frame.event === "room.reset") this.expectNewEpoch = true;
    else if (frame.epoch !== this.epoch) this.expectNewEpoch = false;
    this.lastSeq = frame.seq;
    this.epoch = frame.epoch;
  }

  /** Events up to `seq` are a resume's replay, not live (their timestamps are old). */
  replaying(frame) {
    return frame.seq <= this.replayUntil;
  }
}

/**
 * The server's clock, estimated from event timestamps. `ts` is stamped before the frame
 * travels, so `ts - now` underestimates the offset by the latency: the largest recent sample
 * is the best estimate.
 */
export class ServerClock {
  constructor(samples = 20, localNow = Date.now) {
    this.samples = samples;
    this.localNow = localNow;
    this.offsets = [];
  }

  note(ts) {
    this.offsets.push(ts - this.localNow());
    if (this.offsets.length > this.samples) this.offsets.shift();
  }

  /** How far the server's clock is ahead of ours, in ms. */
  offset() {
    return this.offsets.length ? Math.max(...this.offsets) : 0;
  }

  now() {
    return this.localNow() + this.offset();
  }
}
