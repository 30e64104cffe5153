// The turn-alert choices (a disclosure under my controls): each way is off until ticked, and
// remembered in this tab only. alerts.js carries them out.

import { h, fill, setText } from "../dom.js";
import { t } from "../i18n.js";
import * as storage from "../storage.js";
import { ALERT_WAYS, askNotifications, unlockSound } from "../alerts.js";

export function mount(root, ctx) {
  const status = h("p", { class: "hint", "aria-live": "polite" });
  const box = (way) => {
    const input = h("input", { type: "checkbox", dataset: { way } });
    input.checked = storage.loadAlerts()[way];
    input.addEventListener("change", () => choose(way, input, status));
    return h("label", { class: "choice" }, input, h("span", {}, t(`alerts.${way === "title" ? "title_flash" : way}`)));
  };
  fill(root,
    h("summary", {}, t("alerts.title")),
    h("p", { class: "hint" }, t("alerts.hint")),
    ALERT_WAYS.map(box),
    status);
  return function update(state) {
    root.hidden = state.observer || !state.myId;
  };
}

async function choose(way, input, status) {
  setText(status, "");
  let on = input.checked;
  if (on && way === "sound") on = unlockSound();
  if (on && way === "notify") {
    on = await askNotifications();
    if (!on) setText(status, t("alerts.denied"));
  }
  input.checked = on;
  storage.saveAlerts({ ...storage.loadAlerts(), [way]: on });
}
