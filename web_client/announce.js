// One polite live region for things worth saying out loud (effects.js decides what): new
// messages and turn changes, never presence blips. Bursts of messages are summed up instead of
// read one by one.

import { t } from "./i18n.js";

const FLUSH_MS = 350;
const MAX_ITEMS = 3;

export class Announcer {
  constructor(region) {
    this.region = region;
    this.queue = [];
    this.timer = null;
  }

  /** kind "message" items are summed up when many arrive at once. */
  say(text, kind = "note") {
    this.queue.push({ text, kind });
    if (!this.timer) this.timer = setTimeout(() => this.flush(), FLUSH_MS);
  }

  flush() {
    this.timer = null;
    const items = this.queue;
    this.queue = [];
    const messages = items.filter((i) => i.kind === "message");
    const notes = items.filter((i) => i.kind !== "message").map((i) => i.text);
    const parts = messages.length > MAX_ITEMS
      ? [t("announce.burst", { count: messages.length }), ...notes]
      : items.map((i) => i.text);
    if (!parts.length) return;
    // Clearing first makes a repeated sentence count as new for screen readers.
    this.region.textContent = "";
    requestAnimationFrame(() => {
      this.region.textContent = parts.join(" ");
    });
  }
}
