"""The media connection (voice, issue 17; docs/protocol.md §9): audio the floor lets be heard.

A media connection is a WebSocket of its own on `/media`, subprotocol `sharecircle.v1.media`,
next to the chat connection and never in its way. Its first frame is `auth` with the session
token the chat connection got (like `resume`); the person must be seated in a room with voice
on, with a chat connection on this node. After that:

- a speaker's audio frame is relayed only when `facilitation.may_be_heard` says so, asked for
  every frame from the meeting state this node holds and the node's clock, so a share's end,
  a pass, a skip, a mute, listen-only, a removal or a pause stops the relay at that moment;
  other frames are dropped, counted (`sharecircle_audio_frames_refused`) and answered once
  per spell with a `refused` frame;
- the speaker is told `live: true/false` whenever that answer changes (a frame, or any meeting
  event in the room: server/media_rooms.py rechecks);
- relayed frames go to the room's audio channel (rooms/voice_bus.py: Redis pub/sub across
  nodes) and from it to every node's local listeners, each behind a bounded queue
  (server/media_link.py) that loses the oldest frame rather than close anyone.

Audio bytes are never decoded, stored, logged or put in a replay window. The wire format is in
server/media_wire.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from typing import Any

from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

import facilitation as fx
from rooms.errors import BackendUnavailable, RoomsError
from rooms.service import RoomsService
from rooms.sessions import SessionRevoked
from rooms.voice_bus import AudioBus
from server import media_wire as wire
from server import metrics
from server.codes import CloseCode, ServerCode
from server.media_link import Close, MediaLink, RateBucket
from server.media_rooms import MediaRooms
from server.origins import OriginPolicy, deny
from server.rates import Rate, take_now
from server.settings import Settings
from server.tokens import TokenError, Tokens

__all__ = ["MediaEndpoint", "MediaRefused"]

log = logging.getLogger(__name__)

CLOSE_GRACE_SECONDS = 2.0


class MediaRefused(Exception):
    """The `auth` frame was refused: an error frame with `code`, then a close."""

    def __init__(self, code: str, message: str, close: int = CloseCode.SESSION_INVALID) -> None:
        super().__init__(message)
        self.code, self.message, self.close = code, message, close
        self.text = False
        """Answer in JSON text (the `auth` frame came as text)."""


class MediaEndpoint:
    """Accepts and serves media connections for one node."""

    def __init__(
        self, service: RoomsService, tokens: Tokens, bus: AudioBus, settings: Settings
    ) -> None:
        self.service = service
        self.tokens = tokens
        self.settings = settings
        self.origins = OriginPolicy.from_settings(settings)
        self.rooms = MediaRooms(service, bus)
        self._ids = itertools.count(1)
        self._command_rate = Rate.parse(settings.command_rate)
        self.draining = False

    async def aclose(self) -> None:
        await self.rooms.aclose()

    def drain(self) -> None:
        """The node is going away: close every media connection with 1012; clients open
        theirs again (on another node) a moment later."""
        self.draining = True
        for room in list(self.rooms.links.values()):
            for link in list(room.values()):
                link.close(CloseCode.SERVICE_RESTART, "node is restarting; please reconnect")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ws = WebSocket(scope, receive, send)
        offered = scope.get("subprotocols") or []
        allowed = self.origins.origin_allowed(
            ws.headers.get("origin"),
            scheme=str(scope.get("scheme", "ws")),
            host_header=ws.headers.get("host", ""),
        )
        if not allowed:
            await deny(scope, receive, send, 403, "origin not allowed")
            return
        if wire.SUBPROTOCOL not in offered:
            await deny(scope, receive, send, 400, f"use the subprotocol {wire.SUBPROTOCOL}")
            return
        await ws.accept(subprotocol=wire.SUBPROTOCOL)
        if self.draining:
            await _close(send, CloseCode.TRY_AGAIN_LATER, "node is restarting")
            return
        try:
            link = await self._auth(receive)
        except MediaRefused as exc:
            refusal = wire.control("error", text=exc.text, code=str(exc.code), message=exc.message)
            await _send(send, refusal)
            await _close(send, exc.close, str(exc.code))
            return
        except (OSError, _Gone):
            return
        metrics.media_opened()
        writer = asyncio.create_task(self._write(link, send))
        try:
            try:
                await self.rooms.add(link)
            except BackendUnavailable:
                link.close(CloseCode.TRY_AGAIN_LATER, "unavailable")
                return
            link.tell(
                "ready",
                room=link.slug,
                member=link.member,
                frame_ms=20,
                max_opus_bytes=wire.MAX_OPUS_BYTES,
            )
            await self.rooms.set_listening(link, link.listening)
            await self._read(link, receive)
        except OSError:
            pass
        except Exception as exc:
            log.error("media connection failed: %s", type(exc).__name__)
            link.close(CloseCode.INTERNAL_ERROR, "internal error")
        finally:
            self.rooms.remove(link)
            link.close(CloseCode.NORMAL, "goodbye")
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError, Exception):
                await asyncio.wait_for(writer, CLOSE_GRACE_SECONDS)
            writer.cancel()

    # -- auth -------------------------------------------------------------------------------------

    async def _auth(self, receive: Receive) -> MediaLink:
        try:
            async with asyncio.timeout(self.settings.join_deadline_seconds):
                message = await receive()
        except TimeoutError:
            raise MediaRefused(
                ServerCode.BAD_FRAME, "Send auth first.", CloseCode.JOIN_TIMEOUT
            ) from None
        if message["type"] == "websocket.disconnect":
            raise _Gone
        data = _data(message)
        text = isinstance(data, str)
        try:
            try:
                frame = wire.parse(data) if data else None
            except wire.MediaFrameError:
                frame = None
            if not isinstance(frame, dict) or frame.get("type") != "auth":
                raise MediaRefused(ServerCode.BAD_FRAME, "The first frame is auth.", 1008)
            token = frame.get("token")
            if not isinstance(token, str) or len(token) > 1024:
                raise MediaRefused(ServerCode.INVALID_TOKEN, "That session has ended.")
            link = await self._link(token, listen=frame.get("listen") is True)
        except MediaRefused as exc:
            exc.text = text
            raise
        link.text = text
        return link

    async def _link(self, token: str, *, listen: bool) -> MediaLink:
        try:
            claims = self.tokens.check_session(token)
            record = await self.service.sessions.check(
                claims.member_id, claims.session_id, claims.expires
            )
            room = await self.service.catalog.get(record.room)
        except (TokenError, SessionRevoked, RoomsError) as exc:
            raise MediaRefused(ServerCode.INVALID_TOKEN, "That session has ended.") from exc
        if not room.voice:
            raise MediaRefused(ServerCode.VOICE_OFF, "Voice is off in this room.")
        mine = self.rooms.links.get(room.slug, {}).values()
        if sum(1 for x in mine if x.member == record.member_id) >= (
            self.settings.max_connections_per_session
        ):
            raise MediaRefused(
                ServerCode.TOO_MANY_CONNECTIONS, "This session has the most media connections."
            )
        if not await self._seated(room.slug, record.member_id):
            raise MediaRefused(fx.Refusal.NOT_JOINED, "Join the room on the chat connection first.")
        s = self.settings
        return MediaLink(
            conn_id=f"m{next(self._ids)}",
            slug=room.slug,
            member=record.member_id,
            observer=record.observer,
            queue_frames=s.voice_listener_queue_frames,
            bucket=RateBucket(s.voice_frames_per_second, s.voice_frames_per_second),
            controls=self._command_rate.bucket(),
            listening=listen,
        )

    async def _seated(self, slug: str, member: str) -> bool:
        """The person has a chat connection in the room: here, or on any node (presence)."""
        try:
            return await self.service.is_present(slug, member)
        except BackendUnavailable:
            return False

    # -- reading ----------------------------------------------------------------------------------

    async def _read(self, link: MediaLink, receive: Receive) -> None:
        loop = asyncio.get_running_loop()
        while link.closing is None:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            data = _data(message)
            try:
                frame = wire.parse(data) if data is not None else None
            except wire.MediaFrameError:
                frame = None
            if frame is None:
                if self._abuse(link):
                    return
                link.tell("error", code=str(ServerCode.BAD_FRAME), message="Bad frame.")
            elif isinstance(frame, wire.AudioFrame):
                if link.bucket.take(loop.time()):
                    await self.rooms.speak(link, frame)
                else:
                    metrics.audio("rate")
            elif (wait := await take_now(link.controls)) is not None:
                if self._abuse(link):  # a control flood counts like bad frames
                    return
                link.tell(
                    "error",
                    code=str(ServerCode.RATE_LIMITED),
                    message="Too many control frames; please wait a little.",
                    retry_after_ms=wait,
                )
            else:
                await self._control(link, frame)

    def _abuse(self, link: MediaLink) -> bool:
        """One more bad or over-limit frame; True when that is one too many (closed 1008)."""
        link.bad_frames += 1
        if link.bad_frames >= self.settings.bad_frames_before_close:
            link.close(CloseCode.POLICY_VIOLATION, "too many invalid frames")
            return True
        return False

    async def _control(self, link: MediaLink, frame: dict[str, Any]) -> None:
        kind, on = frame["type"], frame.get("on") is True
        if kind == "ping":
            link.tell("pong")
        elif kind == "listen":
            await self.rooms.set_listening(link, on)
        elif kind == "speak":
            await self.rooms.set_speaking(link, on)
        else:
            link.tell("error", code=str(ServerCode.UNKNOWN_COMMAND), message=kind[:40])

    # -- writing ----------------------------------------------------------------------------------

    @staticmethod
    async def _write(link: MediaLink, send: Send) -> None:
        with contextlib.suppress(OSError, BackendUnavailable):
            while True:
                item = link.next_item()
                if item is None:
                    await link.wake.wait()
                    continue
                if isinstance(item, Close):
                    await _close(send, item.code, item.reason)
                    return
                await _send(send, item)


class _Gone(Exception):
    """The client left before it authenticated."""


def _data(message: Any) -> bytes | str | None:
    data = message.get("bytes")
    if data is None:
        data = message.get("text")
    return data if isinstance(data, (bytes, str)) else None


async def _send(send: Send, data: bytes | str) -> None:
    if isinstance(data, str):
        await send({"type": "websocket.send", "text": data})
    else:
        await send({"type": "websocket.send", "bytes": data})


async def _close(send: Send, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):
        await send({"type": "websocket.close", "code": code, "reason": reason})
