// Milestones and fairness in the page's state (issue 15, points 5 and 6), kept apart from
// reducer.js so that the meeting's "tending" lives in one place. Pure, like the reducer:
//
// - `tending` (facilitators only): the turns tally, `[{member, shares, share_ms, passes}]`, and
//   the milestones members marked, `[{member, days, celebrated}]`. It comes whole in a
//   facilitator's join ack (`ack.tending`) and in every `fairness` event; milestones change with
//   `milestone.marked`, `milestone.cleared` and `milestone.celebrated`; a member who becomes a
//   facilitator mid-meeting gets it whole in a `tending` event. It goes with the meeting
//   (`format.ended`) and drops whoever leaves. Member ids and numbers only: no content.
// - `myMilestone` (a member's own): `{days, celebrated}` once the server acked `milestone.set`,
//   null after `milestone.clear`, when the meeting leaves its format, or on a new join. A resume
//   keeps it: the server still holds it while the seat is held.
// - `contentNote`: the note the person sharing gives their share in a part with content notes
//   (protocol.md §3.2); every post of the share carries it, and it is cleared when the floor moves.

export const emptyTending = () => ({ tending: { fairness: [], milestones: [] }, myMilestone: null, contentNote: "" });

/** The tending slice of a new snapshot: facilitators get it whole; a resync keeps my milestone
 * and my share's content note (the server still holds the one, the share may go on). */
export function tendingFromAck(state, ack, reason) {
  const given = ack.tending ?? {};
  const arrival = reason === "join" || reason === "admitted";
  return {
    tending: { fairness: given.fairness ?? [], milestones: given.milestones ?? [] },
    myMilestone: arrival ? null : state.myMilestone,
    contentNote: arrival ? "" : state.contentNote,
  };
}

const withTending = (state, fields) => ({ ...state, tending: { ...state.tending, ...fields } });

const dropMember = (list, id) => list.filter((x) => x.member !== id);

/** Local actions: my milestone as the server acked it, and the share's content note. */
export const TENDING_ACTIONS = {
  "milestone.mine": (state, a) => ({ ...state, myMilestone: a.days ? { days: a.days, celebrated: false } : null }),
  "content.note": (state, a) => ({ ...state, contentNote: String(a.text ?? "") }),
};

/** Room events about tending (facilitators-only ones reach others as `hidden`, never here). */
export const TENDING_EVENTS = {
  fairness: (state, f) => withTending(state, { fairness: f.turns ?? [] }),
  // I (or someone) just became a facilitator mid-meeting: all facilitators hold, at once.
  tending: (state, f) => withTending(state, { fairness: f.tending?.fairness ?? [], milestones: f.tending?.milestones ?? [] }),
  "milestone.marked": (state, f) => withTending(state, {
    milestones: [...dropMember(state.tending.milestones, f.member), { member: f.member, days: f.days, celebrated: false }],
  }),
  "milestone.cleared": (state, f) => withTending(state, { milestones: dropMember(state.tending.milestones, f.member) }),
  "milestone.celebrated"(state, f) {
    const milestones = state.tending.milestones.map((m) => (m.member === f.member ? { ...m, celebrated: true } : m));
    const mine = f.member === state.myId && state.myMilestone ? { ...state.myMilestone, celebrated: true } : state.myMilestone;
    return { ...withTending(state, { milestones }), myMilestone: mine };
  },
  "format.ended": (state) => ({ ...state, tending: { fairness: [], milestones: [] }, myMilestone: null }),
  "member.left": (state, f) => withTending(state, {
    fairness: dropMember(state.tending.fairness, f.member),
    milestones: dropMember(state.tending.milestones, f.member),
  }),
  "floor.granted": (state) => (state.contentNote ? { ...state, contentNote: "" } : state),
};
