// The composer and a member's own controls (hand, pass, done sharing, listen-only).
// When posting is not possible the composer says why, in words, right under the text box.

import { h, fill, setText, timeOfDay, keepFocus } from "./render.js";

export class Composer {
  constructor({ model, conn, act }) {
    this.model = model;
    this.conn = conn;
    this.act = act;
    this.form = document.getElementById("composer");
    this.text = document.getElementById("composer-text");
    this.send = document.getElementById("composer-send");
    this.reason = document.getElementById("composer-reason");
    this.error = document.getElementById("composer-error");
    this.controls = document.getElementById("my-controls");
    this.controlsStatus = h("p", { class: "inline-error", "aria-live": "polite" });
    this.slowUntil = 0;
    this.sending = false;
    this.ticker = null;
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this._post();
    });
    this.text.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this._post();
      }
    });
  }

  reset() {
    this.slowUntil = 0;
    setText(this.error, "");
    setText(this.controlsStatus, "");
    this.controlsSignature = null;
    const max = this.conn.hello?.max_text_chars;
    if (max) this.text.maxLength = max;
    this.render();
  }

  /** Why I cannot post right now: {text, hard} (hard: the text box itself is disabled). */
  blocked() {
    const model = this.model;
    const meeting = model.meeting;
    const me = model.me;
    const state = this.conn.state;
    if (state !== "connected") {
      return { hard: false, text: state === "closed" || state === "idle"
        ? "You're not in the room any more."
        : "Reconnecting. You can keep writing; send once we're back." };
    }
    if (model.observer) {
      return { hard: true, text: "You're listening as an observer, so you can't post. To take part, leave and join as a member." };
    }
    if (!me) return { hard: true, text: "You're not seated in this room." };
    if (me.muted_until && me.muted_until > this.conn.serverNow()) {
      return { hard: true, text: `A facilitator has paused your messages until ${timeOfDay(me.muted_until)}.` };
    }
    if (me.listen_only) {
      return { hard: true, text: meeting?.paused_room
        ? "The room is paused, so everyone is listening for now."
        : "You're in listen-only mode. Turn it off below when you'd like to post." };
    }
    const facilitator = me.role === "facilitator";
    if (meeting?.mode === "listen_only" && !facilitator) {
      return { hard: true, text: "This is a listening room right now; only the facilitators post." };
    }
    const floor = meeting?.round?.floor;
    if (meeting?.mode === "round" && !facilitator && floor?.member !== me.id) {
      const place = (meeting.hands ?? []).indexOf(me.id) + 1;
      const next = place ? ` You're number ${place} in the queue.` : " Raise your hand to join the queue.";
      return { hard: true, text: floor
        ? `It's ${model.name(floor.member)}'s turn to share.${next}`
        : `A share round is running. You can post when it's your turn.${place ? "" : next}` };
    }
    const wait = this.slowUntil - Date.now();
    if (wait > 0 && !facilitator) {
      return { hard: false, text: `Slow mode is on: you can post again in ${Math.ceil(wait / 1000)} s.` };
    }
    return null;
  }

  render() {
    const block = this.blocked();
    this.text.disabled = Boolean(block?.hard);
    this.send.disabled = Boolean(block) || this.sending;
    setText(this.reason, block?.text ?? "");
    this.reason.hidden = !block;
    this.form.classList.toggle("is-blocked", Boolean(block));
    this._renderControls();
    this._tickIfNeeded();
  }

  _tickIfNeeded() {
    const muted = this.model.me?.muted_until;
    const ticking = this.slowUntil > Date.now() || (muted && muted > this.conn.serverNow());
    if (ticking && !this.ticker) {
      this.ticker = setInterval(() => this.render(), 1000);
    } else if (!ticking && this.ticker) {
      clearInterval(this.ticker);
      this.ticker = null;
    }
  }

  async _post() {
    const text = this.text.value.trim();
    if (!text || this.sending) return;
    const block = this.blocked();
    if (block) {
      setText(this.error, "");
      this.reason.hidden = false;
      return;
    }
    this.sending = true;
    this.render();
    try {
      const ack = await this.act("post", { text }, this.error, (err) => {
        if (err.retryAfterMs) this.slowUntil = Date.now() + err.retryAfterMs;
      });
      if (ack) {
        this.text.value = "";
        const slow = this.model.meeting?.slow_seconds ?? 0;
        if (slow > 0 && !this.model.isFacilitator) this.slowUntil = Date.now() + slow * 1000;
      }
    } finally {
      this.sending = false;
      this.render();
    }
  }

  _renderControls() {
    const model = this.model;
    const me = model.me;
    if (model.observer || !me) {
      this.controlsSignature = null;
      fill(this.controls, h("p", { class: "muted" }, model.observer
        ? "You're here as an observer: nobody sees your name, and you can listen as long as you like."
        : ""));
      return;
    }
    const meeting = model.meeting;
    const hands = meeting?.hands ?? [];
    const handUp = hands.includes(me.id);
    const floor = meeting?.round?.floor;
    const speaking = floor?.member === me.id;
    const online = this.conn.state === "connected";
    const signature = JSON.stringify([me.listen_only, me.role, handUp, speaking, online, meeting?.mode,
      Boolean(meeting?.round), meeting?.paused_room]);
    if (signature === this.controlsSignature) return;
    this.controlsSignature = signature;
    const status = this.controlsStatus;
    const buttons = [];
    if (!speaking) {
      buttons.push(h("button", {
        type: "button",
        class: handUp ? "secondary" : "primary soft",
        dataset: { key: "hand" },
        disabled: !online || (!handUp && (me.listen_only || meeting?.mode === "listen_only")),
        onclick: () => this.act(handUp ? "hand.lower" : "hand.raise", {}, status),
      }, handUp ? "Lower hand" : "Raise hand"));
    }
    if (speaking) {
      buttons.push(h("button", {
        type: "button", class: "primary", dataset: { key: "done" }, disabled: !online,
        onclick: () => this.act("share.done", {}, status),
      }, "Done sharing"));
    }
    if (speaking || (handUp && meeting?.round)) {
      buttons.push(h("button", {
        type: "button", class: "secondary", dataset: { key: "pass" }, disabled: !online,
        onclick: () => this.act("pass", {}, status),
      }, "Pass this time"));
    }
    buttons.push(h("button", {
      type: "button",
      class: "quiet",
      dataset: { key: "listen" },
      "aria-pressed": String(Boolean(me.listen_only)),
      disabled: !online || (meeting?.paused_room && me.listen_only),
      onclick: () => this.act("listen_only.set", { on: !me.listen_only }, status),
    }, "Listen only"));
    keepFocus(this.controls, () => fill(this.controls, h("div", { class: "row" }, buttons), status),
      () => this.controls.querySelector("button:not([disabled])"));
  }
}
