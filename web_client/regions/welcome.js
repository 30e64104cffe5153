// The welcome card: what a newcomer or late joiner needs on arriving, in one short read. What
// this room is, what part the meeting is in, who is sharing and how long is left, the room's
// guidelines, what is kept, and how to raise a hand or just listen. It shows on every new
// arrival (reducer: `welcome`), closes with "Got it", and comes back from "How this room works".

import { h, fill, setText, changed } from "../dom.js";
import { t, duration } from "../i18n.js";
import { floorMember, nameOf, part, round, timeLeft } from "../selectors.js";

export function mount(doc, ctx) {
  const card = doc.getElementById("welcome");
  const open = doc.getElementById("welcome-open");
  open.addEventListener("click", () => {
    ctx.store.dispatch({ type: "welcome", on: true });
    queueMicrotask(() => doc.getElementById("welcome-title")?.focus());
  });
  let lines = null;
  return function update(state, prev) {
    const wasHidden = card.hidden;
    card.hidden = !state.welcome || state.screen !== "room";
    open.setAttribute("aria-expanded", String(!card.hidden));
    if (card.hidden) return;
    // Built once per showing (the focus may be on its heading); its live lines are kept current.
    if (wasHidden || changed(prev, state, (s) => s.room, (s) => s.observer)) lines = build(card, state, ctx, open);
    setText(lines.part, nowLine(state));
    setText(lines.speaker, speaker(state));
  };
}

function nowLine(state) {
  const p = part(state);
  if (p) return t("welcome.part", { number: p.index + 1, count: p.count, title: p.title });
  return t(round(state) ? "welcome.part.round" : "welcome.part.none");
}

function speaker(state) {
  const holder = floorMember(state);
  if (!holder) return t("welcome.speaker.none");
  const name = nameOf(state, holder) ?? t("person.someone");
  if (round(state).paused) return t("welcome.speaker.paused", { name });
  return t("welcome.speaker", { name, time: duration(Math.ceil(timeLeft(state) / 1000) * 1000) });
}

function build(card, state, ctx, open) {
  const lines = { part: h("p", { dataset: { testid: "welcome-part" } }), speaker: h("p", { dataset: { testid: "welcome-speaker" } }) };
  const close = h("button", {
    type: "button", class: "primary small", dataset: { testid: "welcome-close" },
    onclick: () => {
      ctx.store.dispatch({ type: "welcome", on: false });
      // On into the room: the message box if I may write, else back to the link.
      const text = document.getElementById("composer-text");
      (text.disabled ? open : text).focus();
    },
  }, t("welcome.close"));
  const rules = ["crosstalk", "pass", "confidential", "kept"].map((rule) => h("li", {}, t(`welcome.rule.${rule}`)));
  const how = state.observer ? [t("welcome.how.observer")] : [t("welcome.how.hand"), t("welcome.how.listen")];
  fill(card,
    h("h2", { id: "welcome-title", tabindex: "-1" }, t("welcome.title", { room: state.room?.name ?? "" })),
    state.room?.description ? h("p", { class: "muted" }, state.room.description) : null,
    h("h3", {}, t("welcome.now")),
    lines.part,
    lines.speaker,
    h("h3", {}, t("welcome.rules")),
    h("ul", { class: "rules" }, rules),
    h("h3", {}, t("welcome.how")),
    how.map((line) => h("p", {}, line)),
    close);
  return lines;
}
