// "Talk to someone now" and the crisis line, pinned to the bottom of every screen (lobby, waiting
// room, room in every state, notices), and the sheet above them: the crisis lane (resources at
// once, an honest status, the private conversation once someone answers) or a private word.
//
// Tapping "Talk to someone now" shows the resources at once and, from a room, asks the on-call
// team (crisis.request). What the lane says follows SAFETY-NET.md §3: no promise that anyone
// will come or when, no claim that a facilitator is a professional, who can read it, and the
// numbers always in view. Focus moves to the sheet only when the person opened it themselves.

import { h, fill, setText, keepFocus, changed } from "../dom.js";
import { t } from "../i18n.js";
import {
  WAIT_STAGES_MS, allHoursResources, canAskForHelp, crisisConversation, crisisLine, crisisResources, isLive,
  laneStatus, liveConversations, sheetFocus, sheetIsLane, unreadCount,
} from "../conversations.js";
import { createConversations } from "./conversation.js";

const LINK_WORDS = { call: "crisis.link.call", emergency: "crisis.link.call", text: "crisis.link.text", chat: "crisis.link.chat", directory: "crisis.link.directory" };
const LINE_WORDS = { call: "crisis.line.call", emergency: "crisis.line.emergency", text: "crisis.line.text" };

export function mount(doc, ctx) {
  const el = (id) => doc.getElementById(id);
  const dock = el("crisis");
  const sheet = el("lane");
  const talk = el("talk-now");
  const line = el("crisis-number");
  const show = el("lane-show");
  const conversations = createConversations(ctx);
  const r = {
    title: h("h2", { id: "lane-title", tabindex: "-1" }),
    hide: h("button", { type: "button", class: "quiet small", dataset: { key: "lane-hide", testid: "lane-hide" } }),
    switcher: h("div", { class: "row tight lane-switch", role: "group" }),
    body: h("div", { class: "sheet-body" }),
    foot: h("div", { class: "sheet-foot" }),
    lane: h("div", { class: "lane", dataset: { testid: "lane-view" } }),
    resources: h("ul", { class: "resources", dataset: { testid: "resources" } }),
    resourcesSummary: h("summary", {}),
    resourcesBox: h("details", { class: "resources-box", open: true }),
    wasAnswered: false,
    status: h("p", { class: "lane-status", role: "status", dataset: { testid: "lane-status" } }),
    note: h("p", { class: "hint lane-note" }),
    actions: h("div", { class: "row" }),
    conversation: h("div", { class: "lane-conversation" }),
    drawnResources: null,
  };
  fill(sheet, h("div", { class: "sheet-head" }, r.title, r.hide), r.switcher, r.body, r.foot);
  fill(r.resourcesBox, r.resourcesSummary, r.resources);
  fill(r.lane, h("p", { class: "lane-intro" }, t("lane.intro")), r.resourcesBox, r.status, r.note);
  r.laneFoot = h("div", { class: "lane-foot" }, r.actions);

  const focusSheet = () => queueMicrotask(() => r.title.focus());
  ctx.focusLane = focusSheet;
  ctx.focusTalk = () => queueMicrotask(() => talk.focus());
  talk.addEventListener("click", () => {
    askForHelp(ctx);
    focusSheet();
  });
  show.addEventListener("click", () => {
    ctx.store.dispatch({ type: "sheet", open: true });
    focusSheet();
  });
  r.hide.addEventListener("click", () => {
    ctx.store.dispatch({ type: "sheet", open: false });
    ctx.focusTalk();
  });
  sheet.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    ctx.store.dispatch({ type: "sheet", open: false });
    ctx.focusTalk();
  });
  // Keep the page's end clear of the dock, however tall it is (CSSOM is allowed by the CSP).
  new ResizeObserver(() => doc.documentElement.style.setProperty("--crisis-h", `${dock.offsetHeight}px`)).observe(dock);

  return function update(state, prev) {
    if (changed(prev, state, (s) => s.crisis, (s) => s.room, (s) => s.conversations)) drawLine(line, state);
    const live = liveConversations(state);
    const unread = unreadCount(state);
    show.hidden = state.sheet.open || live.length === 0;
    setText(show, unread ? t("lane.show.unread", { count: unread }) : t("lane.show"));
    sheet.hidden = !state.sheet.open;
    if (!state.sheet.open) return;
    if (!changed(prev, state, (s) => s.sheet, (s) => s.conversations, (s) => s.lane, (s) => s.conn, (s) => s.screen, (s) => s.room, (s) => s.crisis)
      && !laneTicks(prev, state)) return;
    drawSheet(r, state, ctx, conversations);
  };
}

/** The wait passed two or five minutes: the status line says so (once each, SAFETY-NET §3). */
const laneTicks = (prev, state) => laneStatus(prev).stage !== laneStatus(state).stage;

/** Open the lane: the resources show at once; from a room, ask the on-call team (once). */
async function askForHelp(ctx) {
  const state = ctx.store.getState();
  const current = crisisConversation(state);
  if (!canAskForHelp(state) || state.lane?.status === "asking" || (current && isLive(current))) {
    ctx.store.dispatch({ type: "sheet", open: true, focus: "crisis" });
    return;
  }
  ctx.store.dispatch({ type: "crisis.asking" });
  let code = null;
  // The browser's language picks the member's region's numbers, where the operator has them.
  const locale = String(globalThis.navigator?.language ?? "").slice(0, 35);
  const ack = await ctx.act("crisis.request", locale ? { locale } : {}, null, (err) => {
    code = err?.code ?? "unknown";
  });
  if (ack) ctx.dispatch({ type: "crisis.opened", ack });
  else ctx.store.dispatch({ type: "crisis.refused", code });
}

function drawLine(link, state) {
  const r = crisisLine(state);
  link.hidden = !r;
  if (!r) return;
  link.href = r.link;
  const word = LINE_WORDS[r.channel];
  fill(link, word ? h("span", { class: "crisis-kind" }, t(word)) : null, h("strong", {}, r.number || r.label));
  link.setAttribute("aria-label", t("crisis.number", { number: r.number ? `${r.label}, ${r.number}` : r.label }));
}

function drawSheet(r, state, ctx, conversations) {
  conversations.prune(state);
  const c = sheetFocus(state);
  const lane = sheetIsLane(state);
  setText(r.title, lane ? t("lane.title") : t(c.mine ? "word.title.mine" : "word.title.theirs", { name: c.with }));
  setText(r.hide, t("lane.hide"));
  r.hide.setAttribute("aria-label", t("lane.hide.label"));
  drawSwitcher(r.switcher, state, ctx, lane ? "crisis" : c.id);
  if (!lane) {
    keepFocus(r.body, () => conversations.draw(r.body, r.foot, state, c));
    r.foot.hidden = false;
    return;
  }
  keepFocus(r.body, () => {
    if (r.body.firstChild !== r.lane) fill(r.body, r.lane);
    drawLane(r, state, ctx, conversations);
  });
}

/** With more than one conversation, a row of buttons to choose which one the sheet shows. */
function drawSwitcher(root, state, ctx, current) {
  const live = liveConversations(state);
  const crisis = crisisConversation(state);
  const items = [
    ...(crisis || current === "crisis" ? [{ key: "crisis", label: t("lane.switch.crisis"), unread: crisis?.unread ?? 0 }] : []),
    ...live.filter((c) => c.kind === "word").map((c) => ({ key: c.id, label: c.with, unread: c.unread })),
  ];
  root.hidden = items.length < 2;
  root.setAttribute("aria-label", t("lane.switch"));
  if (root.hidden) return;
  keepFocus(root, () => fill(root, items.map((item) => h("button", {
    type: "button", class: "quiet small", "aria-pressed": String(item.key === current), dataset: { key: `switch-${item.key}` },
    onclick: () => ctx.store.dispatch({ type: "sheet", open: true, focus: item.key }),
  }, item.unread ? t("lane.switch.unread", { name: item.label, count: item.unread }) : item.label))));
}

function drawLane(r, state, ctx, conversations) {
  const resources = crisisResources(state);
  const drawn = JSON.stringify(resources);
  if (drawn !== r.drawnResources) {
    r.drawnResources = drawn;
    fill(r.resources, resources.length ? resources.map(resource) : h("li", {}, t("crisis.text")));
  }
  const s = laneStatus(state);
  r.status.dataset.status = s.status;
  setText(r.status, statusText(s, resources));
  const note = noteText(s);
  setText(r.note, note);
  r.note.hidden = !note;
  const c = crisisConversation(state);
  // The conversation shows from the ask on: the member may write while waiting, and its way
  // out is "I'm OK for now" until someone answers (regions/conversation.js).
  const talking = c && (isLive(c) || (c.status === "ended" && c.messages.length > 0));
  // Once someone is here the conversation needs the room: the services fold into one line
  // (the crisis line stays pinned below), a tap away.
  const answered = c?.status === "answered";
  r.resourcesBox.open = !answered || r.resourcesBox.open && r.wasAnswered;
  r.wasAnswered = answered;
  setText(r.resourcesSummary, t("lane.resources", { count: resources.length }));
  // The composer, or "I'm OK for now", sits in the sheet's foot: always in view, never scrolled away.
  keepFocus(r.foot, () => {
    if (talking) {
      if (r.conversation.parentNode !== r.lane) r.lane.append(r.conversation);
      conversations.draw(r.conversation, r.foot, state, c);
      return;
    }
    r.conversation.remove();
    if (r.foot.firstChild !== r.laneFoot) fill(r.foot, r.laneFoot);
    fill(r.actions, laneActions(s, state, ctx));
  });
  r.foot.hidden = !talking && !r.actions.firstChild;
}

function resource(item) {
  const words = LINK_WORDS[item.channel] ?? "crisis.link.call";
  const action = item.link
    ? h("a", { href: item.link, class: "resource-link", rel: item.link.startsWith("https:") ? "noopener" : null, target: item.link.startsWith("https:") ? "_blank" : null },
      t(words, { number: item.number || item.label }))
    : item.number ? h("span", {}, item.number) : null;
  return h("li", { class: `resource ${item.channel}`, dataset: { testid: "resource", channel: item.channel } },
    h("span", { class: "resource-label" }, item.label),
    action,
    item.hours ? h("span", { class: "hint resource-hours" }, t("crisis.hours", { hours: item.hours })) : null);
}

function statusText(s, resources) {
  const minutes = WAIT_STAGES_MS[s.stage - 1] / 60_000; // said at two and five minutes, not every one
  switch (s.status) {
    case "asking": return t("lane.status.asking");
    case "waiting":
      return s.stage > 0 ? t("lane.status.still_waiting", { minutes, count: s.onCall ?? 0 })
        : typeof s.onCall === "number" ? t("lane.status.waiting", { count: s.onCall }) : t("lane.status.waiting.unknown");
    case "nobody_on_call": return t(allHoursResources(resources) ? "lane.status.nobody.always" : "lane.status.nobody.hours");
    case "answered": return t("lane.status.answered", { name: s.by || t("conv.someone") });
    case "ended": return t("lane.status.ended");
    case "unavailable": return t("lane.status.unavailable");
    case "idle": return t("lane.status.idle");
    default: return t("lane.status.not_seated");
  }
}

/** What waiting means, said plainly: no time promised, the numbers are the way to someone now. */
function noteText(s) {
  if (s.status === "waiting" || s.status === "asking") return t("lane.note.waiting");
  if (s.status === "nobody_on_call") return t("lane.note.nobody");
  return "";
}

function laneActions(s, state, ctx) {
  if (s.status === "unavailable" && canAskForHelp(state)) {
    return h("button", { type: "button", class: "secondary", dataset: { key: "lane-retry", testid: "lane-retry" },
      onclick: () => askForHelp(ctx) }, t("lane.retry"));
  }
  return null;
}
