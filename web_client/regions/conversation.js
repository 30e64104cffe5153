// One private conversation in the sheet (crisis.js places it): who can read it, the messages
// ("me" and "them"), a composer and the way out. The composer's text box lives as long as the
// conversation, so a half-written message survives every redraw; messages are a keyed list, so
// the reader's scroll position and focus are kept. New messages from the other side are said
// by effects.js (the announcer), not by a live region here, so nothing is read twice.

import { h, fill, setText, keyedList } from "../dom.js";
import { t, timeOfDay } from "../i18n.js";
import { endedBy, sayBlock, unanswered } from "../conversations.js";

const NEAR_BOTTOM_PX = 60;

/**
 * Views of conversations by id: `draw(root, foot, state, c)` fills `root` with conversation
 * `c`'s words and `foot` (outside the sheet's scrolling part, so it stays in view) with its
 * composer and its way out.
 */
export function createConversations(ctx) {
  const views = new Map(); // id -> {node, list, text, send, status, why, drawn}
  const view = (c) => {
    if (!views.has(c.id)) views.set(c.id, build(ctx, c.id));
    return views.get(c.id);
  };
  return {
    draw(root, foot, state, c) {
      const v = view(c);
      if (root.firstChild !== v.node) fill(root, v.node);
      if (foot.firstChild !== v.foot) fill(foot, v.foot);
      update(v, state, c);
    },
    /** Forget views of conversations that are gone. */
    prune(state) {
      for (const id of views.keys()) if (!state.conversations.some((c) => c.id === id)) views.delete(id);
    },
    focusComposer(id) {
      const v = views.get(id);
      if (v && !v.text.disabled) v.text.focus();
    },
  };
}

function build(ctx, id) {
  const textId = `conv-text-${id}`;
  const whyId = `conv-why-${id}`;
  const v = {
    id,
    who: h("p", { class: "conv-privacy hint", dataset: { testid: "conv-privacy" } }),
    list: h("ol", { class: "conv-messages", dataset: { testid: "conv-messages" } }),
    text: h("textarea", { id: textId, rows: "2", class: "conv-text", "aria-describedby": whyId }),
    send: h("button", { type: "submit", class: "primary small", dataset: { key: "conv-send", testid: "conv-send" } }),
    why: h("p", { id: whyId, class: "hint", dataset: { testid: "conv-why" } }),
    status: h("p", { class: "inline-error", "aria-live": "polite" }),
    end: h("button", { type: "button", class: "secondary small", dataset: { key: "conv-end", testid: "conv-end" } }),
    label: h("label", { for: textId, class: "visually-hidden" }),
    pinned: true,
    drawn: null,
  };
  // The sheet's body is what scrolls; stay with the newest message unless the reader scrolled up.
  const scroller = () => v.node.closest(".sheet-body");
  v.onScroll = () => {
    const box = scroller();
    if (box) v.pinned = box.scrollHeight - box.scrollTop - box.clientHeight < NEAR_BOTTOM_PX;
  };
  v.toEnd = () => {
    const box = scroller();
    if (box) box.scrollTop = box.scrollHeight;
  };
  const form = h("form", { class: "conv-composer", novalidate: true }, v.label,
    h("div", { class: "conv-row" }, v.text, v.send), v.why, v.status);
  const submit = () => say(ctx, v);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    submit();
  });
  v.text.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      submit();
    }
  });
  v.end.addEventListener("click", () => end(ctx, v));
  v.node = h("div", { class: "conversation", dataset: { testid: "conversation", conversation: id } }, v.who, v.list);
  v.foot = h("div", { class: "conversation-foot", dataset: { testid: "conversation-foot" } }, form, h("div", { class: "row" }, v.end));
  return v;
}

async function say(ctx, v) {
  const body = v.text.value.trim();
  if (!body || v.send.disabled) return;
  v.send.disabled = true;
  const ack = await ctx.act("conversation.say", { conversation: v.id, text: body }, v.status);
  v.send.disabled = false;
  if (ack) v.text.value = "";
  v.text.focus();
}

async function end(ctx, v) {
  const c = ctx.store.getState().conversations.find((x) => x.id === v.id);
  if (!c) return;
  if (c.status === "ended") {
    ctx.store.dispatch({ type: "conversation.dismiss", id: v.id });
    ctx.store.dispatch({ type: "sheet", open: false });
    ctx.focusTalk?.();
    return;
  }
  // The crisis lane before anyone answered is "I'm OK for now": it withdraws the request.
  const cancel = c.kind === "crisis" && c.status !== "answered";
  const ack = await ctx.act(cancel ? "crisis.cancel" : "conversation.end", { conversation: v.id }, v.status);
  if (ack) ctx.store.dispatch({ type: "conversation.closed", id: v.id });
}

/** Who can read it, and for how long: said every time, as SAFETY-NET asks of a private word. */
function privacyText(c) {
  if (c.kind === "crisis") return t(c.with ? "conv.privacy.crisis" : "conv.privacy.crisis.waiting", { name: c.with });
  return t(c.mine ? "conv.privacy.word.mine" : "conv.privacy.word.theirs", { name: c.with });
}

function endLabel(c) {
  if (c.status === "ended") return t("conv.close");
  if (c.kind === "crisis" && c.status !== "answered") return t("lane.ok");
  return t(c.kind === "word" && !c.mine ? "conv.decline" : "conv.end");
}

function update(v, state, c) {
  const block = sayBlock(state, c);
  const shape = [c.status, c.reason, c.with, c.messages, c.mine, block, state.myId].map((x) => (typeof x === "object" ? x : String(x)));
  if (v.drawn && shape.every((x, i) => x === v.drawn[i])) return;
  v.drawn = shape;
  setText(v.who, privacyText(c));
  setText(v.label, t("conv.label", { name: c.with || t("conv.someone") }));
  v.text.placeholder = t("conv.placeholder");
  v.text.rows = unanswered(c) ? 1 : 2; // while waiting the numbers above need the room
  setText(v.send, t("conv.send"));
  v.text.disabled = Boolean(block) && block !== "reconnecting";
  v.send.disabled = Boolean(block);
  const by = endedBy(c);
  const why = block
    ? by ? t(`conv.ended.${by}`, { name: c.with || t("conv.someone") }) : t(`conv.why.${block}`)
    : unanswered(c) ? t("conv.hint.waiting") : "";
  setText(v.why, why);
  v.why.hidden = !why;
  setText(v.end, endLabel(c));
  v.list.setAttribute("aria-label", t("conv.messages", { name: c.with || t("conv.someone") }));
  const stick = v.pinned;
  keyedList(v.list, c.messages, { key: (m) => m.seq, render: (m) => message(m) });
  v.list.hidden = c.messages.length === 0;
  const box = v.node.closest(".sheet-body");
  if (box && box !== v.box) {
    v.box?.removeEventListener("scroll", v.onScroll);
    box.addEventListener("scroll", v.onScroll);
    v.box = box;
  }
  // Only new messages move the view: the resources above stay in sight until there is talk.
  if (stick && c.messages.length > (v.shown ?? 0)) v.toEnd();
  v.shown = c.messages.length;
}

function message(m) {
  const mine = m.from === "me";
  return h("li", { class: mine ? "conv-msg mine" : "conv-msg", dataset: { testid: "conv-message", from: m.from } },
    h("p", { class: "msg-head" },
      h("span", { class: "msg-name" }, mine ? t("conv.me") : m.name),
      typeof m.ts === "number" ? h("time", { class: "msg-time", datetime: new Date(m.ts).toISOString() }, timeOfDay(m.ts)) : null),
    h("p", { class: "msg-text" }, m.text));
}
