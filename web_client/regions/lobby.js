// The lobby: the rooms (GET /api/rooms) and the join form. The room list is fetched here and
// refreshed every 20 s while the lobby is on screen; joining goes through ctx.join.

import { h, fill, setText } from "../dom.js";
import { t, errorText } from "../i18n.js";

const REFRESH_MS = 20_000;

export function mount(root, ctx) {
  const el = (id) => root.querySelector(`#${id}`);
  const lobby = {
    rooms: [], timer: null, list: el("room-list"), status: el("rooms-status"), form: el("join-form"),
    select: el("join-room"), name: el("join-name"), error: el("join-error"), submit: el("join-submit"), note: el("invite-note"),
  };
  el("rooms-refresh").addEventListener("click", () => refresh(lobby, ctx));
  lobby.form.addEventListener("submit", (e) => {
    e.preventDefault();
    submit(lobby, ctx);
  });
  lobby.form.addEventListener("change", () => syncForm(lobby));
  ctx.refreshLobby = () => start(lobby, ctx);
  return function update(state, prev) {
    if (prev && prev.screen === state.screen) return;
    if (state.screen === "lobby") start(lobby, ctx);
    else stop(lobby);
  };
}

function start(lobby, ctx) {
  const invite = ctx.invite();
  showInvite(lobby, invite);
  if (invite?.staff && invite.name && !lobby.name.value) lobby.name.value = invite.name; // from the staff console
  refresh(lobby, ctx);
  clearInterval(lobby.timer);
  lobby.timer = setInterval(() => refresh(lobby, ctx), REFRESH_MS);
}

function stop(lobby) {
  clearInterval(lobby.timer);
  lobby.timer = null;
}

async function refresh(lobby, ctx) {
  try {
    const response = await fetch("/api/rooms", { cache: "no-store" });
    if (!response.ok) throw new Error(String(response.status));
    lobby.rooms = await response.json();
    setText(lobby.status, "");
  } catch {
    setText(lobby.status, t("lobby.unavailable"));
    return;
  }
  render(lobby, ctx);
}

function canJoin(room, invite) {
  return room.access === "open" || (invite?.room === room.slug && Boolean(invite.invite || invite.staff));
}

function render(lobby, ctx) {
  const invite = ctx.invite();
  const chosen = lobby.select.value || invite?.room || lobby.rooms.find((r) => canJoin(r, invite))?.slug;
  fill(lobby.list, lobby.rooms.map((room) => card(lobby, room, invite)));
  fill(lobby.select, lobby.rooms.map((room) => h("option", { value: room.slug, disabled: !canJoin(room, invite) },
    room.access === "closed" && !canJoin(room, invite) ? t("lobby.invite_only.option", { name: room.name }) : room.name)));
  if (chosen) lobby.select.value = chosen;
  syncForm(lobby);
}

function card(lobby, room, invite) {
  const badges = [
    room.access === "closed" ? h("span", { class: "badge" }, t("lobby.invite_only")) : h("span", { class: "badge soft" }, t("lobby.open")),
    room.self_led ? h("span", { class: "badge soft" }, t("lobby.self_led")) : null,
    room.voice ? h("span", { class: "badge soft" }, t("lobby.voice")) : null,
    room.mode === "listen_only" ? h("span", { class: "badge soft" }, t("lobby.listening_room")) : null,
    room.round ? h("span", { class: "badge live" }, t("lobby.round")) : null,
    // Who is watching (issue 14): a member can choose a room where someone is.
    room.facilitator_present ? h("span", { class: "badge watched", dataset: { testid: "badge-facilitator" } }, t("lobby.facilitator_here")) : null,
    room.on_call ? h("span", { class: "badge watched", dataset: { testid: "badge-on-call" } }, t("lobby.on_call")) : null,
  ];
  // Closed rooms show strangers no live counts (docs/privacy.md): say nothing rather than "nobody".
  const count = room.members == null
    ? null
    : room.members + room.observers === 0
    ? t("lobby.nobody")
    : room.observers
      ? t("lobby.count.listening", { count: room.members, listening: room.observers })
      : t("lobby.count", { count: room.members });
  const action = canJoin(room, invite)
    ? h("button", { type: "button", class: "secondary", "aria-label": t("lobby.join.room", { name: room.name }), onclick: () => choose(lobby, room.slug) },
      t("lobby.join"))
    : h("p", { class: "muted small" }, t("lobby.needs_invite"));
  return h("li", { class: "room-card", dataset: { slug: room.slug, testid: "room-card" } },
    h("h3", {}, room.name),
    h("p", { class: "room-desc" }, room.description || ""),
    h("p", { class: "room-badges" }, badges),
    count === null ? null : h("p", { class: "room-count" }, count),
    action);
}

/** Select a room in the form and move focus to the name field. */
function choose(lobby, slug) {
  lobby.select.value = slug;
  syncForm(lobby);
  (observer(lobby) ? lobby.submit : lobby.name).focus();
}

const observer = (lobby) => lobby.form.elements.role.value === "observer";

function syncForm(lobby) {
  const room = lobby.rooms.find((r) => r.slug === lobby.select.value);
  lobby.name.required = !observer(lobby);
  setText(lobby.submit, room ? t("lobby.join.room", { name: room.name }) : t("lobby.join"));
}

function showInvite(lobby, invite) {
  const text = invite?.staff ? t("lobby.invite.staff")
    : invite?.facilitator ? t("lobby.invite.facilitator") : invite?.invite ? t("lobby.invite.member") : "";
  setText(lobby.note, text);
  lobby.note.hidden = !text;
}

async function submit(lobby, ctx) {
  setText(lobby.error, "");
  const room = lobby.select.value;
  const asObserver = observer(lobby);
  const name = lobby.name.value.trim();
  if (!room) {
    setText(lobby.error, t("lobby.choose_room"));
    lobby.select.focus();
    return;
  }
  if (!asObserver && !name) {
    setText(lobby.error, t("lobby.choose_name"));
    lobby.name.focus();
    return;
  }
  const fields = { room, role: asObserver ? "observer" : "member", remember: lobby.form.elements.remember.checked };
  if (!asObserver || name) fields.name = name;
  const invite = ctx.invite()?.room === room ? ctx.invite() : null;
  if (invite?.invite) fields.invite = invite.invite;
  if (invite?.facilitator && !asObserver) fields.facilitator = invite.facilitator;
  if (invite?.staff && !asObserver) fields.staff = invite.staff; // "Join as facilitator" in the staff console
  lobby.submit.disabled = true;
  try {
    await ctx.join(fields);
  } catch (err) {
    setText(lobby.error, errorText(err));
    (err.code === "invalid_name" || err.code === "name_taken" ? lobby.name : lobby.submit).focus();
  } finally {
    lobby.submit.disabled = false;
  }
}
