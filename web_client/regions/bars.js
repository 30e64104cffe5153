// The two bars pinned to the bottom of the screen (a phone's thumb zone), so what a person needs
// during a share is never a scroll away: the sharer's bar (their countdown, Done, Pass) and the
// facilitators' bar (timer, Extend by a chosen amount, Skip, Pause, Next part, how many wait).
// What each control can do, and why not, is selectors.sharerBar / facilitatorBar; a disabled
// control says its reason next to it.

import { h, fill, setText, keepFocus, changed } from "../dom.js";
import { t, clock, duration } from "../i18n.js";
import { facilitatorBar, nameOf, sharerBar } from "../selectors.js";

const EXTEND_TIMES = [30, 60, 120, 300];

export function mount(doc, ctx) {
  const sharer = doc.getElementById("sharer-bar");
  const fac = doc.getElementById("facilitator-bar");
  const status = h("p", { class: "inline-error", "aria-live": "polite" });
  const extendBy = h("select", { id: "bar-extend-by" },
    EXTEND_TIMES.map((s) => h("option", { value: String(s) }, duration(s * 1000))));
  extendBy.value = "60";
  let sharerClock = null;
  let facClock = null;
  // Keep the page's end clear of the bars, however tall they wrap (CSSOM is allowed by the CSP).
  const pinned = doc.getElementById("pinned");
  new ResizeObserver(() => doc.documentElement.style.setProperty("--bar-h", `${pinned.offsetHeight}px`)).observe(pinned);
  let drawnSharer = null;
  let drawnFac = null;
  return function update(state, prev) {
    const inRoom = state.screen === "room";
    const s = inRoom ? sharerBar(state) : null;
    const f = inRoom ? facilitatorBar(state) : null;
    sharer.hidden = !s;
    fac.hidden = !f;
    doc.body.classList.toggle("has-bar", Boolean(s || f));
    // Redraw a bar only when what it shows changed, ticking clocks aside: compared with what
    // was last drawn, so each tick computes each bar once.
    const sharerShape = JSON.stringify([s && { ...s, left: 0 }, state.screen]);
    if (sharerShape !== drawnSharer) {
      drawnSharer = sharerShape;
      sharerClock = s ? drawSharer(sharer, s, ctx, status) : null;
    }
    if (sharerClock) setText(sharerClock, s.paused ? t("bar.paused") : clock(s.left));
    const facShape = JSON.stringify(f && { ...f, left: 0 });
    if (facShape !== drawnFac || !prev || changed(prev, state, (x) => x.members)) {
      drawnFac = facShape;
      facClock = f ? drawFacilitator(fac, state, f, ctx, extendBy) : null;
    }
    if (facClock) setText(facClock, f.left === null ? t("bar.nobody") : clock(f.left));
  };
}

function drawSharer(root, s, ctx, status) {
  const countdown = h("p", { class: "bar-clock", role: "timer", "aria-live": "off", "aria-label": t("round.timer.mine"), dataset: { testid: "sharer-clock" } });
  const act = (key, command, label, cls) => h("button", {
    type: "button", class: cls, disabled: !s.online, dataset: { key, testid: `my-${key}` },
    onclick: () => ctx.act(command, {}, status),
  }, label);
  keepFocus(root, () => fill(root,
    h("div", { class: "bar-row" },
      countdown,
      act("done", "share.done", t("controls.done"), "primary"),
      act("pass", "pass", t("controls.pass"), "secondary")),
    status), () => root.querySelector("button:not([disabled])"));
  return countdown;
}

function drawFacilitator(root, state, f, ctx, extendBy) {
  const status = h("p", { class: "inline-error", "aria-live": "polite" });
  const why = h("p", { class: "bar-why hint", id: "bar-why", dataset: { testid: "bar-why" } },
    f.extend ? t(`bar.why.${f.extend}`) : "");
  why.hidden = !f.extend;
  const btn = (key, label, command, fields, reason, cls = "secondary small") => h("button", {
    type: "button", class: cls, disabled: Boolean(reason), dataset: { key },
    "aria-describedby": reason ? "bar-why" : null,
    onclick: () => ctx.act(command, typeof fields === "function" ? fields() : fields, status),
  }, label);
  const countdown = h("p", {
    class: "bar-clock", role: "timer", "aria-live": "off", dataset: { testid: "facilitator-clock" },
    "aria-label": f.holder ? t("round.timer.other", { name: nameOf(state, f.holder) ?? t("person.someone") }) : t("bar.nobody"),
  });
  const next = f.nextPart;
  const nextLabel = !next ? null : !next.started ? t("bar.start_format") : next.last ? t("bar.end_format") : t("bar.next_part");
  keepFocus(root, () => fill(root,
    h("div", { class: "bar-row" },
      countdown,
      h("span", { class: "badge waiting", dataset: { testid: "waiting-count" } }, t("bar.waiting", { count: f.waiting }))),
    h("div", { class: "bar-row wrap" },
      h("span", { class: "bar-extend" },
        h("label", { for: "bar-extend-by", class: "visually-hidden" }, t("bar.extend_by")), extendBy,
        btn("extend", t("bar.extend"), "share.extend", () => ({ seconds: Number(extendBy.value) }), f.extend)),
      btn("skip", t("facilitator.skip"), "share.skip", {}, f.skip),
      f.pause ? btn("pause", t(f.pause.paused ? "facilitator.resume_round" : "facilitator.pause_round"),
        f.pause.paused ? "round.resume" : "round.pause", {}, f.pause.why) : null,
      f.pause ? btn("end", t("facilitator.end_round"), "round.end", {}, f.pause.why) : null,
      next ? btn("next-part", nextLabel, "part.next", {}, next.why, "primary small") : null),
    why, status), () => root.querySelector("button:not([disabled])"));
  return countdown;
}
