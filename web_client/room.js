// The room screen: feeds connection events into the model and the model's changes into the
// views, and decides what is worth announcing to screen readers (messages and turns, not
// presence blips).

import { setText } from "./render.js";
import { RoomModel } from "./model.js";
import { MessageList } from "./messages.js";
import { RoundPanel } from "./round.js";
import { PeopleList } from "./people.js";
import { Composer } from "./composer.js";
import { FacilitatorPanel } from "./facilitator.js";

const ROLE_WORDS = { facilitator: "a facilitator", member: "a member" };

export class RoomView {
  constructor({ conn, announcer }) {
    this.conn = conn;
    this.announcer = announcer;
    this.model = new RoomModel();
    this.title = document.getElementById("room-title");
    this.desc = document.getElementById("room-desc");
    this.historyNote = document.getElementById("history-note");
    const act = (type, fields, status, onError) => this.act(type, fields, status, onError);
    this.messages = new MessageList({ model: this.model, act });
    this.round = new RoundPanel({ model: this.model, conn });
    this.facilitator = new FacilitatorPanel({ model: this.model, act });
    this.people = new PeopleList({ model: this.model, conn, onSelect: (id) => this.facilitator.focusMember(id) });
    this.composer = new Composer({ model: this.model, conn, act });
    this.model.addEventListener("change", (e) => this._onChange(e.detail));
    conn.addEventListener("snapshot", (e) => this._onSnapshot(e.detail));
    conn.addEventListener("resumed", (e) => this.model.loadResume(e.detail.ack));
    conn.addEventListener("event", (e) => this._onEvent(e.detail));
    conn.addEventListener("state", () => this.composer.render());
  }

  /**
   * Send a command; on refusal show the server's own words in `status` (calmly, inline).
   * Resolves with the ack, or null when refused.
   */
  async act(type, fields, status, onError) {
    if (status) setText(status, "");
    try {
      return await this.conn.command(type, fields);
    } catch (err) {
      if (status) setText(status, err.message || "That didn't work; please try again.");
      onError?.(err);
      return null;
    }
  }

  /** Before a stored session resumes: an empty room that says it is getting ready. */
  placeholder(slug) {
    this.model.clear();
    setText(this.title, "Coming back in…");
    setText(this.desc, slug);
    this.historyNote.hidden = true;
    this.messages.reset();
  }

  leave() {
    this.model.clear();
    this.round.render();
  }

  focusStart() {
    const text = this.composer.text;
    if (!text.disabled) text.focus();
    else this.title.focus();
  }

  _onSnapshot({ ack, reason }) {
    const hadHistory = this.model.messages.size > 0 || reason === "resync";
    this.model.loadSnapshot(ack, { keepHistory: false });
    if (reason === "resync" && hadHistory) {
      const text = "Earlier messages are no longer available. You're back, and everything from here on will show.";
      setText(this.historyNote, text);
      this.historyNote.hidden = false;
      this.announcer.say("You're reconnected. Earlier messages are no longer available.");
    } else {
      this.historyNote.hidden = true;
    }
  }

  _onEvent({ frame }) {
    this.model.apply(frame);
    this._announce(frame);
  }

  _renderAll() {
    const room = this.model.room;
    setText(this.title, room?.name ?? "Room");
    setText(this.desc, room?.description ?? "");
    this.messages.reset();
    this.round.render();
    this.people.render();
    this.composer.reset();
    this.facilitator.render();
    this.facilitator.renderLog();
  }

  _onChange(change) {
    switch (change.what) {
      case "snapshot":
        this._renderAll();
        return;
      case "message":
        this.messages.add(change.message);
        return;
      case "reaction":
        this.messages.update(change.message);
        return;
      case "removed":
        this.messages.remove(change.mid);
        return;
      case "reset":
        this.messages.reset();
        this.messages.note("A facilitator cleared the room's history.");
        return;
      case "me": {
        if (change.before?.role !== change.member.role) this.messages.refreshMenus();
        this._renderPeopleAndMe();
        this._announceMe(change.before ?? {}, change.member);
        return;
      }
      case "joined":
      case "members":
      case "left":
      case "observers":
        this._renderPeopleAndMe();
        return;
      case "meeting":
        this.round.render();
        this._renderPeopleAndMe();
        return;
      case "share.warning":
      case "share.extended":
        this.round.render();
        return;
      case "round.opened":
        this.messages.note(change.frame.topic ? `A share round began: ${change.frame.topic}` : "A share round began.");
        return;
      case "round.ended":
        this.messages.note("The share round ended.");
        return;
      case "modlog":
        this.facilitator.renderLog(change.entry);
        return;
      case "waiting":
        this.facilitator.render();
        return;
      default:
    }
  }

  _renderPeopleAndMe() {
    this.people.render();
    this.composer.render();
    this.facilitator.render();
  }

  _announce(frame) {
    const model = this.model;
    const say = (text, kind) => this.announcer.say(text, kind);
    const mine = (id) => id === model.myId;
    switch (frame.event) {
      case "chat.message":
        if (!mine(frame.from)) say(`${frame.name}: ${frame.text.slice(0, 300)}`, "message");
        break;
      case "floor.granted":
        say(mine(frame.member) ? "It's your turn to share. Take your time." : `${model.name(frame.member)} has the floor.`);
        break;
      case "share.warning":
        say(mine(frame.member) ? "About 30 seconds left in your share." : `About 30 seconds left in ${model.name(frame.member)}'s share.`);
        break;
      case "round.opened":
        say(frame.topic ? `A share round began. The topic is: ${frame.topic}.` : "A share round began.");
        break;
      case "round.ended":
        say("The share round ended.");
        break;
      case "round.paused":
        say("The round is paused.");
        break;
      case "round.resumed":
        say("The round continues.");
        break;
      case "report.filed":
        say("A member filed a report. It's in the facilitator log.");
        break;
      case "raid.alert":
        say("Many newcomers arrived at once. The waiting room and slow mode are now on.");
        break;
      case "lobby.waiting":
        say(`${frame.name} is waiting to come in.`);
        break;
      default:
    }
  }

  /** Say what changed about me, in words (role, mute, listen-only). */
  _announceMe(before, after) {
    const parts = [];
    if (before.role && before.role !== after.role) parts.push(`You are now ${ROLE_WORDS[after.role] ?? after.role} in this room.`);
    if (before.muted_until !== after.muted_until) {
      parts.push(after.muted_until ? "A facilitator paused your messages for a while." : "You can post again.");
    }
    if (before.listen_only !== undefined && before.listen_only !== after.listen_only) {
      parts.push(after.listen_only ? "You're in listen-only mode now." : "You're no longer in listen-only mode.");
    }
    if (parts.length) this.announcer.say(parts.join(" "));
  }
}
