"""rooms/conversations.py: who may open and speak, what the member is told, what each side
gets. Pure: no event loop, no backend."""

from __future__ import annotations

import facilitation as fx
from rooms.conversations import (
    Conversation,
    Kind,
    Opener,
    Party,
    Sent,
    Status,
    frames_for,
    member_key,
    staff_key,
    status,
    word_refusal,
)
from rooms.errors import RoomsCode

RIVER = Party(member_key("m_river"), "River")
ANA = Party(staff_key("ana"), "Ana")


def participant(member: str) -> fx.Participant:
    return fx.Participant(member=member, name="X", name_key="x", role=fx.Role.MEMBER, joined_seq=1)


def test_only_a_facilitator_opens_a_word_with_someone_seated_here() -> None:
    target = participant("m_river")
    assert word_refusal(Opener.FACILITATOR, "m_fran", target) is None
    for opener in (Opener.MEMBER, Opener.OBSERVER):
        refused = word_refusal(opener, "m_x", target)
        assert refused is not None
        assert refused[0] is fx.Refusal.NOT_FACILITATOR
    refused = word_refusal(Opener.FACILITATOR, "m_fran", None)
    assert refused is not None
    assert refused[0] is RoomsCode.MEMBER_NOT_FOUND
    refused = word_refusal(Opener.FACILITATOR, "m_river", target)
    assert refused is not None
    assert refused[0] is fx.Refusal.BAD_REQUEST


def test_the_member_is_told_the_truth_about_who_is_coming() -> None:
    waiting = Conversation("cv_1", Kind.CRISIS, "night-owls", RIVER, None, "alr_1")
    assert status(waiting, 2) is Status.WAITING
    assert status(waiting, 0) is Status.NOBODY_ON_CALL
    assert status(waiting.answered_by(ANA), 0) is Status.ANSWERED


def test_only_the_two_parties_are_parties() -> None:
    talk = Conversation("cv_1", Kind.CRISIS, "night-owls", RIVER, ANA)
    assert talk.party(RIVER.key) == RIVER
    assert talk.party(ANA.key) == ANA
    assert talk.party(member_key("m_sam")) is None
    assert talk.peer_of(RIVER.key) == ANA
    assert Conversation.from_bytes(talk.to_bytes()) == talk


def test_a_message_says_me_or_them_and_never_a_party_key() -> None:
    sent = Sent("conversation.message", (RIVER.key, ANA.key), {"name": "River", "text": "hi"},
                sender=RIVER.key)  # fmt: skip
    sent = Sent.from_bytes(sent.to_bytes())
    mine = frames_for(sent, "cv_1", 3, 1000, RIVER.key)
    theirs = frames_for(sent, "cv_1", 3, 1000, ANA.key)
    assert (mine["from"], theirs["from"]) == ("me", "them")
    assert mine["type"] == "conversation"
    assert "m_river" not in str(theirs)


def test_a_console_hears_of_an_opened_conversation_as_a_staff_frame() -> None:
    sent = Sent("conversation.opened", (ANA.key,), {"kind": "crisis", "with": "River"})
    assert frames_for(sent, "cv_1", 2, 1000, ANA.key)["type"] == "staff"
    sent = Sent("conversation.opened", (RIVER.key,), {"kind": "word", "with": "Fran"})
    assert frames_for(sent, "cv_1", 1, 1000, RIVER.key)["type"] == "conversation"
