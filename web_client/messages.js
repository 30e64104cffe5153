// The message list: plain text only, reactions counted per distinct member, removed messages
// hidden for everyone, and a small per-message menu (react, report, remove for facilitators).

import { h, fill, setText, timeOfDay } from "./render.js";
import { REACTIONS } from "./model.js";

const LABELS = { heart: "Heart", thanks: "Thanks", hug: "Hug", strength: "Strength", same: "Same here" };
const NEAR_BOTTOM_PX = 80;

export class MessageList {
  constructor({ model, act }) {
    this.model = model;
    this.act = act; // (type, fields, statusElement) -> Promise<ack|null>
    this.list = document.getElementById("messages");
    this.empty = document.getElementById("messages-empty");
    this.items = new Map(); // mid -> li
    // Stay with the newest message unless the reader scrolled up, also when the list changes
    // size (a round panel appears, the window is resized).
    this.pinned = true;
    this.list.addEventListener("scroll", () => {
      this.pinned = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < NEAR_BOTTOM_PX;
    });
    new ResizeObserver(() => this.pinned && this.scrollToEnd()).observe(this.list);
  }

  reset() {
    fill(this.list);
    this.items.clear();
    for (const message of this.model.messages.values()) this._append(message);
    this._syncEmpty();
    this.scrollToEnd();
  }

  /** A quiet line in the flow of the conversation (round started, history note...). */
  note(text) {
    this._stick(() => this.list.appendChild(h("li", { class: "msg system" }, h("p", {}, text))));
    this._syncEmpty();
  }

  add(message) {
    if (this.items.has(message.mid)) return;
    this._stick(() => this._append(message));
    this._syncEmpty();
  }

  update(message) {
    const li = this.items.get(message.mid);
    if (li) this._renderReactions(li, message);
  }

  remove(mid) {
    const li = this.items.get(mid);
    if (!li) return;
    const hadFocus = li.contains(document.activeElement);
    li.remove();
    this.items.delete(mid);
    this._syncEmpty();
    if (hadFocus) this.list.focus();
  }

  /** Roles changed (facilitator or not): rebuild the menus. */
  refreshMenus() {
    for (const [mid, li] of this.items) {
      const message = this.model.messages.get(mid);
      if (!message || message.redacted) continue;
      const { toggle, panel } = this._menu(message);
      li.querySelector(".msg-more")?.replaceWith(toggle);
      li.querySelector(".msg-menu")?.remove();
      if (panel) li.appendChild(panel);
      this._renderReactions(li, message);
    }
  }

  scrollToEnd() {
    this.list.scrollTop = this.list.scrollHeight;
    this.pinned = true;
  }

  _stick(fn) {
    fn();
    if (this.pinned) this.scrollToEnd();
  }

  _syncEmpty() {
    this.empty.hidden = this.list.children.length > 0;
  }

  _append(message) {
    if (message.removed) return;
    if (message.redacted) {
      const li = h("li", { class: "msg system redacted" }, h("p", {}, "Message removed."));
      this.items.set(message.mid, li);
      this.list.appendChild(li);
      return;
    }
    const mine = message.from === this.model.myId;
    const author = this.model.members.get(message.from);
    const { toggle, panel } = this._menu(message);
    const li = h("li", { class: mine ? "msg mine" : "msg", id: `msg-${message.mid}` },
      h("div", { class: "msg-head" },
        h("span", { class: "msg-name" }, mine ? `${message.name} (you)` : message.name),
        author?.role === "facilitator" ? h("span", { class: "badge tiny" }, "facilitator") : null,
        h("time", { class: "msg-time", datetime: new Date(message.ts).toISOString() }, timeOfDay(message.ts)),
        toggle),
      h("p", { class: "msg-text" }, message.text),
      h("p", { class: "msg-reactions", hidden: true }),
      panel);
    this.items.set(message.mid, li);
    this._renderReactions(li, message);
    this.list.appendChild(li);
  }

  _renderReactions(li, message) {
    const line = li.querySelector(".msg-reactions");
    if (!line) return;
    const chips = REACTIONS.filter((r) => message.reactions.get(r)?.size).map((r) => {
      const count = message.reactions.get(r).size;
      const mine = message.reactions.get(r).has(this.model.myId);
      return h("span", { class: mine ? "chip mine" : "chip" }, `${LABELS[r]} ${count}`);
    });
    fill(line, chips);
    line.hidden = chips.length === 0;
    for (const button of li.querySelectorAll("button[data-reaction]")) {
      const given = message.reactions.get(button.dataset.reaction)?.has(this.model.myId) ?? false;
      button.setAttribute("aria-pressed", String(given));
    }
  }

  _menu(message) {
    const model = this.model;
    const canReact = !model.observer;
    const canReport = !model.observer && message.from !== model.myId;
    const canRemove = model.isFacilitator;
    if (!canReact && !canRemove) return { toggle: h("span", { class: "msg-more", hidden: true }), panel: null };
    const status = h("p", { class: "inline-error", "aria-live": "polite" });
    const panel = h("div", { class: "msg-menu", id: `menu-${message.mid}`, hidden: true });
    const toggle = h("button", {
      type: "button",
      class: "quiet small msg-more",
      "aria-expanded": "false",
      "aria-controls": panel.id,
      "aria-label": `React to ${message.name}'s message, or more`,
    }, "React…");
    const close = () => {
      panel.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
    };
    toggle.addEventListener("click", () => {
      const open = panel.hidden;
      panel.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
      if (open) panel.querySelector("button")?.focus();
    });
    panel.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        close();
        toggle.focus();
      }
    });
    const reactions = canReact ? h("div", { class: "reaction-buttons", role: "group", "aria-label": "Reactions" },
      REACTIONS.map((r) => h("button", {
        type: "button",
        class: "chip-button",
        "aria-pressed": "false",
        dataset: { reaction: r },
        onclick: () => this._react(message, r, status),
      }, LABELS[r]))) : null;
    fill(panel,
      reactions,
      canReport ? this._reportForm(message, status) : null,
      canRemove ? this._removeButton(message, status) : null,
      status);
    return { toggle, panel };
  }

  async _react(message, reaction, status) {
    // Pressing a reaction you already gave takes it back.
    const given = message.reactions.get(reaction)?.has(this.model.myId) ?? false;
    await this.act("react", { mid: message.mid, reaction, on: !given }, status);
  }

  _reportForm(message, status) {
    const reasonId = `report-reason-${message.mid}`;
    const form = h("form", { class: "report-form", hidden: true },
      h("label", { for: reasonId }, "What's wrong? (optional, only facilitators see it)"),
      h("input", { id: reasonId, type: "text", maxlength: "200", autocomplete: "off" }),
      h("div", { class: "row" },
        h("button", { type: "submit", class: "secondary small" }, "Send report"),
        h("button", { type: "button", class: "quiet small", onclick: () => { form.hidden = true; open.hidden = false; open.focus(); } }, "Cancel")));
    const open = h("button", {
      type: "button",
      class: "quiet small",
      onclick: () => {
        form.hidden = false;
        open.hidden = true;
        form.querySelector("input").focus();
      },
    }, "Report to facilitators");
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const reason = form.querySelector("input").value.trim();
      const ack = await this.act("report", { mid: message.mid, reason }, status);
      if (ack) {
        form.hidden = true;
        open.hidden = false;
        setText(status, "Thank you. The facilitators have your report.");
        open.focus();
      }
    });
    return h("div", { class: "report" }, open, form);
  }

  _removeButton(message, status) {
    let armed = false;
    let timer = null;
    const button = h("button", { type: "button", class: "quiet small danger" }, "Remove message");
    button.addEventListener("click", async () => {
      if (!armed) {
        armed = true;
        setText(button, "Remove for everyone?");
        timer = setTimeout(() => {
          armed = false;
          setText(button, "Remove message");
        }, 6000);
        return;
      }
      clearTimeout(timer);
      await this.act("message.remove", { mid: message.mid }, status);
    });
    return button;
  }
}
