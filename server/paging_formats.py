"""What a page looks like on the wire, per receiver. Pure: no sockets, no clock (`at` is given).

The generic receiver gets the documented JSON body signed with Standard Webhooks headers
(docs/operations.md, "Paging webhooks"). Chat receivers get a short generic sentence in the
shape they accept; their URL or token is the credential, so they are signed only if the
endpoint has a secret anyway. No shape ever carries message text, names, member ids, IP
addresses or report text: only the alert id, its kind and severity, an opaque room id, how
long it waited, the level and a console link.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from standardwebhooks.webhooks import Webhook

__all__ = [
    "EventType",
    "OutgoingRequest",
    "Receiver",
    "WebhookEvent",
    "build_request",
    "event_body",
    "opaque_room",
    "page_text",
]


class EventType(StrEnum):
    UNCLAIMED = "alert.unclaimed"
    TAKEN = "alert.taken"
    RESOLVED = "alert.resolved"
    CANCELLED = "alert.cancelled"
    TEST = "endpoint.test"


class Receiver(StrEnum):
    """The request shape an endpoint accepts."""

    GENERIC = "generic"
    NTFY = "ntfy"
    SLACK = "slack"
    DISCORD = "discord"
    HOOKSHOT = "hookshot"
    MATTERMOST = "mattermost"


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """One event, the same on every retry (`event_id` is the `webhook-id`)."""

    event_id: str
    type: EventType
    at: float
    """When the event happened (the `timestamp` field); each attempt signs its own time."""
    alert_id: str = ""
    kind: str = ""
    severity: str = ""
    room: str = ""
    """Opaque (`opaque_room`), never the room's name or slug."""
    waited_s: int = 0
    level: int = 0
    console_url: str = ""


@dataclass(frozen=True, slots=True)
class OutgoingRequest:
    """A POST ready to send. `repr` hides the URL and headers: they may hold credentials."""

    url: str = field(repr=False)
    headers: Mapping[str, str] = field(repr=False)
    body: bytes


def opaque_room(room: str, key: bytes) -> str:
    """A stable id for `room` that tells an outsider nothing about it (keyed BLAKE2b)."""
    digest = hashlib.blake2b(room.encode(), key=key[:64], digest_size=8, person=b"sc-room")
    return "rm_" + digest.hexdigest()


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_body(event: WebhookEvent) -> dict[str, object]:
    """The thin JSON body of the generic receiver (SAFETY-NET §1)."""
    if event.type is EventType.TEST:
        return {"type": str(event.type), "timestamp": _iso(event.at), "data": {}}
    data: dict[str, object] = {
        "alert_id": event.alert_id,
        "kind": event.kind,
        "severity": event.severity,
        "room": event.room,
        "waited_s": event.waited_s,
        "level": event.level,
    }
    if event.console_url:
        data["console_url"] = event.console_url
    return {"type": str(event.type), "timestamp": _iso(event.at), "data": data}


_KIND_WORDS = {
    "crisis": "Crisis request",
    "report": "Report",
    "raid": "Raid alert",
    "lobby": "Newcomers in a lobby",
}
_STATUS_WORDS = {
    EventType.TAKEN: "taken",
    EventType.RESOLVED: "resolved",
    EventType.CANCELLED: "withdrawn",
}


def page_text(event: WebhookEvent) -> str:
    """The sentence a chat receiver shows: generic, no names, no content
    ("Crisis request waiting 3 min")."""
    if event.type is EventType.TEST:
        return "Test page from sharecircle: this endpoint works."
    what = _KIND_WORDS.get(event.kind, "Alert")
    if event.type is EventType.UNCLAIMED:
        minutes = event.waited_s // 60
        waited = f"{minutes} min" if minutes else "under a minute"
        return f"{what} waiting {waited}"
    return f"{what} {_STATUS_WORDS[event.type]}"


def _ntfy_priority(event: WebhookEvent) -> str:
    if event.type is not EventType.UNCLAIMED:
        return "2"
    return {"urgent": "5", "high": "4"}.get(event.severity, "3")


def _sign(event: WebhookEvent, body: str, secrets: tuple[str, ...], at: float) -> dict[str, str]:
    moment = datetime.fromtimestamp(int(at), UTC)
    signatures = " ".join(
        Webhook(secret).sign(msg_id=event.event_id, timestamp=moment, data=body)
        for secret in secrets
    )
    return {
        "webhook-id": event.event_id,
        "webhook-timestamp": str(int(at)),
        "webhook-signature": signatures,
    }


def _with_query(url: str, **extra: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(extra)
    return urlunsplit(parts._replace(query=urlencode(query)))


def _json(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _shape(event: WebhookEvent, receiver: Receiver, token: str) -> tuple[str, dict[str, str]]:
    """The body text and the receiver's own headers."""
    text = page_text(event)
    json_type = {"content-type": "application/json"}
    if receiver is Receiver.GENERIC:
        return _json(event_body(event)), json_type
    if receiver is Receiver.NTFY:
        headers = {
            "content-type": "text/plain; charset=utf-8",
            "Title": "sharecircle",
            "Priority": _ntfy_priority(event),
            "Tags": "rotating_light" if event.type is EventType.UNCLAIMED else "white_check_mark",
        }
        if event.console_url:
            headers["Click"] = event.console_url
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return text, headers
    if receiver is Receiver.DISCORD:
        body = {"content": text[:2000], "allowed_mentions": {"parse": []}}
        return _json(body), json_type
    if receiver is Receiver.HOOKSHOT:
        link = f' <a href="{html.escape(event.console_url)}">Open</a>' if event.console_url else ""
        body = {"text": text, "html": html.escape(text) + link, "username": "sharecircle"}
        return _json(body), json_type
    return _json({"text": text}), json_type  # Slack, Mattermost


def build_request(
    event: WebhookEvent,
    *,
    url: str,
    receiver: Receiver,
    at: float,
    secrets: tuple[str, ...] = (),
    token: str = "",
) -> OutgoingRequest:
    """The request for one attempt at `at` (the signature covers this attempt's timestamp)."""
    body, headers = _shape(event, receiver, token)
    if secrets:
        headers.update(_sign(event, body, secrets, at))
    if receiver is Receiver.DISCORD:
        url = _with_query(url, wait="true")
    return OutgoingRequest(url, headers, body.encode())
