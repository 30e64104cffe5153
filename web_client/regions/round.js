// The share round everyone sees: the topic, who holds the floor, a countdown, and the queue.
// The countdown is `timeLeft` against the store's one clock (the server's time, ticked at 4 Hz
// while it runs), so every page counts down together. The panel is rebuilt only when the round
// changes; a tick only rewrites the countdown's text.

import { h, fill, setText, changed } from "../dom.js";
import { t, clock, duration } from "../i18n.js";
import { floorMember, nameOf, queue, round, shareWarning, timeLeft } from "../selectors.js";

export function mount(root) {
  let countdown = null;
  return function update(state, prev) {
    if (changed(prev, state, (s) => s.meeting, (s) => s.warning, (s) => s.members, (s) => s.myId)) {
      countdown = build(root, state);
    }
    if (countdown) setText(countdown, clock(timeLeft(state)));
  };
}

function who(state, r, holder, mine) {
  if (state.meeting?.paused_room) return t("round.room_paused");
  if (r.paused) return t("round.paused");
  if (!holder) return r.queue.length ? t("round.next") : t("round.open");
  if (mine) return t("round.mine");
  return t("round.sharing", { name: holderName(state, holder) });
}

const holderName = (state, id) => nameOf(state, id) ?? t("person.someone");

function build(root, state) {
  const r = round(state);
  root.hidden = !r;
  if (!r) {
    fill(root);
    return null;
  }
  const holder = floorMember(state);
  const mine = Boolean(holder) && holder === state.myId;
  const countdown = holder
    ? h("p", {
      class: "countdown", role: "timer", "aria-live": "off",
      "aria-label": mine ? t("round.timer.mine") : t("round.timer.other", { name: holderName(state, holder) }),
    })
    : null;
  const warning = shareWarning(state) && holder
    ? h("p", { class: "gentle-note" }, mine ? t("round.warning.mine") : t("round.warning.other", { name: holderName(state, holder) }))
    : null;
  const up = queue(state);
  const meta = t(r.order === "round_robin" ? "round.meta.robin" : "round.meta.hands", { each: duration(r.share_seconds * 1000) });
  fill(root,
    h("div", { class: "round-head" },
      h("h2", { id: "round-title" }, t("round.title")),
      h("p", { class: "round-meta" }, r.paused ? t("round.meta.paused", { meta }) : meta)),
    r.topic ? h("p", { class: "round-topic" }, h("span", { class: "muted" }, t("round.topic")), " ", r.topic) : null,
    h("div", { class: holder ? (mine ? "floor mine" : "floor") : "floor open" },
      h("p", { class: "floor-who", dataset: { testid: "floor" } }, who(state, r, holder, mine)),
      countdown),
    warning,
    h("div", { class: "queue-row" },
      h("h3", { class: "queue-title", id: "queue-title" }, up.length ? t("round.up_next") : t("round.nobody_waiting")),
      up.length
        ? h("ol", { class: "queue", "aria-labelledby": "queue-title" },
          up.map((id) => h("li", { class: id === state.myId ? "mine" : null },
            id === state.myId ? t("people.you", { name: holderName(state, id) }) : holderName(state, id))))
        : null));
  return countdown;
}
