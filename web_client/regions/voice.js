// Voice, for a room that has it on (issue 17): "I'll listen by voice", a volume, who is being
// heard; for members, "share by voice" (open mic or push to talk), a level meter and the "you're
// live" marker, which follows what the server says, never our guess. The panel is built once and
// updated in place, so focus and a held talk button survive every change; the live marker and
// who is heard are said to screen readers through the panel's own polite status line.

import { h, setText, changed } from "../dom.js";
import { t } from "../i18n.js";
import { nameOf, speaking } from "../selectors.js";

export function mount(root, ctx, voice) {
  const ui = build(root, voice);
  let said = "";
  const draw = () => {
    const state = ctx.store.getState();
    const v = voice.state;
    const on = Boolean(state.room?.voice) && state.screen === "room";
    root.hidden = !on;
    voice.attach(on ? ctx.token() : null);
    if (!on) return;
    ui.unsupported.hidden = v.available !== false;
    ui.listen.disabled = ui.share.disabled = v.available === false;
    setSwitch(ui.listen, v.listen);
    ui.volumeRow.hidden = !v.listen;
    ui.sharing.hidden = state.observer;
    setSwitch(ui.share, v.share);
    ui.modeRow.hidden = ui.meterRow.hidden = !v.share;
    ui.ptt.hidden = !(v.share && v.mode === "ptt");
    ui.ptt.setAttribute("aria-pressed", String(v.talking));
    for (const radio of ui.modes) radio.checked = radio.value === v.mode;
    ui.meter.value = Math.min(1, v.level * 4);
    const mine = speaking(state);
    ui.offer.hidden = !(mine && !v.share && !state.observer && v.available !== false);
    ui.live.hidden = !v.share;
    ui.live.className = v.live ? "live-marker live" : "live-marker";
    setText(ui.live, v.live ? t("voice.live") : mine ? t("voice.not_live.floor") : t("voice.not_live"));
    const names = v.speakers.map((id) => nameOf(state, id) ?? t("person.someone"));
    const heard = names.length ? t("voice.heard", { names: names.join(", ") }) : t("voice.nobody");
    setText(ui.heard, v.listen ? heard : "");
    ui.heard.className = names.length ? "voice-heard live" : "voice-heard";
    setText(ui.error, v.error === "mic" ? t("voice.error.mic") : v.error ? t("voice.error.other") : "");
    const say = v.share ? (v.live ? t("voice.live") : "") : "";
    if (say !== said) {
      said = say;
      setText(ui.status, say || (v.share ? t("voice.not_live") : ""));
    }
  };
  voice.on("change", draw);
  return function update(state, prev) {
    if (changed(prev, state, (s) => s.room, (s) => s.screen, (s) => s.meeting, (s) => s.members, (s) => s.observer)) draw();
  };
}

function setSwitch(button, on) {
  button.setAttribute("aria-checked", String(on));
}

function build(root, voice) {
  const listen = h("button", { type: "button", role: "switch", class: "switch", "aria-checked": "false", dataset: { testid: "voice-listen" }, onclick: () => voice.setListen(listen.getAttribute("aria-checked") !== "true") }, t("voice.listen"));
  const share = h("button", { type: "button", role: "switch", class: "switch", "aria-checked": "false", dataset: { testid: "voice-share" }, onclick: () => voice.setShare(share.getAttribute("aria-checked") !== "true") }, t("voice.share"));
  const volume = h("input", { type: "range", id: "voice-volume", min: "0", max: "1", step: "0.05", value: "0.8", oninput: () => voice.setVolume(Number(volume.value)) });
  const modes = ["open", "ptt"].map((mode) => h("input", { type: "radio", name: "voice-mode", value: mode, checked: mode === "open", onchange: () => voice.setMode(mode) }));
  const hold = (on) => (event) => {
    if (event.type.startsWith("key") && event.key !== " " && event.key !== "Enter") return;
    if (event.type === "keydown" && event.repeat) return;
    event.preventDefault();
    voice.setTalking(on);
  };
  const ptt = h("button", {
    type: "button", class: "ptt", "aria-pressed": "false", dataset: { testid: "voice-ptt" },
    onpointerdown: hold(true), onpointerup: hold(false), onpointerleave: hold(false),
    onkeydown: hold(true), onkeyup: hold(false), onblur: () => voice.setTalking(false),
  }, t("voice.ptt"));
  const meter = h("meter", { id: "voice-level", min: "0", max: "1", value: "0" });
  const ui = {
    listen, share, volume, modes, ptt, meter,
    unsupported: h("p", { class: "note" }, t("voice.unsupported")),
    offer: h("p", { class: "gentle-note", dataset: { testid: "voice-offer" } }, t("voice.offer")),
    volumeRow: h("p", { class: "voice-row" }, h("label", { for: "voice-volume" }, t("voice.volume")), " ", volume),
    modeRow: h("fieldset", { class: "voice-row" }, h("legend", {}, t("voice.mode")),
      h("label", { class: "choice" }, modes[0], " ", t("voice.mode.open")),
      h("label", { class: "choice" }, modes[1], " ", t("voice.mode.ptt"))),
    meterRow: h("p", { class: "voice-row" }, h("label", { for: "voice-level" }, t("voice.level")), " ", meter),
    live: h("p", { class: "live-marker", dataset: { testid: "voice-live" } }),
    heard: h("p", { class: "voice-heard", "aria-live": "polite", dataset: { testid: "voice-heard" } }),
    error: h("p", { class: "inline-error" }),
    status: h("p", { class: "visually-hidden", role: "status" }),
  };
  ui.sharing = h("div", { class: "voice-share" }, ui.offer, share, ui.modeRow, ptt, ui.meterRow, ui.live);
  root.append(
    h("h2", { id: "voice-title" }, t("voice.title")),
    h("p", { class: "hint" }, t("voice.hint")),
    ui.unsupported, listen, ui.volumeRow, ui.heard, ui.sharing, ui.error, ui.status);
  return ui;
}
