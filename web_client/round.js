// The share round everyone sees: the topic, who holds the floor, a countdown, and the queue.
// The countdown runs from `floor.ends_at` against the server's clock as estimated from event
// timestamps (Connection.serverNow), so every page counts down together.

import { h, fill, setText, clockText, durationWords } from "./render.js";

const TICK_MS = 250;

export class RoundPanel {
  constructor({ model, conn }) {
    this.model = model;
    this.conn = conn;
    this.root = document.getElementById("round-panel");
    this.timer = null;
    this.countdown = null;
  }

  render() {
    const round = this.model.meeting?.round;
    this.root.hidden = !round;
    if (!round) {
      this._stopTicking();
      fill(this.root);
      return;
    }
    const floor = round.floor;
    const model = this.model;
    const holder = floor ? model.name(floor.member) : null;
    const mine = floor && floor.member === model.myId;
    let who;
    if (round.paused) who = "The round is paused for a moment.";
    else if (!floor) who = round.queue.length ? "The next person is about to begin." : "The floor is open. Raise your hand to share.";
    else if (mine) who = "It's your turn to share. Take your time.";
    else who = `${holder} is sharing.`;

    this.countdown = floor
      ? h("p", {
        class: "countdown",
        role: "timer",
        "aria-live": "off",
        "aria-label": mine ? "Time left in your share" : `Time left in ${holder}'s share`,
      }, this._remainingText(round))
      : null;
    const warning = this.model.warning && floor && this.model.warning.member === floor.member
      ? h("p", { class: "gentle-note" }, mine
        ? "About 30 seconds left. There's no rush to stop mid-sentence."
        : `About 30 seconds left in ${holder}'s share.`)
      : null;
    const queue = round.queue.filter((id) => !floor || id !== floor.member);
    fill(this.root,
      h("div", { class: "round-head" },
        h("h2", { id: "round-title" }, "Share round"),
        h("p", { class: "round-meta" },
          `${durationWords(round.share_seconds * 1000)} each`,
          round.order === "round_robin" ? ", everyone in turn" : ", in order of raised hands",
          round.paused ? " (paused)" : "")),
      round.topic ? h("p", { class: "round-topic" }, h("span", { class: "muted" }, "Topic: "), round.topic) : null,
      h("div", { class: floor ? (mine ? "floor mine" : "floor") : "floor open" },
        h("p", { class: "floor-who" }, who),
        this.countdown),
      warning,
      h("div", { class: "queue-row" },
        h("h3", { class: "queue-title", id: "queue-title" }, queue.length ? "Up next:" : "Nobody waiting"),
        queue.length
          ? h("ol", { class: "queue", "aria-labelledby": "queue-title" },
            queue.map((id) => h("li", { class: id === model.myId ? "mine" : null },
              id === model.myId ? `${model.name(id)} (you)` : model.name(id))))
          : null));
    if (floor && !round.paused) this._startTicking();
    else this._stopTicking();
  }

  _remainingText(round) {
    const floor = round.floor;
    const ms = round.paused ? floor.remaining_ms : floor.ends_at - this.conn.serverNow();
    return clockText(ms);
  }

  _startTicking() {
    if (this.timer) return;
    this.timer = setInterval(() => {
      const round = this.model.meeting?.round;
      if (!round?.floor || !this.countdown) return;
      setText(this.countdown, this._remainingText(round));
    }, TICK_MS);
  }

  _stopTicking() {
    clearInterval(this.timer);
    this.timer = null;
  }
}
