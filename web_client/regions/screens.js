// Which screen shows (lobby, room, notice) and the top bar's connection status and Leave
// button, all from state. When the screen changes, the keyboard focus moves to where the new
// screen begins.

import { setText, changed } from "../dom.js";
import { t } from "../i18n.js";

const SCREENS = ["lobby", "room", "notice"];

export function mount(doc, ctx) {
  const el = (id) => doc.getElementById(id);
  const status = el("conn-state");
  const leave = el("leave-button");
  leave.addEventListener("click", async () => {
    leave.disabled = true;
    try {
      await ctx.leave();
    } finally {
      leave.disabled = false;
    }
  });
  return function update(state, prev) {
    if (changed(prev, state, (s) => s.screen)) {
      for (const name of SCREENS) el(`${name}-screen`).hidden = name !== state.screen;
      leave.hidden = state.screen !== "room";
      doc.body.classList.toggle("in-room", state.screen === "room");
      // After every region has drawn this state (the composer may enable its text box).
      if (prev) queueMicrotask(() => focusScreen(doc, ctx.store.getState().screen));
    }
    if (changed(prev, state, (s) => s.conn)) {
      const conn = state.conn.state;
      status.hidden = conn === "idle";
      status.dataset.state = conn;
      setText(status, conn === "idle" ? "" : t(`conn.${conn}`));
    }
  };
}

function focusScreen(doc, screen) {
  if (screen === "notice") doc.getElementById("notice-title").focus();
  else if (screen === "lobby") doc.getElementById("lobby-title").focus();
  else if (!doc.getElementById("welcome").hidden) doc.getElementById("welcome-title").focus();
  else {
    const text = doc.getElementById("composer-text");
    (text.disabled ? doc.getElementById("room-title") : text).focus();
  }
}
