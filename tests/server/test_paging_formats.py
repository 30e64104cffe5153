"""Each receiver's request shape, signed where it should be, with nothing personal in it."""

from __future__ import annotations

import json
import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from server.paging_formats import (
    EventType,
    Receiver,
    WebhookEvent,
    build_request,
    event_body,
    opaque_room,
    page_text,
)

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OTHER_SECRET = "whsec_c2VjcmV0LWtleS10d28tZm9yLXJvdGF0aW9uIQ=="


def _now() -> float:
    """The signing time, read when a request is built: the verifying library refuses a
    timestamp over 5 minutes old, and a whole test run can take longer than that since import."""
    return time.time()


def unclaimed(waited_s: int = 180, kind: str = "crisis") -> WebhookEvent:
    return WebhookEvent(
        event_id="evt_alr_9c2_2",
        type=EventType.UNCLAIMED,
        at=_now(),
        alert_id="alr_9c2",
        kind=kind,
        severity="urgent",
        room=opaque_room("night-owls", b"k" * 32),
        waited_s=waited_s,
        level=2,
        console_url="https://circle.example.org/staff/alerts/alr_9c2",
    )


def test_the_generic_body_is_the_documented_thin_shape() -> None:
    body = event_body(unclaimed())
    assert body["type"] == "alert.unclaimed"
    assert isinstance(body["timestamp"], str)
    assert body["timestamp"].endswith("Z")
    assert body["data"] == {
        "alert_id": "alr_9c2",
        "kind": "crisis",
        "severity": "urgent",
        "room": opaque_room("night-owls", b"k" * 32),
        "waited_s": 180,
        "level": 2,
        "console_url": "https://circle.example.org/staff/alerts/alr_9c2",
    }


def test_room_ids_are_opaque_stable_and_keyed() -> None:
    room = opaque_room("night-owls", b"k" * 32)
    assert room.startswith("rm_")
    assert "night" not in room
    assert room == opaque_room("night-owls", b"k" * 32)
    assert room != opaque_room("night-owls", b"j" * 32)
    assert room != opaque_room("day-owls", b"k" * 32)


def test_the_generic_request_verifies_with_the_standard_webhooks_library() -> None:
    request = build_request(
        unclaimed(), url="https://x.example/hook", receiver=Receiver.GENERIC, at=_now(),
        secrets=(SECRET,),
    )  # fmt: skip
    payload = Webhook(SECRET).verify(request.body, dict(request.headers))
    assert payload == json.loads(request.body)
    assert request.headers["webhook-id"] == "evt_alr_9c2_2"
    with pytest.raises(WebhookVerificationError):
        Webhook(OTHER_SECRET).verify(request.body, dict(request.headers))


def test_during_a_rotation_both_secrets_verify() -> None:
    request = build_request(
        unclaimed(), url="https://x.example/hook", receiver=Receiver.GENERIC, at=_now(),
        secrets=(SECRET, OTHER_SECRET),
    )  # fmt: skip
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (SECRET, OTHER_SECRET):
        Webhook(secret).verify(request.body, dict(request.headers))


def test_a_tampered_body_fails_verification() -> None:
    request = build_request(
        unclaimed(), url="https://x.example/hook", receiver=Receiver.GENERIC, at=_now(),
        secrets=(SECRET,),
    )  # fmt: skip
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(request.body.replace(b"180", b"181"), dict(request.headers))


@pytest.mark.parametrize(
    ("waited_s", "kind", "text"),
    [
        (180, "crisis", "Crisis request waiting 3 min"),
        (59, "crisis", "Crisis request waiting under a minute"),
        (900, "report", "Report waiting 15 min"),
        (120, "raid", "Raid alert waiting 2 min"),
        (300, "lobby", "Newcomers in a lobby waiting 5 min"),
    ],
)
def test_page_text_is_generic(waited_s: int, kind: str, text: str) -> None:
    assert page_text(unclaimed(waited_s, kind)) == text


def test_stand_down_and_test_texts() -> None:
    taken = WebhookEvent("e", EventType.TAKEN, _now(), kind="crisis")
    assert page_text(taken) == "Crisis request taken"
    assert page_text(WebhookEvent("e", EventType.CANCELLED, _now(), kind="raid")) == (
        "Raid alert withdrawn"
    )
    test = WebhookEvent("e", EventType.TEST, _now())
    assert event_body(test) == {"type": "endpoint.test", "timestamp": event_body(test)["timestamp"],
                                "data": {}}  # fmt: skip


def test_ntfy_gets_text_and_headers_with_a_bearer_token() -> None:
    request = build_request(
        unclaimed(), url="https://ntfy.example/sc-staff", receiver=Receiver.NTFY, at=_now(),
        token="tk_abc",
    )  # fmt: skip
    assert request.body == b"Crisis request waiting 3 min"
    assert request.headers["Title"] == "sharecircle"
    assert request.headers["Priority"] == "5"
    assert request.headers["Tags"] == "rotating_light"
    assert request.headers["Click"] == "https://circle.example.org/staff/alerts/alr_9c2"
    assert request.headers["Authorization"] == "Bearer tk_abc"
    assert "webhook-signature" not in request.headers


def test_slack_and_mattermost_get_text() -> None:
    for receiver in (Receiver.SLACK, Receiver.MATTERMOST):
        request = build_request(
            unclaimed(), url="https://x.example/h", receiver=receiver, at=_now()
        )
        assert json.loads(request.body) == {"text": "Crisis request waiting 3 min"}


def test_discord_waits_for_the_message_and_mentions_nobody() -> None:
    request = build_request(
        unclaimed(), url="https://discord.example/api/webhooks/1/tok?thread_id=5",
        receiver=Receiver.DISCORD, at=_now(),
    )  # fmt: skip
    assert request.url == "https://discord.example/api/webhooks/1/tok?thread_id=5&wait=true"
    assert json.loads(request.body) == {
        "content": "Crisis request waiting 3 min",
        "allowed_mentions": {"parse": []},
    }


def test_hookshot_gets_text_html_and_a_username() -> None:
    request = build_request(unclaimed(), url="https://x.example/h", receiver=Receiver.HOOKSHOT,
                            at=_now())  # fmt: skip
    body = json.loads(request.body)
    assert body["text"] == "Crisis request waiting 3 min"
    assert body["html"].startswith("Crisis request waiting 3 min <a href=")
    assert body["username"] == "sharecircle"


def test_the_request_repr_hides_url_and_headers() -> None:
    request = build_request(
        unclaimed(), url="https://ntfy.example/secret-topic", receiver=Receiver.NTFY, at=_now(),
        token="tk_hidden",
    )  # fmt: skip
    assert "secret-topic" not in repr(request)
    assert "tk_hidden" not in repr(request)
