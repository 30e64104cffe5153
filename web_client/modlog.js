// The facilitators' log: moderation actions, reports and raid alerts (protocol.md §4.4).
// Moderation entries never carry message text; a report does, because that is its purpose.

import { h, fill, timeOfDay, durationWords } from "./render.js";

const MAX_SHOWN = 100;

const ACTIONS = {
  mute: "muted",
  unmute: "unmuted",
  "listen_only.assign": "changed listen-only for",
  remove: "removed",
  ban: "banned",
  "message.remove": "removed a message",
  "lock.set": "set the room lock",
  "slow.set": "set slow mode",
  "facilitator.add": "made a co-facilitator:",
  "facilitator.handover": "handed facilitation to",
  "lobby.set": "set the waiting room",
  "lobby.admit": "let in",
  "lobby.deny": "turned away someone waiting",
  "room.pause": "paused the room",
  "room.unpause": "unpaused the room",
  "room.reset": "cleared the room's history",
  "mode.set": "changed the room mode",
  "queue.move": "reordered the queue:",
  "queue.remove": "took out of the queue:",
};

export class ModLog {
  constructor(model) {
    this.model = model;
    this.list = h("ol", { class: "modlog", "aria-labelledby": "fac-log" });
    this.empty = h("p", { class: "muted small" }, "Nothing yet. Actions, reports and alerts appear here.");
    this.root = h("section", { class: "fac-section", "aria-labelledby": "fac-log" },
      h("h3", { id: "fac-log" }, "Log"),
      this.empty,
      this.list);
  }

  /** Add one entry (newest first), or redraw them all when `entry` is undefined. */
  render(entry) {
    if (entry === undefined) {
      fill(this.list, [...this.model.modlog].reverse().slice(0, MAX_SHOWN).map((e) => this._item(e)));
    } else {
      this.list.prepend(this._item(entry));
      while (this.list.children.length > MAX_SHOWN) this.list.lastChild.remove();
    }
    this.empty.hidden = this.list.children.length > 0;
  }

  _item(entry) {
    const when = h("time", { class: "msg-time" }, timeOfDay(entry.ts));
    if (entry.kind === "report") {
      return h("li", { class: "log-report" },
        when, " ",
        h("strong", {}, "Report"), ` from ${this.model.name(entry.from)} about ${entry.about_name}`,
        entry.reason ? `: ${entry.reason}` : "",
        h("blockquote", { class: "reported" }, entry.text));
    }
    if (entry.kind === "raid") {
      return h("li", { class: "log-raid" }, when, " ",
        h("strong", {}, "Many newcomers at once"),
        ` (${entry.joins} in ${durationWords(entry.window_seconds * 1000)}). The waiting room and slow mode are on; ` +
        "turn them off when it's calm again.");
    }
    const who = entry.by ? this.model.name(entry.by) : "The room itself";
    const verb = ACTIONS[entry.action] ?? entry.action;
    const target = entry.target ? ` ${this.model.name(entry.target)}` : "";
    const extra = [];
    if (entry.until) extra.push(`until ${timeOfDay(entry.until)}`);
    if (typeof entry.value === "boolean") extra.push(entry.value ? "on" : "off");
    else if (typeof entry.value === "number" && entry.action === "slow.set") {
      extra.push(entry.value ? durationWords(entry.value * 1000) : "off");
    } else if (typeof entry.value === "string" && entry.action === "mode.set") extra.push(entry.value.replace("_", "-"));
    return h("li", {}, when, " ", `${who} ${verb}${target}`, extra.length ? ` (${extra.join(", ")})` : "", ".");
  }
}
