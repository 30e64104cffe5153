// Fairness at a glance, for facilitators (protocol.md §4.5): who has not shared yet, who has
// (how often, for how long) and who passed, by the names people chose here; then the milestones
// members marked, each with Celebrate. Built from the `fairness` tally and the milestones the
// server sends facilitators only (tending.js); it holds no message text and goes with the meeting.

import { h, fill, keepFocus, changed } from "../dom.js";
import { t, duration } from "../i18n.js";
import { fairness, floorMember, milestonesMarked } from "../selectors.js";

export function mount(root, ctx) {
  const status = h("p", { class: "inline-error", "aria-live": "polite" });
  return function update(state, prev) {
    const view = fairness(state);
    root.hidden = !view;
    if (!view) return;
    if (!changed(prev, state, (s) => s.tending, (s) => s.members, (s) => s.conn, (s) => s.myId, floorMember)) return;
    const marked = milestonesMarked(state);
    const holder = floorMember(state);
    keepFocus(root, () => fill(root,
      h("h2", { id: "tending-title" }, t("tending.title")),
      h("p", { class: "muted small" }, t("tending.hint")),
      h("h3", { id: "tending-not-yet" }, t("tending.not_yet")),
      view.notYet.length
        ? h("ul", { class: "tending-list", "aria-labelledby": "tending-not-yet", dataset: { testid: "not-yet" } },
          view.notYet.map((r) => row(r, holder)))
        : h("p", { class: "muted small" }, t("tending.everyone_shared")),
      h("h3", { id: "tending-shared" }, t("tending.shared")),
      view.shared.length
        ? h("ul", { class: "tending-list", "aria-labelledby": "tending-shared", dataset: { testid: "shared" } },
          view.shared.map((r) => row(r, holder)))
        : h("p", { class: "muted small" }, t("tending.nobody_shared")),
      h("h3", { id: "tending-milestones" }, t("tending.milestones")),
      marked.length
        ? h("ul", { class: "tending-list", "aria-labelledby": "tending-milestones", dataset: { testid: "milestones" } },
          marked.map((m) => milestoneRow(m, view.online, ctx, status)))
        : h("p", { class: "muted small" }, t("tending.milestones.none")),
      status), () => root.querySelector("h2"));
  };
}

function row(r, holder) {
  const facts = [
    r.shares ? t("tending.row.shared", { count: r.shares, time: duration(r.shareMs) }) : null,
    r.passes ? t("tending.row.passes", { count: r.passes }) : null,
  ].filter(Boolean);
  return h("li", { class: "tending-row", dataset: { testid: "turns", member: r.id } },
    h("span", { class: "person-name" }, r.name),
    r.id === holder ? h("span", { class: "tag speaking" }, t("people.sharing")) : null,
    facts.length ? h("span", { class: "muted small" }, facts.join(" · ")) : null);
}

function milestoneRow(m, online, ctx, status) {
  const label = t("tending.milestone", { name: m.name, count: m.days });
  return h("li", { class: "tending-row", dataset: { testid: "marked", member: m.member } },
    h("span", {}, label),
    m.celebrated ? h("span", { class: "tag" }, t("tending.celebrated")) : null,
    h("button", {
      type: "button", class: m.celebrated ? "quiet small" : "secondary small", disabled: !online,
      "aria-label": t("tending.celebrate.label", { name: m.name }), dataset: { key: `celebrate-${m.member}` },
      onclick: () => ctx.act("milestone.celebrate", { member: m.member }, status),
    }, t("tending.celebrate")));
}
