// What is worth saying when something happens: announcements for screen readers and quiet
// notes in the conversation (later: turn alerts, sounds, voice). One table, keyed by event name;
// each entry looks at (previous, next, frame) and returns effects as data:
//   {say: key, params, kind}   an announcement ("message" items are summed up in bursts)
//   {note: key, params}        a line in the conversation
// The table and effectsOf are pure; runEffects carries them out through the functions it is
// given. Replayed events (a resume's backlog) give none, so old turns are never announced again.

import { me, nameOf } from "./selectors.js";

const say = (key, params = {}, kind = "note") => ({ say: key, params, kind });
const note = (key, params = {}) => ({ note: key, params });

/** Someone's name for announcements; a catalog key stands in when the name is unknown. */
const who = (state, id) => ({ name: nameOf(state, id) ?? "" });

export const EFFECTS = {
  "chat.message": (prev, next, f) => (f.from === next.myId ? [] : [say("announce.message", { name: f.name, text: String(f.text).slice(0, 300) }, "message")]),
  "floor.granted": (prev, next, f) => [f.member === next.myId ? say("announce.floor.mine") : say("announce.floor.other", who(next, f.member))],
  "share.warning": (prev, next, f) => [f.member === next.myId ? say("announce.warning.mine") : say("announce.warning.other", who(next, f.member))],
  "round.opened": (prev, next, f) => (f.topic
    ? [say("announce.round.opened.topic", { topic: f.topic }), note("note.round.opened.topic", { topic: f.topic })]
    : [say("announce.round.opened"), note("note.round.opened")]),
  "round.ended": () => [say("announce.round.ended"), note("note.round.ended")],
  "round.paused": () => [say("announce.round.paused")],
  "round.resumed": () => [say("announce.round.resumed")],
  "report.filed": () => [say("announce.report")],
  "raid.alert": () => [say("announce.raid")],
  "lobby.waiting": (prev, next, f) => [say("announce.waiting", { name: f.name })],
  "room.reset": () => [say("announce.reset")],
  "member.updated": (prev, next, f) => (f.member.id === next.myId ? aboutMe(me(prev), me(next)) : []),
};

/** Say what changed about me, in words (role, mute, listen-only). */
function aboutMe(before, after) {
  if (!before || !after) return [];
  const out = [];
  if (before.role !== after.role) out.push(say(after.role === "facilitator" ? "announce.me.facilitator" : "announce.me.member"));
  if (before.muted_until !== after.muted_until) out.push(say(after.muted_until ? "announce.me.muted" : "announce.me.unmuted"));
  if (before.listen_only !== after.listen_only) out.push(say(after.listen_only ? "announce.me.listen_only" : "announce.me.speak"));
  return out;
}

/**
 * The effects of one store change. `action` is what the store just applied; replayed events and
 * anything but live events and seatings give none.
 */
export function effectsOf(prev, next, action) {
  if (action.type === "event") return action.replayed ? [] : EFFECTS[action.frame.event]?.(prev, next, action.frame) ?? [];
  // The name may carry a number ("River 2") if someone in the room took it while they waited.
  if (action.type === "snapshot" && action.reason === "admitted") return [say("announce.admitted", { room: next.room?.name ?? "", name: action.ack?.member?.name ?? "" })];
  if (action.type === "snapshot" && next.historyLost) return [say("announce.resync")];
  return [];
}

/**
 * Carry out the effects of every store change: `say(text, kind)` for announcements (the app's
 * announcer), a `note` action for notes. Returns the function that stops it.
 */
export function runEffects(store, { say, t }) {
  return store.subscribe((previous, next, action) => {
    for (const effect of effectsOf(previous, next, action)) {
      if (effect.say) say(t(effect.say, effect.params), effect.kind);
      if (effect.note) store.dispatch({ type: "note", label: effect.note, params: effect.params });
    }
  });
}
