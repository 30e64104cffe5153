// The facilitator panel, shown only while my role is `facilitator` (it can change with
// member.updated). Forms keep their typed values across updates: each section is rebuilt only
// when its slice of the state changed, and keepFocus puts the keyboard focus back where it was.
// Actions on a person are on that person (people.js, memberactions.js); the round's live
// controls are in the pinned facilitator bar (bars.js).

import { h, fill, setText, keepFocus, changed } from "../dom.js";
import { t, duration } from "../i18n.js";
import { isFacilitator, nameOf, queue, round } from "../selectors.js";
import { mount as mountLog } from "./modlog.js";

const SHARE_TIMES = [30, 60, 120, 180, 300, 600, 1200];
const SLOW_TIMES = [0, 10, 30, 60, 300];

let uid = 0;
const nextId = (name) => `fac-${name}-${++uid}`;

function labelled(label, control) {
  control.id ||= nextId("field");
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control);
}

const timeLabel = (seconds) => (seconds === 0 ? t("facilitator.off") : duration(seconds * 1000));

function select(options, value) {
  const node = h("select", {}, options.map(([v, text]) => h("option", { value: String(v) }, text)));
  node.value = String(value);
  return node;
}

const times = (list, value) => select(list.map((s) => [s, timeLabel(s)]), value);

function button(text, onclick, extra = {}) {
  return h("button", { type: "button", class: "secondary small", onclick, ...extra }, text);
}

export function mount(root, ctx) {
  const f = build(root, ctx);
  const logUpdate = mountLog(f.logRoot);
  return function update(state, prev) {
    const show = isFacilitator(state);
    root.hidden = !show;
    if (!show) return;
    const first = !prev || !isFacilitator(prev);
    const since = first ? null : prev;
    if (changed(since, state, (s) => s.meeting)) renderRound(f, state);
    if (changed(since, state, (s) => s.meeting, (s) => s.members)) renderQueue(f, state, ctx);
    if (changed(since, state, (s) => s.meeting)) renderRoom(f, state, ctx);
    if (changed(since, state, (s) => s.waiting)) renderWaiting(f, state, ctx);
    if (changed(since, state, (s) => s.armed)) setText(f.resetButton, t(state.armed === "reset" ? "facilitator.reset.confirm" : "facilitator.reset"));
    logUpdate(state, since);
  };
}

function build(root, ctx) {
  const f = {
    roundStatus: h("p", { class: "inline-error", "aria-live": "polite" }),
    roomStatus: h("p", { class: "inline-error", "aria-live": "polite" }),
    topic: h("input", { type: "text", maxlength: "200", autocomplete: "off" }),
    shareTime: times(SHARE_TIMES, 180),
    order: select([["hands", t("facilitator.order.hands")], ["round_robin", t("facilitator.order.robin")]], "hands"),
    unsharedFirst: h("input", { type: "checkbox", id: "fac-unshared-first" }),
    queueBox: h("div", {}),
    slowTime: times(SLOW_TIMES, 0),
    roomToggles: h("div", { class: "row wrap" }),
    waitingBox: h("div", {}),
    logRoot: h("section", { class: "fac-section", "aria-labelledby": "fac-log" }),
  };
  f.openForm = h("form", { class: "stack" },
    labelled(t("facilitator.topic"), f.topic),
    labelled(t("facilitator.share_time"), f.shareTime),
    labelled(t("facilitator.order"), f.order),
    // issue 15: a round-robin round may start with those who have not shared yet (fairness.py)
    f.unsharedRow = h("label", { class: "choice", hidden: true }, f.unsharedFirst, h("span", {}, t("facilitator.unshared_first"))),
    h("button", { type: "submit", class: "primary small" }, t("facilitator.open_round")));
  f.order.addEventListener("change", () => { f.unsharedRow.hidden = f.order.value !== "round_robin"; });
  f.openForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    const robin = f.order.value === "round_robin";
    const fields = { topic: f.topic.value.trim(), share_seconds: Number(f.shareTime.value), order: f.order.value,
      ...(robin && f.unsharedFirst.checked ? { unshared_first: true } : {}) };
    if (await ctx.act("round.open", fields, f.roundStatus)) f.topic.value = "";
  });
  f.resetButton = resetButton(f, ctx);
  fill(root,
    h("h2", { id: "fac-title" }, t("facilitator.title")),
    h("section", { class: "fac-section", "aria-labelledby": "fac-round" },
      h("h3", { id: "fac-round" }, t("facilitator.round")), f.openForm, f.queueBox, f.roundStatus,
      h("p", { class: "muted small" }, t("facilitator.people.hint"))),
    h("section", { class: "fac-section", "aria-labelledby": "fac-room" },
      h("h3", { id: "fac-room" }, t("facilitator.room")),
      f.roomToggles,
      h("div", { class: "row end" }, labelled(t("facilitator.slow"), f.slowTime),
        button(t("facilitator.slow.set"), () => ctx.act("slow.set", { seconds: Number(f.slowTime.value) }, f.roomStatus))),
      f.waitingBox, f.resetButton, f.roomStatus),
    f.logRoot);
  return f;
}

function renderRound(f, state) {
  // Extend, Skip, Pause and End live in the pinned facilitator bar (bars.js); here: opening.
  f.openForm.hidden = Boolean(round(state));
}

function renderQueue(f, state, ctx) {
  const waiting = queue(state);
  const all = state.meeting?.hands ?? [];
  const s = f.roundStatus;
  keepFocus(f.queueBox, () => fill(f.queueBox, !waiting.length ? null : [
    h("h4", { id: "fac-queue-title" }, round(state) ? t("facilitator.queue") : t("facilitator.hands")),
    h("ol", { class: "fac-queue", "aria-labelledby": "fac-queue-title" }, waiting.map((id, i) => {
      const name = nameOf(state, id) ?? t("person.someone");
      const position = all.indexOf(id);
      return h("li", {},
        h("span", { class: "person-name" }, name),
        h("span", { class: "row tight" },
          button(t("facilitator.up"), () => ctx.act("queue.move", { member: id, position: position - 1 }, s),
            { "aria-label": t("facilitator.up.label", { name }), disabled: i === 0, dataset: { key: `up-${id}` } }),
          button(t("facilitator.down"), () => ctx.act("queue.move", { member: id, position: position + 1 }, s),
            { "aria-label": t("facilitator.down.label", { name }), disabled: i === waiting.length - 1, dataset: { key: `down-${id}` } }),
          button(t("facilitator.out"), () => ctx.act("queue.remove", { member: id }, s),
            { "aria-label": t("facilitator.out.label", { name }), dataset: { key: `out-${id}` } })));
    })),
  ]), () => f.topic);
}

function renderRoom(f, state, ctx) {
  const meeting = state.meeting ?? {};
  const s = f.roomStatus;
  const toggle = (key, label, on, command, fields) => h("button", {
    type: "button", class: "secondary small", "aria-pressed": String(Boolean(on)), dataset: { key },
    onclick: () => ctx.act(command, fields, s),
  }, label);
  const pause = meeting.paused_room ? "room.unpause" : "room.pause";
  if (document.activeElement !== f.slowTime) f.slowTime.value = String(meeting.slow_seconds ?? 0);
  if (!f.slowTime.value) f.slowTime.value = "0";
  keepFocus(f.roomToggles, () => fill(f.roomToggles,
    toggle("mode", t("facilitator.listening_room"), meeting.base_mode === "listen_only", "mode.set",
      { mode: meeting.base_mode === "listen_only" ? "open" : "listen_only" }),
    toggle("lock", t("facilitator.lock"), meeting.locked, "lock.set", { on: !meeting.locked }),
    toggle("lobby", t("facilitator.waiting_room"), meeting.lobby, "lobby.set", { on: !meeting.lobby }),
    toggle("pause", t("facilitator.pause_room"), meeting.paused_room, pause, {})));
}

function renderWaiting(f, state, ctx) {
  const s = f.roomStatus;
  keepFocus(f.waitingBox, () => fill(f.waitingBox, state.waiting.length
    ? [h("h4", { id: "fac-waiting-title" }, t("facilitator.waiting")),
      h("ul", { class: "fac-queue", "aria-labelledby": "fac-waiting-title" }, state.waiting.map(({ ticket, name }) => h("li", {},
        h("span", { class: "person-name" }, name),
        h("span", { class: "row tight" },
          button(t("facilitator.admit"), () => ctx.act("lobby.admit", { ticket }, s),
            { "aria-label": t("facilitator.admit.label", { name }), dataset: { key: `in-${ticket}` } }),
          button(t("facilitator.deny"), () => ctx.act("lobby.deny", { ticket }, s),
            { "aria-label": t("facilitator.deny.label", { name }), dataset: { key: `away-${ticket}` } })))))]
    : null), () => f.roomToggles.querySelector("button"));
}

function resetButton(f, ctx) {
  // Two presses: the first arms it (state.armed, for a few seconds), the second clears the
  // history for everyone.
  return button(t("facilitator.reset"), () => {
    if (ctx.store.getState().armed !== "reset") {
      ctx.arm("reset");
      return;
    }
    ctx.store.dispatch({ type: "disarm", key: "reset" });
    ctx.act("room.reset", {}, f.roomStatus);
  }, { class: "quiet small danger", dataset: { testid: "reset-history" } });
}
