// The conversation: messages (plain text only), this page's own notes, redacted places, with
// reactions counted per distinct member and a small menu per message (react, report, remove for
// facilitators). The list follows the state with keyedList: a message's node is rebuilt only
// when what it shows by structure changes (its author's badge, my role), and its reactions are
// patched in place so an open menu stays open.

import { h, fill, setText, keyedList, changed } from "../dom.js";
import { t, timeOfDay } from "../i18n.js";
import { REACTIONS } from "../reducer.js";
import { isFacilitator, member, reportNote } from "../selectors.js";

const NEAR_BOTTOM_PX = 80;

export function mount(root, ctx) {
  const list = root.querySelector("#messages");
  const empty = root.querySelector("#messages-empty");
  // Stay with the newest message unless the reader scrolled up, also when the list changes
  // size (a round panel appears, the window is resized).
  let pinned = true;
  const toEnd = () => {
    list.scrollTop = list.scrollHeight;
    pinned = true;
  };
  list.addEventListener("scroll", () => {
    pinned = list.scrollHeight - list.scrollTop - list.clientHeight < NEAR_BOTTOM_PX;
  });
  new ResizeObserver(() => pinned && toEnd()).observe(list);

  const render = (item) => renderItem(item, ctx);
  return function update(state, prev) {
    if (!changed(prev, state, (s) => s.messages, (s) => s.members, (s) => s.myId, (s) => s.observer, (s) => s.armed)) return;
    const stick = pinned;
    const fac = isFacilitator(state);
    const items = state.messages.map((m) => view(state, m, fac));
    keyedList(list, items, { key: (i) => i.key, render, same: (a, b) => a.shape === b.shape, patch: patchReactions });
    empty.hidden = items.length > 0;
    if (stick) toEnd();
  };
}

/** What one row shows; `shape` changes when the row must be rebuilt rather than patched. */
function view(state, m, fac) {
  if (m.kind !== "message") return { key: m.key, m, shape: m.kind };
  const author = member(state, m.from);
  const mine = m.from === state.myId;
  const menu = { react: !state.observer, report: !state.observer && !mine, remove: fac };
  const badge = author?.role === "facilitator";
  const armed = state.armed === `remove-${m.mid}`;
  return { key: m.key, m, mine, badge, menu, armed, myId: state.myId, shape: `${mine} ${badge} ${menu.react} ${menu.report} ${menu.remove} ${m.note ?? ""}` };
}

function renderItem(item, ctx) {
  const m = item.m;
  if (m.kind === "note") return h("li", { class: "msg system", dataset: { testid: "note" } }, h("p", {}, t(m.label, m.params)));
  if (m.kind === "redacted") return h("li", { class: "msg system redacted" }, h("p", {}, t("messages.redacted")));
  const { toggle, panel } = menu(item, ctx);
  const li = h("li", { class: item.mine ? "msg mine" : "msg", id: `msg-${m.mid}`, dataset: { testid: "message", mid: m.mid } },
    h("div", { class: "msg-head" },
      h("span", { class: "msg-name" }, item.mine ? t("people.you", { name: m.name }) : m.name),
      item.badge ? h("span", { class: "badge tiny", dataset: { testid: "facilitator-badge" } }, t("badge.facilitator")) : null,
      h("time", { class: "msg-time", datetime: new Date(m.ts).toISOString() }, timeOfDay(m.ts)),
      toggle),
    body(m),
    h("p", { class: "msg-reactions", hidden: true, dataset: { testid: "reactions" } }),
    panel);
  patchReactions(li, item);
  return li;
}

/** The text; under a content note, folded until the reader opens it (protocol.md §3.2). */
function body(m) {
  const text = h("p", { class: "msg-text" }, m.text);
  if (!m.note) return text;
  return h("details", { class: "content-note", dataset: { testid: "content-noted" } },
    h("summary", {}, t("messages.note", { note: m.note }), " ", h("span", { class: "muted small" }, t("messages.note.open"))),
    text);
}

function patchReactions(li, item) {
  const remove = li.querySelector("[data-remove]");
  if (remove) setText(remove, t(item.armed ? "messages.remove.confirm" : "messages.remove"));
  const line = li.querySelector(".msg-reactions");
  if (!line) return;
  const reactions = item.m.reactions;
  const chips = REACTIONS.filter((r) => reactions[r]?.length).map((r) => h("span", {
    class: reactions[r].includes(item.myId) ? "chip mine" : "chip",
    dataset: { reaction: r, count: reactions[r].length },
  }, t("reaction.count", { reaction: t(`reaction.${r}`), count: reactions[r].length })));
  fill(line, chips);
  line.hidden = chips.length === 0;
  for (const button of li.querySelectorAll("button[data-reaction]")) {
    button.setAttribute("aria-pressed", String(reactions[button.dataset.reaction]?.includes(item.myId) ?? false));
  }
}

function menu(item, ctx) {
  const { m } = item;
  if (!item.menu.react && !item.menu.remove) return { toggle: h("span", { class: "msg-more", hidden: true }), panel: null };
  const status = h("p", { class: "inline-error", "aria-live": "polite" });
  const panel = h("div", { class: "msg-menu", id: `menu-${m.mid}`, hidden: true });
  const toggle = h("button", {
    type: "button", class: "quiet small msg-more", "aria-expanded": "false", "aria-controls": panel.id,
    "aria-label": t("messages.menu.label", { name: m.name }), dataset: { key: `more-${m.mid}` },
  }, t("messages.menu"));
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
  const react = (r) => {
    // Pressing a reaction you already gave takes it back.
    const given = ctx.store.getState().messages.find((x) => x.mid === m.mid)?.reactions[r]?.includes(item.myId) ?? false;
    ctx.act("react", { mid: m.mid, reaction: r, on: !given }, status);
  };
  const reactions = item.menu.react ? h("div", { class: "reaction-buttons", role: "group", "aria-label": t("messages.reactions") },
    REACTIONS.map((r) => h("button", {
      type: "button", class: "chip-button", "aria-pressed": "false", dataset: { reaction: r, key: `react-${m.mid}-${r}` },
      onclick: () => react(r),
    }, t(`reaction.${r}`)))) : null;
  fill(panel,
    reactions,
    item.menu.report ? reportForm(m, status, ctx) : null,
    item.menu.remove ? removeButton(m, status, ctx) : null,
    status);
  return { toggle, panel };
}

function reportForm(m, status, ctx) {
  const reasonId = `report-reason-${m.mid}`;
  const open = h("button", { type: "button", class: "quiet small" }, t("report.open"));
  const form = h("form", { class: "report-form", hidden: true },
    h("label", { for: reasonId }, t("report.reason")),
    h("input", { id: reasonId, type: "text", maxlength: "200", autocomplete: "off" }),
    h("div", { class: "row" },
      h("button", { type: "submit", class: "secondary small" }, t("report.send")),
      h("button", { type: "button", class: "quiet small", onclick: () => { form.hidden = true; open.hidden = false; open.focus(); } }, t("action.cancel"))));
  open.addEventListener("click", () => {
    form.hidden = false;
    open.hidden = true;
    form.querySelector("input").focus();
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const ack = await ctx.act("report", { mid: m.mid, reason: form.querySelector("input").value.trim() }, status);
    if (ack) {
      form.hidden = true;
      open.hidden = false;
      // Where it went, truthfully: the facilitators here, or the on-call queue (issue 14).
      setText(status, t(reportNote(ack)));
      open.focus();
    }
  });
  return h("div", { class: "report" }, open, form);
}

function removeButton(m, status, ctx) {
  // Two presses: the first arms it (state.armed, for a few seconds), the second removes the
  // message for everyone.
  const key = `remove-${m.mid}`;
  return h("button", {
    type: "button", class: "quiet small danger", dataset: { remove: m.mid },
    onclick: () => {
      if (ctx.store.getState().armed !== key) {
        ctx.arm(key);
        return;
      }
      ctx.store.dispatch({ type: "disarm", key });
      ctx.act("message.remove", { mid: m.mid }, status);
    },
  }, t("messages.remove"));
}
