// The facilitator panel, shown only while my role is `facilitator` (it can change with
// member.updated). Forms keep their typed values across updates: only the parts that depend on
// the meeting are rebuilt, and keepFocus puts the keyboard focus back where it was.

import { h, fill, setText, keepFocus } from "./render.js";
import { ModLog } from "./modlog.js";

const SHARE_TIMES = [[30, "30 seconds"], [60, "1 minute"], [120, "2 minutes"], [180, "3 minutes"],
  [300, "5 minutes"], [600, "10 minutes"], [1200, "20 minutes"]];
const MUTE_TIMES = [[60, "1 minute"], [300, "5 minutes"], [900, "15 minutes"], [3600, "1 hour"], [86400, "24 hours"]];
const BAN_TIMES = [[3600, "1 hour"], [86400, "24 hours"], [604800, "7 days"]];
const SLOW_TIMES = [[0, "Off"], [10, "10 seconds"], [30, "30 seconds"], [60, "1 minute"], [300, "5 minutes"]];

let uid = 0;
const nextId = (name) => `fac-${name}-${++uid}`;

function labelled(label, control) {
  control.id ||= nextId("field");
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control);
}

function select(options, value) {
  const node = h("select", {}, options.map(([v, text]) => h("option", { value: String(v) }, text)));
  node.value = String(value);
  return node;
}

function button(text, onclick, extra = {}) {
  return h("button", { type: "button", class: "secondary small", onclick, ...extra }, text);
}

export class FacilitatorPanel {
  constructor({ model, act }) {
    this.model = model;
    this.act = act;
    this.root = document.getElementById("facilitator-panel");
    this.selected = null;
    this.signatures = {};
    this._build();
  }

  /** True when `value` differs from what section `name` was last drawn from. */
  _changed(name, value) {
    const signature = JSON.stringify(value);
    if (this.signatures[name] === signature) return false;
    this.signatures[name] = signature;
    return true;
  }

  _build() {
    this.roundStatus = h("p", { class: "inline-error", "aria-live": "polite" });
    this.peopleStatus = h("p", { class: "inline-error", "aria-live": "polite" });
    this.roomStatus = h("p", { class: "inline-error", "aria-live": "polite" });

    // open a round (kept, so a half-typed topic survives updates)
    this.topic = h("input", { type: "text", maxlength: "200", autocomplete: "off" });
    this.shareTime = select(SHARE_TIMES, 180);
    this.order = select([["hands", "Raised hands, first come first served"], ["round_robin", "Everyone present, in turn"]], "hands");
    this.openForm = h("form", { class: "stack" },
      labelled("Topic (optional)", this.topic),
      labelled("Time per share", this.shareTime),
      labelled("Order", this.order),
      h("button", { type: "submit", class: "primary small" }, "Open share round"));
    this.openForm.addEventListener("submit", (e) => {
      e.preventDefault();
      this.act("round.open", {
        topic: this.topic.value.trim(),
        share_seconds: Number(this.shareTime.value),
        order: this.order.value,
      }, this.roundStatus).then((ack) => {
        if (ack) this.topic.value = "";
      });
    });
    this.roundControls = h("div", { class: "row wrap" });
    this.queueBox = h("div", {});

    // people
    this.memberSelect = h("select", { onchange: () => this._select(this.memberSelect.value || null) });
    this.muteTime = select(MUTE_TIMES, 300);
    this.removeReason = h("input", { type: "text", maxlength: "200", autocomplete: "off" });
    this.banTime = select(BAN_TIMES, 86400);
    this.banReason = h("input", { type: "text", maxlength: "200", autocomplete: "off" });
    this.memberActions = h("div", { class: "stack" });

    // room
    this.slowTime = select(SLOW_TIMES, 0);
    this.roomToggles = h("div", { class: "row wrap" });
    this.waitingBox = h("div", {});
    this.resetButton = button("Clear the room's history", () => this._reset(), { class: "quiet small danger" });

    this.log = new ModLog(this.model);

    fill(this.root,
      h("h2", { id: "fac-title" }, "Facilitator tools"),
      h("section", { class: "fac-section", "aria-labelledby": "fac-round" },
        h("h3", { id: "fac-round" }, "Share round"),
        this.openForm, this.roundControls, this.queueBox, this.roundStatus),
      h("section", { class: "fac-section", "aria-labelledby": "fac-people" },
        h("h3", { id: "fac-people" }, "People"),
        labelled("Member", this.memberSelect),
        this.memberActions, this.peopleStatus),
      h("section", { class: "fac-section", "aria-labelledby": "fac-room" },
        h("h3", { id: "fac-room" }, "Room"),
        this.roomToggles,
        h("div", { class: "row end" }, labelled("Slow mode", this.slowTime),
          button("Set slow mode", () => this.act("slow.set", { seconds: Number(this.slowTime.value) }, this.roomStatus))),
        this.waitingBox,
        this.resetButton,
        this.roomStatus),
      this.log.root);
  }

  /** Called by the people list's "Options" buttons. */
  focusMember(id) {
    this._select(id);
    this.memberSelect.focus();
  }

  render() {
    const show = this.model.isFacilitator;
    this.root.hidden = !show;
    if (!show) {
      this.signatures = {};
      return;
    }
    this._renderRound();
    this._renderQueue();
    this._renderPeople();
    this._renderRoom();
    this._renderWaiting();
  }

  renderLog(entry) {
    if (this.model.isFacilitator) this.log.render(entry);
  }

  _renderRound() {
    const round = this.model.meeting?.round;
    this.openForm.hidden = Boolean(round);
    if (!this._changed("round", [Boolean(round), Boolean(round?.floor), round?.paused])) return;
    keepFocus(this.roundControls, () => {
      if (!round) {
        fill(this.roundControls);
        return;
      }
      const floor = round.floor;
      const s = this.roundStatus;
      fill(this.roundControls,
        floor ? button("Extend by 1 minute", () => this.act("share.extend", { seconds: 60 }, s), { dataset: { key: "extend" } }) : null,
        floor ? button("Skip this share", () => this.act("share.skip", {}, s), { dataset: { key: "skip" } }) : null,
        round.paused
          ? button("Resume round", () => this.act("round.resume", {}, s), { dataset: { key: "pause" } })
          : button("Pause round", () => this.act("round.pause", {}, s), { dataset: { key: "pause" } }),
        button("End round", () => this.act("round.end", {}, s), { dataset: { key: "end" } }));
    }, () => this.topic);
  }

  _renderQueue() {
    const model = this.model;
    const floor = model.meeting?.round?.floor?.member;
    const queue = (model.meeting?.hands ?? []).filter((id) => id !== floor);
    const s = this.roundStatus;
    if (!this._changed("queue", [queue.map((id) => [id, model.name(id)]), model.meeting?.hands, Boolean(model.meeting?.round)])) return;
    keepFocus(this.queueBox, () => {
      if (!queue.length) {
        fill(this.queueBox);
        return;
      }
      fill(this.queueBox,
        h("h4", { id: "fac-queue-title" }, model.meeting?.round ? "Queue" : "Raised hands"),
        h("ol", { class: "fac-queue", "aria-labelledby": "fac-queue-title" }, queue.map((id, i) => {
          const name = model.name(id);
          const position = model.meeting.hands.indexOf(id);
          return h("li", {},
            h("span", { class: "person-name" }, name),
            h("span", { class: "row tight" },
              button("Up", () => this.act("queue.move", { member: id, position: position - 1 }, s), {
                "aria-label": `Move ${name} up`, disabled: i === 0, dataset: { key: `up-${id}` },
              }),
              button("Down", () => this.act("queue.move", { member: id, position: position + 1 }, s), {
                "aria-label": `Move ${name} down`, disabled: i === queue.length - 1, dataset: { key: `down-${id}` },
              }),
              button("Remove", () => this.act("queue.remove", { member: id }, s), {
                "aria-label": `Remove ${name} from the queue`, dataset: { key: `out-${id}` },
              })));
        })));
    }, () => this.roundControls.querySelector("button"));
  }

  _select(id) {
    this.selected = id;
    this._renderPeople();
  }

  _renderPeople() {
    const model = this.model;
    const others = [...model.members.values()].filter((m) => m.id !== model.myId);
    if (this.selected && !model.members.has(this.selected)) this.selected = null;
    const options = [h("option", { value: "" }, others.length ? "Choose someone" : "Nobody else is here"),
      ...others.map((m) => h("option", { value: m.id }, m.away ? `${m.name} (away)` : m.name))];
    const same = this.memberSelect.options.length === options.length &&
      options.every((o, i) => this.memberSelect.options[i].value === o.value && this.memberSelect.options[i].text === o.text);
    if (!same) fill(this.memberSelect, options);
    this.memberSelect.value = this.selected ?? "";
    const chosen = this.selected ? model.members.get(this.selected) : null;
    if (!this._changed("member", chosen ?? null)) return;
    keepFocus(this.memberActions, () => fill(this.memberActions, this._memberActions()), () => this.memberSelect);
  }

  _memberActions() {
    const model = this.model;
    const m = this.selected ? model.members.get(this.selected) : null;
    if (!m) return h("p", { class: "muted small" }, "Choose a member to mute, move to listen-only, remove or ban.");
    const s = this.peopleStatus;
    const id = m.id;
    if (m.role === "facilitator") {
      return [h("p", { class: "muted small" }, `${m.name} is a facilitator too.`),
        button(`Hand facilitation over to ${m.name}`, () => this.act("facilitator.handover", { member: id }, s), { dataset: { key: "handover" } })];
    }
    const muted = m.muted_until && m.muted_until > Date.now();
    return [
      h("div", { class: "row end" },
        muted ? null : labelled("Mute for", this.muteTime),
        muted
          ? button(`Unmute ${m.name}`, () => this.act("unmute", { member: id }, s), { dataset: { key: "mute" } })
          : button(`Mute ${m.name}`, () => this.act("mute", { member: id, seconds: Number(this.muteTime.value) }, s), { dataset: { key: "mute" } })),
      button(m.listen_only ? `Let ${m.name} speak again` : `Move ${m.name} to listen-only`,
        () => this.act("listen_only.assign", { member: id, on: !m.listen_only }, s), { dataset: { key: "listen" } }),
      h("div", { class: "row end" },
        labelled("Reason (only facilitators see it)", this.removeReason),
        button(`Remove ${m.name}`, () => this.act("remove", { member: id, reason: this.removeReason.value.trim() }, s),
          { class: "secondary small danger", dataset: { key: "remove" } })),
      h("div", { class: "row end" },
        labelled("Ban for", this.banTime),
        labelled("Reason", this.banReason),
        button(`Ban ${m.name}`, () => this.act("ban", {
          member: id, seconds: Number(this.banTime.value), reason: this.banReason.value.trim(),
        }, s), { class: "secondary small danger", dataset: { key: "ban" } })),
      h("div", { class: "row wrap" },
        button(`Make ${m.name} a co-facilitator`, () => this.act("facilitator.add", { member: id }, s), { dataset: { key: "cofac" } }),
        button(`Hand facilitation over to ${m.name}`, () => this.act("facilitator.handover", { member: id }, s), { dataset: { key: "handover" } })),
    ];
  }

  _renderRoom() {
    const meeting = this.model.meeting ?? {};
    const s = this.roomStatus;
    const toggle = (key, label, on, command, fields) => h("button", {
      type: "button",
      class: "secondary small",
      "aria-pressed": String(Boolean(on)),
      dataset: { key },
      onclick: () => this.act(command, fields, s),
    }, label);
    if (document.activeElement !== this.slowTime) this.slowTime.value = String(meeting.slow_seconds ?? 0);
    if (!this.slowTime.value) this.slowTime.value = "0";
    if (!this._changed("room", [meeting.base_mode, meeting.locked, meeting.lobby, meeting.paused_room])) return;
    keepFocus(this.roomToggles, () => fill(this.roomToggles,
      toggle("mode", "Listening room", meeting.base_mode === "listen_only", "mode.set",
        { mode: meeting.base_mode === "listen_only" ? "open" : "listen_only" }),
      toggle("lock", "Lock room", meeting.locked, "lock.set", { on: !meeting.locked }),
      toggle("lobby", "Waiting room", meeting.lobby, "lobby.set", { on: !meeting.lobby }),
      toggle("pause", "Pause room", meeting.paused_room, meeting.paused_room ? "room.unpause" : "room.pause", {})));
  }

  _renderWaiting() {
    const waiting = [...this.model.waiting.entries()];
    const s = this.roomStatus;
    if (!this._changed("waiting", waiting)) return;
    keepFocus(this.waitingBox, () => fill(this.waitingBox, waiting.length
      ? [h("h4", { id: "fac-waiting-title" }, "Waiting to come in"),
        h("ul", { class: "fac-queue", "aria-labelledby": "fac-waiting-title" }, waiting.map(([ticket, name]) => h("li", {},
          h("span", { class: "person-name" }, name),
          h("span", { class: "row tight" },
            button("Let in", () => this.act("lobby.admit", { ticket }, s), { "aria-label": `Let in ${name}`, dataset: { key: `in-${ticket}` } }),
            button("Turn away", () => this.act("lobby.deny", { ticket }, s), { "aria-label": `Turn away ${name}`, dataset: { key: `away-${ticket}` } })))))]
      : null), () => this.roomToggles.querySelector("button"));
  }

  _reset() {
    if (!this.resetArmed) {
      this.resetArmed = true;
      setText(this.resetButton, "Clear it for everyone? Press again");
      this.resetTimer = setTimeout(() => {
        this.resetArmed = false;
        setText(this.resetButton, "Clear the room's history");
      }, 6000);
      return;
    }
    clearTimeout(this.resetTimer);
    this.resetArmed = false;
    setText(this.resetButton, "Clear the room's history");
    this.act("room.reset", {}, this.roomStatus);
  }
}
