// What a facilitator can do to one person, shown right under that person in the people list
// (people.js): a private word (a conversation only the two of them see, in the sheet at the
// bottom: crisis.js), mute or unmute, listen-only, remove and ban (each asks twice, like clearing
// the history: the first press arms it for a few seconds, the second acts), co-facilitator,
// handover.
// The inputs live as long as the page, so a reason being typed survives every redraw.

import { h, fill, keepFocus } from "../dom.js";
import { t, duration } from "../i18n.js";
import { isMuted, member } from "../selectors.js";

const MUTE_TIMES = [60, 300, 900, 3600, 86400];
const BAN_TIMES = [3600, 86400, 604800];

let uid = 0;

function labelled(label, control) {
  control.id ||= `act-field-${++uid}`;
  return h("div", { class: "field" }, h("label", { for: control.id }, label), control);
}

function times(list, value) {
  const node = h("select", {}, list.map((s) => h("option", { value: String(s) }, duration(s * 1000))));
  node.value = String(value);
  return node;
}

const button = (text, onclick, extra = {}) => h("button", { type: "button", class: "secondary small", onclick, ...extra }, text);

/** The actions box and its `draw(state)`; `box` is placed by people.js under the chosen person. */
export function createMemberActions(ctx) {
  const f = {
    box: h("div", { class: "member-actions stack", role: "group", dataset: { testid: "member-actions" } }),
    status: h("p", { class: "inline-error", "aria-live": "polite" }),
    muteTime: times(MUTE_TIMES, 300),
    removeReason: h("input", { type: "text", maxlength: "200", autocomplete: "off" }),
    banTime: times(BAN_TIMES, 86400),
    banReason: h("input", { type: "text", maxlength: "200", autocomplete: "off" }),
    drawn: null,
  };
  return {
    box: f.box,
    draw(state) {
      const chosen = state.selected ? member(state, state.selected) : null;
      const drawn = [chosen, chosen && isMuted(state, chosen), state.armed];
      if (f.drawn && drawn.every((v, i) => v === f.drawn[i])) return;
      f.drawn = drawn;
      if (chosen) f.box.setAttribute("aria-label", t("facilitator.actions", { name: chosen.name }));
      keepFocus(f.box, () => fill(f.box, chosen ? actions(f, state, chosen, ctx) : null));
    },
  };
}

/** A button that asks twice: armed by the first press (state.armed === key), acts on the second. */
function twice(state, ctx, key, label, confirm, act) {
  const armed = state.armed === key;
  return button(armed ? confirm : label, () => {
    if (ctx.store.getState().armed !== key) return ctx.arm(key);
    ctx.store.dispatch({ type: "disarm", key });
    return act();
  }, { class: armed ? "primary small danger" : "secondary small danger", dataset: { key: key.split(":")[0] } });
}

function actions(f, state, m, ctx) {
  const s = f.status;
  const { id, name } = m;
  const act = (command, fields) => () => ctx.act(command, { member: id, ...fields }, s);
  const handover = button(t("facilitator.handover", { name }), act("facilitator.handover"), { dataset: { key: "handover" } });
  if (m.role === "facilitator") return [h("p", { class: "muted small" }, t("facilitator.also", { name })), handover, s];
  const muted = isMuted(state, m);
  const word = async () => {
    const ack = await ctx.act("word.open", { member: id }, s);
    if (!ack) return;
    ctx.dispatch({ type: "word.opened", conversation: ack.conversation, member: id, name });
    ctx.focusLane?.();
  };
  return [
    button(t("facilitator.word", { name }), word, { class: "primary small soft", dataset: { key: "word", testid: "private-word" } }),
    h("div", { class: "row end" },
      muted ? null : labelled(t("facilitator.mute_for"), f.muteTime),
      muted
        ? button(t("facilitator.unmute", { name }), act("unmute"), { dataset: { key: "mute" } })
        : button(t("facilitator.mute", { name }), () => ctx.act("mute", { member: id, seconds: Number(f.muteTime.value) }, s), { dataset: { key: "mute" } })),
    button(m.listen_only ? t("facilitator.speak", { name }) : t("facilitator.listen_only", { name }),
      act("listen_only.assign", { on: !m.listen_only }), { dataset: { key: "listen" } }),
    h("div", { class: "row end" },
      labelled(t("facilitator.remove.reason"), f.removeReason),
      twice(state, ctx, `remove:${id}`, t("facilitator.remove", { name }), t("facilitator.remove.confirm", { name }),
        () => ctx.act("remove", { member: id, reason: f.removeReason.value.trim() }, s))),
    h("div", { class: "row end" },
      labelled(t("facilitator.ban_for"), f.banTime),
      labelled(t("facilitator.ban.reason"), f.banReason),
      twice(state, ctx, `ban:${id}`, t("facilitator.ban", { name }), t("facilitator.ban.confirm", { name }),
        () => ctx.act("ban", { member: id, seconds: Number(f.banTime.value), reason: f.banReason.value.trim() }, s))),
    h("div", { class: "row wrap" },
      button(t("facilitator.cofacilitator", { name }), act("facilitator.add"), { dataset: { key: "cofac" } }),
      handover),
    s,
  ];
}
