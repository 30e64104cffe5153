// The console's private conversations (the crisis lane, docs/protocol.md §3.7, §9): one card
// per conversation this staff member is in, with its messages, a composer and "End". Hidden
// while there is none. What the other person writes is announced politely by console/app.js.
// Messages live in the page's state only, never in storage.

import { h, setText, keyedList, changed } from "../dom.js";
import { t, errorText, timeOfDay } from "../i18n.js";
import { conversations } from "./selectors.js";

export function mount(doc, ctx) {
  const panel = doc.getElementById("talk-panel");
  const list = doc.getElementById("talk-list");
  return function update(state, prev) {
    if (!changed(prev, state, (s) => s.conversations, (s) => s.rooms)) return;
    const all = conversations(state);
    panel.hidden = all.length === 0;
    const nodes = keyedList(list, all, {
      key: (c) => c.id,
      same: (a, b) => a.id === b.id,
      render: (c) => card(c, ctx),
    });
    for (const c of all) patch(nodes.get(c.id), state, c);
  };
}

function card(c, ctx) {
  const title = h("h3", { id: `talk-${c.id}-title` });
  const log = h("ol", { class: "console-talk", dataset: { part: "log" }, tabindex: "0", "aria-labelledby": title.id });
  const text = h("textarea", { id: `talk-${c.id}-text`, rows: "2", dataset: { key: `talk-text-${c.id}` } });
  const error = h("p", { class: "inline-error", "aria-live": "polite", dataset: { part: "error" } });
  const form = h("form", { class: "stack", dataset: { part: "form" }, novalidate: true },
    h("label", { for: text.id }, t("console.talk.label")),
    h("div", { class: "row" }, text,
      h("button", { type: "submit", class: "primary", dataset: { key: `talk-send-${c.id}` } }, t("console.talk.send"))),
    error,
    h("button", { type: "button", class: "quiet", dataset: { key: `talk-end-${c.id}` }, onclick: () => ctx.endTalk(c.id, error) }, t("console.talk.end")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const words = text.value.trim();
    if (!words) return;
    setText(error, "");
    if (await ctx.sayTalk(c.id, words, error)) text.value = "";
    text.focus();
  });
  const ended = h("p", { class: "note", dataset: { part: "ended" }, hidden: true });
  return h("li", { class: "console-item", "aria-labelledby": title.id, dataset: { testid: "talk", conversation: c.id } },
    title, log, ended, form);
}

function patch(node, state, c) {
  const room = state.rooms[c.room]?.name ?? c.room ?? "";
  setText(node.querySelector("h3"), t("console.talk.with", { name: c.with, room }));
  const log = node.querySelector("[data-part=log]");
  keyedList(log, c.messages, {
    key: (m) => String(m.seq),
    render: (m) => h("li", { class: m.from === "me" ? "msg mine" : "msg" },
      h("p", { class: "msg-head" },
        h("span", { class: "msg-name" }, m.from === "me" ? t("console.talk.me") : m.name),
        h("span", { class: "msg-time" }, timeOfDay(m.ts)),
        m.earlier ? h("span", { class: "badge soft" }, t("console.talk.earlier")) : null),
      h("p", { class: "msg-text" }, m.text)),
  });
  const ended = node.querySelector("[data-part=ended]");
  ended.hidden = !c.ended;
  setText(ended, c.ended ? t(`console.talk.ended.${c.ended}`) : "");
  node.querySelector("[data-part=form]").hidden = Boolean(c.ended);
}

/** Show a refused message or end (by its code) under the conversation's composer. */
export function showError(status, err) {
  setText(status, err ? errorText(err) : "");
}
