// Where the meeting is: the current part of its format (title, place, kind, who has the word,
// and its text, e.g. a reading or the guidelines), and the paused-room banner, which replaces
// any text that would contradict it ("the floor is open" never shows while the room is paused).
// The same banner says, calmly, when the room is in quiet mode (a raid with no facilitator).

import { h, fill, changed } from "../dom.js";
import { t } from "../i18n.js";
import { part } from "../selectors.js";

export function mount(doc) {
  const panel = doc.getElementById("part-panel");
  const banner = doc.getElementById("paused-banner");
  return function update(state, prev) {
    if (!changed(prev, state, (s) => s.meeting)) return;
    const paused = Boolean(state.meeting?.paused_room);
    const quiet = !paused && Boolean(state.meeting?.quiet);
    banner.hidden = !paused && !quiet;
    fill(banner, paused ? t("banner.paused") : quiet ? t("banner.quiet") : null);
    const p = part(state);
    panel.hidden = !p;
    fill(panel, p ? draw(p) : null);
  };
}

function draw(p) {
  return [
    h("h2", { id: "part-title" }, t("part.now", { title: p.title })),
    h("p", { class: "round-meta" }, t("part.meta", { number: p.index + 1, count: p.count, kind: t(`part.kind.${p.kind}`) })),
    h("p", { dataset: { testid: "part-posting" } }, p.holds ? t("part.holds") : t(`part.posting.${p.posting}`)),
    p.crosstalk ? h("p", {}, t("part.crosstalk")) : null,
    p.content_notes ? h("p", {}, t("part.content_notes")) : null,
    p.text ? h("p", { class: "part-text", dataset: { testid: "part-text" } }, p.text) : null,
  ];
}
