"""Errors of the server layer, split as h11 does between "the client sent something wrong"
and "we have a bug".

    ServerError
    ├── ProtocolError          the client sent something invalid; reply with an error frame
    │   ├── BadFrame           not decodable at all (counts towards the bad-frame limit)
    │   └── BadRequest         decodable, but the command or its fields are wrong
    └── CloseConnection        the connection must end with this close code and reason
"""

from __future__ import annotations

import facilitation as fx
from server.codes import CloseCode, ServerCode, WireCode

__all__ = ["BadFrame", "BadRequest", "CloseConnection", "ProtocolError", "ServerError"]


class ServerError(Exception):
    """Base of the server layer's exceptions."""


class ProtocolError(ServerError):
    """A refusal sent back as an error frame; the connection carries on."""

    def __init__(self, code: WireCode, message: str, *, retry_after_ms: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retry_after_ms = retry_after_ms


class BadFrame(ProtocolError):
    """The frame could not be decoded into a map."""

    def __init__(self, message: str) -> None:
        super().__init__(ServerCode.BAD_FRAME, message)


class BadRequest(ProtocolError):
    """The frame decoded, but a command or field is wrong."""

    def __init__(self, message: str, code: WireCode = fx.Refusal.BAD_REQUEST) -> None:
        super().__init__(code, message)


class CloseConnection(ServerError):
    """End the connection with `close_code`; `reason` is sent to the client (≤ 123 bytes)."""

    def __init__(self, close_code: CloseCode, reason: str) -> None:
        super().__init__(f"close {int(close_code)}: {reason}")
        self.close_code = close_code
        self.reason = reason
