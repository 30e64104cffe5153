// The console's regions, each `mount(doc, ctx)` returning `update(state, previous)`: which
// screen shows, the on-call panel, the queue of what needs a human (one action per row), and
// the live rooms. Everything is built with h() and textContent; every word comes from the
// catalog. Views act through ctx (console/app.js), never on the connection itself.

import { h, setText, keyedList, changed } from "../dom.js";
import { t, errorText, duration } from "../i18n.js";
import { queue, roomList, mayFacilitate, waitedMs } from "./selectors.js";

const PHASES = new Set(["open", "round", "paused", "locked"]);

export function screens(doc) {
  const el = (id) => doc.getElementById(id);
  return function update(state, prev) {
    if (changed(prev, state, (s) => s.screen)) {
      el("signin-screen").hidden = state.screen !== "signin";
      el("console-screen").hidden = state.screen !== "console";
      el("signout").hidden = state.screen !== "console";
      if (prev) queueMicrotask(() => el(state.screen === "console" ? "console-title" : "signin-title").focus());
    }
    if (changed(prev, state, (s) => s.conn)) {
      const status = el("conn-state");
      status.hidden = state.conn === "idle";
      status.dataset.state = state.conn;
      setText(status, state.conn === "idle" ? "" : t(`conn.${state.conn}`));
    }
    if (changed(prev, state, (s) => s.signin)) {
      const error = state.signin.error;
      setText(el("signin-error"), error ? t(`console.ended.${error}`) : "");
      el("signin-submit").disabled = state.signin.busy;
    }
    if (changed(prev, state, (s) => s.me)) setText(el("console-who"), state.me ? t("console.who", { name: state.me.name }) : "");
  };
}

export function oncall(doc, ctx) {
  const toggle = doc.getElementById("oncall-toggle");
  const count = doc.getElementById("oncall-count");
  const error = doc.getElementById("oncall-error");
  toggle.addEventListener("click", () => ctx.setOnCall(!ctx.store.getState().me?.onCall, error));
  return function update(state, prev) {
    if (!changed(prev, state, (s) => s.me, (s) => s.onCall, (s) => s.busy.oncall)) return;
    const on = Boolean(state.me?.onCall);
    toggle.setAttribute("aria-pressed", String(on));
    toggle.disabled = Boolean(state.busy.oncall);
    setText(count, t("console.oncall.count", { count: state.onCall }));
  };
}

export function ring(doc, ctx) {
  const status = doc.getElementById("ring-status");
  for (const way of ["sound", "notify"]) {
    const box = doc.getElementById(`ring-${way}`);
    box.checked = ctx.ringChoices()[way];
    box.addEventListener("change", async () => {
      setText(status, "");
      box.checked = await ctx.chooseRing(way, box.checked);
      if (way === "notify" && !box.checked && ctx.notificationsBlocked()) setText(status, t("alerts.denied"));
    });
  }
  return () => {};
}

/** The queue: live alerts oldest first, each with its one action. */
export function queueRegion(doc, ctx) {
  const list = doc.getElementById("queue-list");
  const empty = doc.getElementById("queue-empty");
  return function update(state, prev) {
    if (!changed(prev, state, (s) => s.alerts, (s) => s.rooms, (s) => s.busy, (s) => s.errors, (s) => s.now, (s) => s.me)) return;
    const rows = queue(state);
    empty.hidden = rows.length > 0;
    const nodes = keyedList(list, rows, {
      key: (row) => row.alert.id,
      same: (a, b) => a.alert === b.alert && a.room?.name === b.room?.name && a.action === b.action,
      render: (row) => queueRow(state, row, ctx),
    });
    for (const row of rows) patchRow(nodes.get(row.alert.id), state, row);
  };
}

function kindLabel(alert) {
  return t(`console.kind.${alert.kind}`);
}

function roomName(row) {
  return row.room?.name ?? row.alert.room;
}

function queueRow(state, row, ctx) {
  const { alert } = row;
  const title = h("h3", { id: `alert-${alert.id}-title` }, t("console.alert.title", { kind: kindLabel(alert), room: roomName(row) }));
  const meta = h("p", { class: "muted small", dataset: { part: "meta" } });
  const error = h("p", { class: "inline-error", "aria-live": "polite", dataset: { part: "error" } });
  return h("li", { class: "console-item", "aria-labelledby": title.id, dataset: { testid: "queue-item", alert: alert.id, kind: alert.kind, status: alert.status } },
    title, meta, h("div", { class: "row" }, actions(state, row, ctx, error)), error);
}

function patchRow(node, state, row) {
  const { alert } = row;
  const meta = node.querySelector("[data-part=meta]");
  const parts = [alert.status === "open"
    ? t("console.alert.waiting", { time: duration(waitedMs(alert, state.now)) })
    : alert.taker === state.me?.name ? t("console.alert.mine") : t("console.alert.taken", { name: alert.taker ?? "" })];
  if (alert.count > 1) parts.push(t("console.alert.count", { count: alert.count }));
  setText(meta, parts.join(" · "));
  const code = state.errors[alert.id];
  setText(node.querySelector("[data-part=error]"), code ? errorText({ code }) : "");
  for (const button of node.querySelectorAll("button[data-act]")) button.disabled = Boolean(state.busy[alert.id]);
}

function actions(state, row, ctx, error) {
  const { alert } = row;
  const label = (key) => t(key, { kind: kindLabel(alert), room: roomName(row) });
  if (row.action === "take") {
    return [h("button", { type: "button", class: "primary", dataset: { act: "take", key: `take-${alert.id}` }, "aria-label": label("console.take.label"), onclick: () => ctx.alert("alert.take", alert.id) },
      t(`console.action.${alert.action}`))];
  }
  if (row.action !== "handle") return [];
  const outcome = h("select", { id: `outcome-${alert.id}`, dataset: { key: `outcome-${alert.id}` } },
    alert.outcomes.map((o) => h("option", { value: o }, t(`console.outcome.${o}`))));
  const join = mayFacilitate(state, alert.room)
    ? h("button", { type: "button", class: "secondary", dataset: { act: "join", key: `join-${alert.id}` }, "aria-label": label("console.join.label"), onclick: () => ctx.joinRoom(alert.room) }, t("console.join"))
    : null;
  return [
    join,
    h("label", { class: "visually-hidden", for: outcome.id }, t("console.outcome.label")),
    outcome,
    h("button", { type: "button", class: "primary", dataset: { act: "resolve", key: `resolve-${alert.id}` }, "aria-label": label("console.resolve.label"),
      onclick: () => ctx.alert("alert.resolve", alert.id, { outcome: outcome.value }) }, t("console.resolve")),
    h("button", { type: "button", class: "quiet", dataset: { act: "release", key: `release-${alert.id}` }, "aria-label": label("console.release.label"), onclick: () => ctx.alert("alert.release", alert.id) }, t("console.release")),
  ];
}

/** The live rooms: counts, phase, whether a facilitator is there, any alert; a join button. */
export function roomsRegion(doc, ctx) {
  const list = doc.getElementById("console-rooms");
  const empty = doc.getElementById("rooms-empty");
  return function update(state, prev) {
    if (!changed(prev, state, (s) => s.rooms, (s) => s.me)) return;
    const rooms = roomList(state);
    empty.hidden = rooms.length > 0;
    keyedList(list, rooms, { key: (room) => room.slug, render: (room) => roomRow(state, room, ctx) });
  };
}

function roomRow(state, room, ctx) {
  const phase = PHASES.has(room.phase) ? t(`console.phase.${room.phase}`) : room.phase;
  const badges = [
    room.facilitator_present
      ? h("span", { class: "badge soft" }, t("console.room.facilitator"))
      : h("span", { class: "badge live" }, t("console.room.no_facilitator")),
    room.self_led ? h("span", { class: "badge soft" }, t("lobby.self_led")) : null,
    room.alert ? h("span", { class: "badge live" }, t("console.room.alert")) : null,
  ];
  const counts = [t("console.room.members", { count: room.members }), t("console.room.observers", { count: room.observers })];
  if (room.waiting) counts.push(t("console.room.waiting", { count: room.waiting }));
  const join = mayFacilitate(state, room.slug)
    ? h("button", { type: "button", class: "secondary small", dataset: { key: `join-room-${room.slug}` }, "aria-label": t("console.join.room", { room: room.name }), onclick: () => ctx.joinRoom(room.slug) }, t("console.join"))
    : null;
  const title = h("h3", { id: `room-${room.slug}-title` }, room.name);
  return h("li", { class: "console-item", "aria-labelledby": title.id, dataset: { testid: "console-room", slug: room.slug } },
    title,
    h("p", { class: "room-badges" }, h("span", { class: "badge soft" }, phase), badges),
    h("p", { class: "room-count" }, counts.join(" · ")),
    join);
}

/** Show `err` (a refusal) in `status`, in the catalog's words. */
export function showError(status, err) {
  setText(status, err ? errorText(err) : "");
}
