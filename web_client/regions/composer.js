// The composer and a member's own controls (hand, pass, done sharing, listen-only). When
// posting is not possible the composer says why, in words, right under the text box; the why
// is selectors.postBlock, on the store's one clock (a mute or slow mode counts down by itself).

import { h, fill, setText, keepFocus, changed } from "../dom.js";
import { t, timeOfDay } from "../i18n.js";
import { isFacilitator, me, myControls, postBlock } from "../selectors.js";

export function mount(root, ctx) {
  const form = root.querySelector("#composer");
  const text = root.querySelector("#composer-text");
  const send = root.querySelector("#composer-send");
  const reason = root.querySelector("#composer-reason");
  const error = root.querySelector("#composer-error");
  const controls = root.querySelector("#my-controls");
  const controlsStatus = h("p", { class: "inline-error", "aria-live": "polite" });
  let lastBlock = null;

  const render = () => {
    const state = ctx.store.getState();
    const block = postBlock(state);
    lastBlock = block;
    text.disabled = Boolean(block?.hard);
    send.disabled = Boolean(block) || state.sending;
    setText(reason, block ? blockText(block) : "");
    reason.hidden = !block;
    reason.dataset.reason = block?.reason ?? "";
    form.classList.toggle("is-blocked", Boolean(block));
  };

  async function post() {
    const body = text.value.trim();
    if (!body || ctx.store.getState().sending) return;
    if (lastBlock) {
      setText(error, "");
      reason.hidden = false;
      return;
    }
    ctx.store.dispatch({ type: "sending", on: true });
    try {
      const note = ctx.contentNote?.() ?? ""; // a share's content note (contentnote.js)
      const ack = await ctx.act("post", note ? { text: body, note } : { text: body }, error, (err) => {
        if (err.retryAfterMs) ctx.slowFor(err.retryAfterMs);
      });
      const state = ctx.store.getState();
      if (ack) {
        text.value = "";
        const slow = state.meeting?.slow_seconds ?? 0;
        if (slow > 0 && !isFacilitator(state)) ctx.slowFor(slow * 1000);
      }
    } finally {
      ctx.store.dispatch({ type: "sending", on: false });
    }
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    post();
  });
  text.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      post();
    }
  });

  return function update(state, prev) {
    if (changed(prev, state, (s) => s.room)) {
      setText(error, "");
      setText(controlsStatus, "");
    }
    if (changed(prev, state, (s) => s.hello) && state.hello?.max_text_chars) text.maxLength = state.hello.max_text_chars;
    const block = postBlock(state);
    if (!prev || state.sending !== prev.sending || !sameBlock(block, lastBlock)) render();
    if (changed(prev, state, (s) => s.members, (s) => s.meeting, (s) => s.conn, (s) => s.myId, (s) => s.observer, (s) => s.armed)) {
      renderControls(controls, controlsStatus, state, ctx);
    }
  };
}

function sameBlock(a, b) {
  if (!a || !b) return a === b;
  return a.reason === b.reason && a.hard === b.hard && Object.keys(a.params).every((k) => a.params[k] === b.params[k]);
}

function blockText({ reason, params }) {
  if (reason === "muted") return t("composer.blocked.muted", { time: timeOfDay(params.until) });
  if (reason === "turn" || reason === "round") {
    const key = `composer.blocked.${reason}.${params.place ? "queued" : "raise"}`;
    return t(key, { name: params.name ?? t("person.someone"), place: params.place });
  }
  return t(`composer.blocked.${reason}`, params);
}

function renderControls(root, status, state, ctx) {
  const c = myControls(state);
  if (!c) {
    fill(root, h("p", { class: "muted" }, state.observer ? t("controls.observer") : ""));
    return;
  }
  const button = (key, cls, label, command, fields, extra = {}) => h("button", {
    type: "button", class: cls, dataset: { key, testid: `my-${key}` }, onclick: () => ctx.act(command, fields, status), ...extra,
  }, label);
  const confirming = c.hand?.opensRound && state.armed === "hand-first";
  const raise = () => {
    // In a self-led room the first hand opens the round and starts my share at once: ask first.
    if (c.hand.opensRound && ctx.store.getState().armed !== "hand-first") ctx.arm("hand-first");
    else {
      ctx.store.dispatch({ type: "disarm", key: "hand-first" });
      ctx.act("hand.raise", {}, status);
    }
  };
  const hand = !c.hand ? null : c.hand.up
    ? button("hand", "secondary", t("controls.lower"), "hand.lower", {}, { disabled: c.hand.disabled })
    : h("button", {
      type: "button", class: "primary soft", dataset: { key: "hand", testid: "my-hand" }, disabled: c.hand.disabled,
      "aria-describedby": c.hand.why ? "hand-why" : null, onclick: raise,
    }, t(confirming ? "controls.first.confirm" : "controls.raise"));
  const first = confirming
    ? [h("p", { class: "gentle-note", dataset: { testid: "share-first" } }, t("controls.first")),
      h("button", { type: "button", class: "quiet", dataset: { key: "hand-cancel" },
        onclick: () => ctx.store.dispatch({ type: "disarm", key: "hand-first" }) }, t("action.cancel"))]
    : null;
  const why = c.hand?.why ?? c.listenOnly.why;
  const buttons = [
    hand,
    c.pass ? button("pass", "secondary", t("controls.pass"), "pass", {}, { disabled: !c.online }) : null,
    button("listen", "quiet", t("controls.listen_only"), "listen_only.set", { on: !c.listenOnly.on },
      { "aria-pressed": String(c.listenOnly.on), disabled: c.listenOnly.disabled }),
  ];
  keepFocus(root, () => fill(root, first, h("div", { class: "row" }, buttons),
    why ? h("p", { class: "hint", id: "hand-why", dataset: { testid: "hand-why" } }, whyText(why, state)) : null, status),
  () => root.querySelector("button:not([disabled])"));
}

function whyText(reason, state) {
  return t(`controls.why.${reason}`, { time: reason === "muted" ? timeOfDay(me(state).muted_until) : "" });
}
