"""The meeting formats sharecircle ships, shaped after how real meetings run (MEETINGS.md §2).

Every text here was written for sharecircle. None is a fellowship's literature: no preamble,
steps, traditions, statements, prayers or scripts of any group are quoted (MEETINGS.md, "Texts:
who owns what"), and no group's marks name a format. Rooms may replace these with their own
formats (room config, admin API), including texts a group has the right to use.

Timings follow MEETINGS.md §2; where a source gives a range, the middle is taken.
"""

from __future__ import annotations

from facilitation.formats import Format, Part
from facilitation.state import Order, PartKind, Posting

__all__ = ["SHIPPED_FORMATS", "SURVIVORS_CIRCLE", "TOOLS_MEETING", "TWELVE_STEP_TEXT"]

_K = PartKind


def _prose(source: str) -> str:
    """Source text wrapped for this file, unwrapped for screens: paragraphs are separated by a
    blank line, list items ("- ") start a line, every other line break becomes a space."""
    paragraphs = []
    for block in source.strip().split("\n\n"):
        lines: list[str] = []
        for line in block.splitlines():
            if lines and not line.startswith("- "):
                lines[-1] += " " + line.strip()
            else:
                lines.append(line.strip())
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


# --- A. twelve-step-style text meeting (about 60 minutes) ------------------------------------

_A_OPENING = """\
Welcome to this meeting. It is a peer meeting: we share our own experience of recovery, one
person at a time. Use a first name or a nickname. Please keep what people share, and who
was here, to yourself after the meeting.

How this room works: raise your hand to ask for a turn. When the floor is yours, you have a few
minutes; say "done" or press Done when you finish. You may pass at any time, and listening
without sharing is always welcome. If you have used today, please stay and listen, and hold off
on sharing until another day. This room is not a crisis service: if you are in danger, contact
your local emergency number."""

_A_QUIET = """\
Let us take a minute of quiet to remember why we came, and to think of anyone who is still
struggling tonight."""

_A_READINGS = """\
Why we meet. We come together because we found we could not stay well alone. Nobody here is an
expert and nobody is in charge of anyone else's recovery. We each speak only for ourselves.

What we ask of each other. We listen without interrupting. We do not give advice, correct or
comment on what someone else shares, now or later. We talk about our own experience, not about
other people's stories. We keep the focus on recovery. Everyone who comes looking for
recovery is welcome here."""

_A_WELCOMES = """\
Is anyone here for the first time, or new to this room? You are welcome to say hello with a
first name. Answering is optional; you are just as welcome if you only listen."""

_A_TOPIC = """\
The chair names today's topic, or reads a short passage the group has chosen. If a speaker was
asked to lead, they share first, for up to ten minutes. Anyone may share on the topic or on
whatever is on their mind today."""

_A_SHARES = """\
The floor is open for shares. Raise your hand to join the queue; the floor passes in order.
Speak from your own experience, use "I", and leave out graphic detail. No advice, no comments on
other shares, no cross-talk. Passing is fine."""

_A_SUPPORT = """\
This meeting is kept going by its members. If you can and want to, the room's pinned link lets
you give a little. Nobody is expected to, and newcomers are asked not to."""

_A_ANNOUNCEMENTS = """\
Announcements about this group: service positions, changes to the schedule, and anyone marking a
milestone in their recovery."""

_A_CLOSING = """\
Thank you all for being here, and for sharing and listening. Please keep what was shared to
yourself. We hope to see you again. Those who wish may close together with a few words of hope, in whatever words
mean something to them. The room stays open for chat after the meeting."""

TWELVE_STEP_TEXT = Format(
    key="twelve-step-text",
    title="Twelve-step style text meeting",
    self_led=True,
    parts=(
        Part.of(_K.READING, "Opening", minutes=3, text=_prose(_A_OPENING)),
        Part.of(_K.OPEN_TALK, "A minute of quiet", posting=Posting.NOBODY, minutes=1,
                text=_prose(_A_QUIET)),
        Part.of(_K.READING, "Readings", minutes=5, text=_prose(_A_READINGS)),
        Part.of(_K.OPEN_TALK, "Welcomes", minutes=2, text=_prose(_A_WELCOMES)),
        Part.of(_K.READING, "Topic", minutes=5, text=_prose(_A_TOPIC)),
        Part.of(_K.SHARE_ROUND, "Shares", order=Order.HANDS, share_seconds=180, minutes=35,
                text=_prose(_A_SHARES)),
        Part.of(_K.ANNOUNCEMENTS, "Self-support", minutes=2, text=_prose(_A_SUPPORT)),
        Part.of(_K.ANNOUNCEMENTS, "Announcements", minutes=2, text=_prose(_A_ANNOUNCEMENTS)),
        Part.of(_K.CLOSING, "Closing", crosstalk=True, minutes=3, text=_prose(_A_CLOSING)),
    ),
)  # fmt: skip
"""MEETINGS.md §2 A: opening, quiet, readings, welcomes, topic, shares, support, closing."""

# --- B. tools-based meeting (about 90 minutes) -----------------------------------------------

_B_WELCOME = """\
Welcome. This is a peer support meeting where we use practical tools to change habits we want
to change. It is not therapy and the facilitator is not a therapist. Taking part is up to you:
you may listen the whole time. If anyone sends you a private message you did not want, please
tell a facilitator."""

_B_CHECK_IN = """\
Check-in: each of us in turn says briefly how things have gone since we last met: what went
well, what was hard. No need to tell your history. You may pass."""

_B_AGENDA = """\
From the check-ins, the facilitator suggests one or two things to work on together, or a tool
to practise. Members may propose a topic too."""

_B_WORKING = """\
Working time. Talk with each other about the topic: questions are welcome. Say what worked for
you ("what helped me was..."), not what someone else should do. Stay on the topic and be kind
about differences."""

_B_HAT = """\
Passing the hat: meetings like this one run on small gifts. If you want to help, the pinned link
is there for a few minutes. It is never expected."""

_B_CHECK_OUT = """\
Check-out: each of us in turn names one thing we take away from today, or a plan for the coming
week. You may pass. Thank you for coming; the facilitator closes the meeting after the last
check-out."""

TOOLS_MEETING = Format(
    key="tools-based",
    title="Tools-based recovery meeting",
    self_led=True,
    parts=(
        Part.of(_K.READING, "Welcome", minutes=5, text=_prose(_B_WELCOME)),
        Part.of(_K.SHARE_ROUND, "Check-in", posting=Posting.IN_TURN, share_seconds=120,
                minutes=15, text=_prose(_B_CHECK_IN)),
        Part.of(_K.OPEN_TALK, "Agenda", posting=Posting.FACILITATOR, crosstalk=True, minutes=3,
                text=_prose(_B_AGENDA)),
        Part.of(_K.OPEN_TALK, "Working time", minutes=45, text=_prose(_B_WORKING)),
        Part.of(_K.ANNOUNCEMENTS, "Passing the hat", minutes=3, text=_prose(_B_HAT)),
        Part.of(_K.SHARE_ROUND, "Check-out", posting=Posting.IN_TURN, share_seconds=60,
                minutes=15, text=_prose(_B_CHECK_OUT)),
    ),
)  # fmt: skip
"""MEETINGS.md §2 B: the six elements; crosstalk off in check-in, welcome in working time."""

# --- C. survivors' peer circle (about 90 minutes; never without a facilitator) ----------------

_C_OPENING = """\
Welcome to this circle. Everyone here is a survivor, and this is a peer space: nobody here is a
therapist. You may step away at any time and come back when you are ready; the break room link
is pinned. You never have to share. This circle is not a crisis service: if you are in danger
now, contact your local emergency number; crisis lines are pinned in this room."""

_C_GUIDELINES = """\
Our guidelines, read every time:
- What is shared here stays here. No screenshots, no copying, no saving.
- Share the effects on your life, not the details of what happened. Keep it non-graphic; a
  facilitator may gently redirect.
- Start a share that touches on hard things with a short content note.
- Speak from your own experience ("in my experience..."); no advice, no questions to the person
  sharing, and no comments on anyone's share, now or later, unless they invite it.
- Do not ask anyone for details that could identify them.
- Be gentle with yourself and with each other."""

_C_CHECK_IN = """\
Check-in: in turn, a line or two about how you are today. Passing is always fine."""

_C_SHARES = """\
The floor is open for shares. Raise your hand to join the queue. Begin with a content note if
your share touches on hard things; readers can choose when to open it. No questions or comments
to the person sharing."""

_C_EXERCISE = """\
The facilitator offers a topic or a short exercise. Everyone is welcome to respond, gently and
briefly, or simply to follow along. It is optional."""

_C_GROUNDING = """\
Grounding together. Take a slow breath in and a longer breath out. Notice five things you can
see, four you can touch, three you can hear, two you can smell, and one you can taste. Feel your
feet on the floor. Take one more slow breath."""

_C_CLOSING = """\
Thank you for being here. Take care of yourself after the circle: be kind to yourself, drink some
water, reach out to someone you trust. The pinned resources list crisis lines and support
services. What was shared here stays here."""

SURVIVORS_CIRCLE = Format(
    key="survivors-circle",
    title="Survivors' peer circle",
    self_led=False,
    parts=(
        Part.of(_K.READING, "Opening", minutes=5, text=_prose(_C_OPENING)),
        Part.of(_K.READING, "Guidelines", minutes=5, text=_prose(_C_GUIDELINES)),
        Part.of(_K.SHARE_ROUND, "Check-in", posting=Posting.IN_TURN, share_seconds=60,
                minutes=15, text=_prose(_C_CHECK_IN)),
        Part.of(_K.SHARE_ROUND, "Shares", order=Order.HANDS, share_seconds=360, minutes=40,
                text=_prose(_C_SHARES), content_notes=True),
        Part.of(_K.OPEN_TALK, "Topic or exercise", posting=Posting.FACILITATOR, crosstalk=True,
                minutes=10, text=_prose(_C_EXERCISE)),
        Part.of(_K.READING, "Grounding", minutes=5, text=_prose(_C_GROUNDING)),
        Part.of(_K.CLOSING, "Closing", minutes=5, text=_prose(_C_CLOSING)),
    ),
)  # fmt: skip
"""MEETINGS.md §2 C; §3: it should not run self-led, so it holds without a facilitator."""

SHIPPED_FORMATS: dict[str, Format] = {
    f.key: f for f in (TWELVE_STEP_TEXT, TOOLS_MEETING, SURVIVORS_CIRCLE)
}
"""The shipped formats by key, for room config (`format = "twelve-step-text"`)."""
