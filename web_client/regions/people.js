// Who is here: members by name (facilitator badge, away, hand raised, listen-only, muted),
// observers only as a count. A big room's join brings one page of the list; the rest is read
// with members.page while the list shows (protocol.md §3.1). Facilitators get an "Options" button on each person, which opens
// that person's actions right under them (memberactions.js).

import { h, fill, keepFocus, changed } from "../dom.js";
import { t } from "../i18n.js";
import { floorMember, hands, isFacilitator, isMuted } from "../selectors.js";
import { createMemberActions } from "./memberactions.js";

const mutedIds = (s) => s.members.filter((m) => isMuted(s, m)).map((m) => m.id).join(" ");

export function mount(root, ctx) {
  const actions = createMemberActions(ctx);
  ctx.focusMemberActions = () => queueMicrotask(() => actions.box.querySelector("button,select,input")?.focus());
  return function update(state, prev) {
    const fac = isFacilitator(state);
    if (fac) actions.draw(state);
    if (state.membersNext != null) ctx.pageMembers?.(state.membersNext); // shown: read the rest
    if (!changed(prev, state, (s) => s.members, (s) => s.meeting, (s) => s.observers, (s) => s.myId, mutedIds, (s) => s.selected)) return;
    const raised = hands(state);
    const holder = floorMember(state);
    const rows = state.members.map((m) => {
      const me = m.id === state.myId;
      const open = fac && !me && state.selected === m.id;
      const tags = [
        m.role === "facilitator" ? h("span", { class: "badge" }, t("badge.facilitator")) : null,
        m.id === holder ? h("span", { class: "tag speaking" }, t("people.sharing")) : null,
        raised.includes(m.id) ? h("span", { class: "tag hand" }, t("people.hand", { place: raised.indexOf(m.id) + 1 })) : null,
        m.away ? h("span", { class: "tag" }, t("people.away")) : null,
        m.listen_only ? h("span", { class: "tag" }, t("people.listening")) : null,
        isMuted(state, m) ? h("span", { class: "tag" }, t("people.muted")) : null,
      ];
      return h("li", { class: m.away ? "person away" : "person", dataset: { testid: "person", member: m.id } },
        h("span", { class: "person-name" }, me ? t("people.you", { name: m.name }) : m.name),
        h("span", { class: "person-tags" }, tags),
        fac && !me ? h("button", {
          type: "button", class: "quiet small", "aria-label": t("people.options.label", { name: m.name }),
          "aria-expanded": String(open), dataset: { key: `options-${m.id}` },
          onclick: () => ctx.chooseMember(open ? null : m.id),
        }, t("people.options")) : null,
        open ? actions.box : null);
    });
    keepFocus(root, () => fill(root,
      h("h2", { id: "people-title" }, t("people.title", { count: Math.max(state.memberCount, state.members.length) })),
      rows.length ? h("ul", { class: "people-list" }, rows) : h("p", { class: "muted" }, t("people.none")),
      h("p", { class: "muted observer-count", dataset: { testid: "observer-count", count: state.observers } },
        t("people.observers", { count: state.observers }))));
  };
}
