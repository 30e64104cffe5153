// "Today is N days", opt-in and for this meeting only (protocol.md §3.6): a disclosure under my
// own controls, next to the turn alerts. A member marks a count (`milestone.set`), sees what they
// marked, and can take it back (`milestone.clear`). Nobody but facilitators sees it until it is
// celebrated; the celebration itself is a note in the timeline (effects.js).

import { h, fill, setText, keepFocus, changed } from "../dom.js";
import { t } from "../i18n.js";
import { milestoneControls } from "../selectors.js";

export const MAX_DAYS = 36_500;

export function mount(root, ctx) {
  const status = h("p", { class: "hint", "aria-live": "polite", dataset: { testid: "milestone-status" } });
  const days = h("input", {
    id: "milestone-days", type: "number", inputmode: "numeric", min: "1", max: String(MAX_DAYS), step: "1",
    autocomplete: "off", "aria-describedby": "milestone-hint",
  });
  const body = h("div", { class: "stack" });
  fill(root,
    h("summary", {}, t("milestone.title")),
    h("p", { class: "hint", id: "milestone-hint" }, t("milestone.hint")),
    body,
    status);

  async function mark(e) {
    e.preventDefault();
    const count = Number(days.value);
    if (!Number.isInteger(count) || count < 1 || count > MAX_DAYS) {
      setText(status, t("milestone.bad_days"));
      return;
    }
    if (await ctx.act("milestone.set", { days: count }, status)) {
      ctx.store.dispatch({ type: "milestone.mine", days: count });
      days.value = "";
    }
  }

  async function takeBack() {
    if (await ctx.act("milestone.clear", {}, status)) {
      ctx.store.dispatch({ type: "milestone.mine", days: null });
      setText(status, t("milestone.cleared"));
    }
  }

  const form = h("form", { class: "row end milestone-form" },
    h("div", { class: "field" }, h("label", { for: days.id }, t("milestone.days")), days),
    h("button", { type: "submit", class: "secondary small", dataset: { testid: "milestone-set" } }, t("milestone.set")));
  form.addEventListener("submit", mark);

  return function update(state, prev) {
    const c = milestoneControls(state);
    root.hidden = !c;
    if (!c || !changed(prev, state, (s) => s.myMilestone, (s) => s.conn, (s) => s.myId)) return;
    if (prev && prev.myMilestone !== state.myMilestone && state.myMilestone) setText(status, "");
    const mine = c.mine;
    keepFocus(body, () => fill(body, mine
      ? [h("p", { dataset: { testid: "milestone-mine" } },
        t("milestone.mine", { count: mine.days }), mine.celebrated ? ` ${t("milestone.celebrated.mine")}` : ""),
      h("button", { type: "button", class: "quiet small", disabled: !c.online, onclick: takeBack, dataset: { key: "milestone-clear" } },
        t("milestone.clear"))]
      : form), () => (mine ? body.querySelector("button") : days));
    for (const control of form.querySelectorAll("input,button")) control.disabled = !c.online;
  };
}
