// The lobby: the rooms (GET /api/rooms) and the join form.

import { h, fill, setText } from "./render.js";

const REFRESH_MS = 20_000;

export class Lobby {
  /**
   * @param {object} opts
   * @param {(fields: object, remember: boolean) => Promise<void>} opts.onJoin  throws ServerError
   * @param {() => object|null} opts.invite  {room, invite?, facilitator?} from the link, if any
   */
  constructor({ onJoin, invite }) {
    this.onJoin = onJoin;
    this.invite = invite;
    this.rooms = [];
    this.timer = null;
    this.list = document.getElementById("room-list");
    this.status = document.getElementById("rooms-status");
    this.form = document.getElementById("join-form");
    this.select = document.getElementById("join-room");
    this.name = document.getElementById("join-name");
    this.error = document.getElementById("join-error");
    this.submit = document.getElementById("join-submit");
    this.note = document.getElementById("invite-note");
    document.getElementById("rooms-refresh").addEventListener("click", () => this.refresh());
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      this._submit();
    });
    this.form.addEventListener("change", () => this._syncForm());
  }

  start() {
    this._showInvite();
    this.refresh();
    clearInterval(this.timer);
    this.timer = setInterval(() => this.refresh(), REFRESH_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }

  async refresh() {
    try {
      const response = await fetch("/api/rooms", { cache: "no-store" });
      if (!response.ok) throw new Error(String(response.status));
      this.rooms = await response.json();
      setText(this.status, "");
    } catch {
      setText(this.status, "We couldn't load the rooms just now. We'll try again in a moment.");
      return;
    }
    this._render();
  }

  _canJoin(room) {
    return room.access === "open" || this.invite?.room === room.slug && Boolean(this.invite.invite);
  }

  _render() {
    const chosen = this.select.value || this.invite?.room || this.rooms.find((r) => this._canJoin(r))?.slug;
    fill(this.list, this.rooms.map((room) => this._card(room)));
    fill(this.select, this.rooms.map((room) => h("option", {
      value: room.slug,
      disabled: !this._canJoin(room),
    }, room.access === "closed" && !this._canJoin(room) ? `${room.name} (invite only)` : room.name)));
    if (chosen) this.select.value = chosen;
    this._syncForm();
  }

  _card(room) {
    const present = room.members + room.observers;
    const closed = room.access === "closed";
    const badges = [
      closed ? h("span", { class: "badge" }, "Invite only") : h("span", { class: "badge soft" }, "Open"),
      room.self_led ? h("span", { class: "badge soft" }, "Self-led") : null,
      room.mode === "listen_only" ? h("span", { class: "badge soft" }, "Listening room") : null,
      room.round ? h("span", { class: "badge live" }, "Share round running") : null,
    ];
    const count = present === 0
      ? "Nobody here yet"
      : `${room.members} ${room.members === 1 ? "person" : "people"} here` +
        (room.observers ? `, ${room.observers} listening` : "");
    const action = this._canJoin(room)
      ? h("button", {
        type: "button",
        class: "secondary",
        "aria-label": `Join ${room.name}`,
        onclick: () => this.choose(room.slug),
      }, "Join")
      : h("p", { class: "muted small" }, "Needs an invite link from the people who run it.");
    return h("li", { class: "room-card", dataset: { slug: room.slug } },
      h("h3", {}, room.name),
      h("p", { class: "room-desc" }, room.description || ""),
      h("p", { class: "room-badges" }, badges),
      h("p", { class: "room-count" }, count),
      action);
  }

  /** Select a room in the form and move focus to the name field. */
  choose(slug) {
    this.select.value = slug;
    this._syncForm();
    (this._observer() ? this.submit : this.name).focus();
  }

  _observer() {
    return this.form.elements.role.value === "observer";
  }

  _syncForm() {
    const room = this.rooms.find((r) => r.slug === this.select.value);
    this.name.required = !this._observer();
    setText(this.submit, room ? `Join ${room.name}` : "Join");
  }

  _showInvite() {
    const invite = this.invite;
    this.note.hidden = !invite;
    if (!invite) return;
    setText(this.note, invite.facilitator
      ? "You're joining with a facilitator invite. Choose the name people will see."
      : invite.invite
        ? "You have an invite link for this room."
        : "");
    this.note.hidden = !(invite.facilitator || invite.invite);
  }

  async _submit() {
    setText(this.error, "");
    const room = this.select.value;
    const observer = this._observer();
    const name = this.name.value.trim();
    if (!room) {
      setText(this.error, "Choose a room first.");
      this.select.focus();
      return;
    }
    if (!observer && !name) {
      setText(this.error, "Choose a display name; any name you like.");
      this.name.focus();
      return;
    }
    const fields = { room, role: observer ? "observer" : "member", remember: this.form.elements.remember.checked };
    if (!observer || name) fields.name = name;
    const invite = this.invite?.room === room ? this.invite : null;
    if (invite?.invite) fields.invite = invite.invite;
    if (invite?.facilitator && !observer) fields.facilitator = invite.facilitator;
    this.submit.disabled = true;
    try {
      await this.onJoin(fields);
    } catch (err) {
      setText(this.error, err.message || "That didn't work; please try again.");
      (err.code === "invalid_name" || err.code === "name_taken" ? this.name : this.submit).focus();
    } finally {
      this.submit.disabled = false;
    }
  }
}
