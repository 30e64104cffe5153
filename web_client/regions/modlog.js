// The facilitators' log: moderation actions, reports and raid alerts (protocol.md §4.4), newest
// first. Moderation entries never carry message text; a report does, because that is its purpose.

import { h, keyedList, changed } from "../dom.js";
import { t, currentLocale, duration, timeOfDay } from "../i18n.js";
import { nameOf } from "../selectors.js";

const MAX_SHOWN = 100;

export function mount(root) {
  const list = h("ol", { class: "modlog", "aria-labelledby": "fac-log", dataset: { testid: "modlog" } });
  const empty = h("p", { class: "muted small" }, t("log.empty"));
  root.append(h("h3", { id: "fac-log" }, t("log.title")), empty, list);
  return function update(state, prev) {
    if (!changed(prev, state, (s) => s.modlog)) return;
    const entries = [...state.modlog].reverse().slice(0, MAX_SHOWN);
    keyedList(list, entries, { key: (e) => e.key, render: (e) => item(state, e) });
    empty.hidden = entries.length > 0;
  };
}

const name = (state, id) => nameOf(state, id) ?? t("person.left");

function item(state, entry) {
  const when = h("time", { class: "msg-time" }, timeOfDay(entry.ts));
  if (entry.kind === "report") {
    const key = entry.reason ? "log.report.reason" : "log.report";
    return h("li", { class: "log-report" }, when, " ",
      t(key, { from: name(state, entry.from), about: entry.about_name, reason: entry.reason }),
      h("blockquote", { class: "reported" }, entry.text));
  }
  if (entry.kind === "raid") {
    return h("li", { class: "log-raid" }, when, " ",
      h("strong", {}, t("log.raid.title")), " ",
      t("log.raid", { joins: entry.joins, window: duration(entry.window_seconds * 1000) }));
  }
  const params = {
    by: entry.by ? name(state, entry.by) : t("log.room_itself"),
    target: entry.target ? name(state, entry.target) : "",
  };
  const action = t(`log.action.${entry.action}`, params);
  return h("li", { dataset: { action: entry.action } }, when, " ", detail(action, entry));
}

function detail(action, entry) {
  const extra = [];
  if (entry.until) extra.push(t("log.until", { time: timeOfDay(entry.until) }));
  if (typeof entry.value === "boolean") extra.push(entry.value ? t("log.on") : t("log.off"));
  else if (typeof entry.value === "number" && entry.action === "slow.set") {
    extra.push(entry.value ? duration(entry.value * 1000) : t("log.off"));
  } else if (typeof entry.value === "string" && entry.action === "mode.set") extra.push(t(`mode.${entry.value}`));
  return extra.length ? t("log.entry.detail", { action, detail: new Intl.ListFormat(currentLocale(), { type: "unit" }).format(extra) }) : t("log.entry", { action });
}
