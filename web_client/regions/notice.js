// The calm full-page notice (removed, banned, session ended, waiting room...) with one way
// forward. Said kindly, because the person reading it may be having the worst night of their
// year. Its words are catalog entries notice.KIND.title / notice.KIND.text.

import { setText, changed } from "../dom.js";
import { t } from "../i18n.js";

export function mount(doc, ctx) {
  const title = doc.getElementById("notice-title");
  const text = doc.getElementById("notice-text");
  const action = doc.getElementById("notice-action");
  action.addEventListener("click", () => ctx.noticeAction(ctx.store.getState().notice));
  return function update(state, prev) {
    if (!changed(prev, state, (s) => s.notice) || !state.notice) return;
    const { kind, params } = state.notice;
    const known = kind in NOTICE_KINDS ? kind : "session_invalid";
    doc.getElementById("notice-screen").dataset.kind = known;
    setText(title, t(`notice.${known}.title`, params));
    setText(text, t(`notice.${known}.text`, params));
    setText(action, t(known === "waiting" ? "notice.stop_waiting" : "notice.back"));
  };
}

/** Every notice the page can show (the session's terminal kinds, and the waiting room). */
export const NOTICE_KINDS = {
  removed: true, banned: true, session_invalid: true, seat_lost: true, room_gone: true, lobby: true,
  not_admitted: true, lobby_lost: true, client_error: true, waiting: true,
};
