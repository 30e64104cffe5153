// The content note of my share (protocol.md §3.2): in a part that asks for content notes (the
// survivors' circle's shares), the person sharing writes a few words on what their share touches,
// once, above the message box. Every post of the share carries it (composer.js asks
// `ctx.contentNote()`), and the others see the share folded under it until they open it
// (messages.js). The note is forgotten when the floor moves on (tending.js).

import { h, fill } from "../dom.js";
import { t } from "../i18n.js";
import { needsContentNote } from "../selectors.js";

export const NOTE_CHARS = 120; // part_rules.CONTENT_NOTE_CHARS

export function mount(root, ctx) {
  const input = h("input", {
    id: "content-note", type: "text", maxlength: String(NOTE_CHARS), autocomplete: "off",
    "aria-describedby": "content-note-hint", dataset: { testid: "content-note" },
  });
  input.addEventListener("input", () => ctx.store.dispatch({ type: "content.note", text: input.value }));
  fill(root,
    h("label", { for: input.id }, t("content_note.label")),
    input,
    h("p", { class: "hint", id: "content-note-hint" }, t("content_note.hint")));
  ctx.contentNote = () => (needsContentNote(ctx.store.getState()) ? ctx.store.getState().contentNote.trim() : "");
  return function update(state) {
    const show = state.screen === "room" && needsContentNote(state);
    root.hidden = !show;
    if (input.value !== state.contentNote && document.activeElement !== input) input.value = state.contentNote;
  };
}
