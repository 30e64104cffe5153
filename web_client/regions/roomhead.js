// The room's heading: its name and description (or "coming back in" while a stored session
// resumes), and the note that earlier messages are gone after a resync.

import { setText, changed } from "../dom.js";
import { t } from "../i18n.js";

export function mount(doc) {
  const title = doc.getElementById("room-title");
  const desc = doc.getElementById("room-desc");
  const history = doc.getElementById("history-note");
  return function update(state, prev) {
    if (!changed(prev, state, (s) => s.room, (s) => s.returning, (s) => s.historyLost)) return;
    if (state.room) {
      setText(title, state.room.name);
      setText(desc, state.room.description ?? "");
    } else {
      setText(title, state.returning ? t("room.returning") : t("room.title"));
      setText(desc, state.returning ?? "");
    }
    setText(history, state.historyLost ? t("room.history_lost") : "");
    history.hidden = !state.historyLost;
  };
}
