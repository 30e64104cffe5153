// Who is here: members by name (facilitator badge, away, hand raised, listen-only, muted),
// observers only as a count.

import { h, fill } from "./render.js";

export class PeopleList {
  constructor({ model, conn, onSelect }) {
    this.model = model;
    this.conn = conn;
    this.onSelect = onSelect; // facilitators: open the actions for a member
    this.root = document.getElementById("people");
  }

  render() {
    const model = this.model;
    const hands = model.meeting?.hands ?? [];
    const floor = model.meeting?.round?.floor?.member;
    const now = this.conn.serverNow();
    const members = [...model.members.values()];
    const rows = members.map((m) => {
      const me = m.id === model.myId;
      const tags = [
        m.role === "facilitator" ? h("span", { class: "badge" }, "facilitator") : null,
        m.id === floor ? h("span", { class: "tag speaking" }, "sharing") : null,
        hands.includes(m.id) ? h("span", { class: "tag hand" }, `hand raised (${hands.indexOf(m.id) + 1})`) : null,
        m.away ? h("span", { class: "tag" }, "away") : null,
        m.listen_only ? h("span", { class: "tag" }, "listening") : null,
        m.muted_until && m.muted_until > now ? h("span", { class: "tag" }, "muted") : null,
      ];
      const canAct = model.isFacilitator && !me && this.onSelect;
      return h("li", { class: m.away ? "person away" : "person" },
        h("span", { class: "person-name" }, me ? `${m.name} (you)` : m.name),
        h("span", { class: "person-tags" }, tags),
        canAct ? h("button", {
          type: "button",
          class: "quiet small",
          "aria-label": `Facilitator options for ${m.name}`,
          onclick: () => this.onSelect(m.id),
        }, "Options") : null);
    });
    const observers = model.observers;
    fill(this.root,
      h("h2", { id: "people-title" }, `Here now (${members.length})`),
      rows.length ? h("ul", { class: "people-list" }, rows) : h("p", { class: "muted" }, "Nobody is seated yet."),
      h("p", { class: "muted observer-count" }, observers === 0
        ? "No observers."
        : `${observers} ${observers === 1 ? "person is" : "people are"} listening as observers.`));
  }
}
