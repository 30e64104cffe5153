"""The edges of sharecircle: HTTP, WebSocket, the wire protocol, tokens and the CLI."""

from server.app import create_app
from server.codes import CloseCode, ErrorCode, ServerCode, WireCode, is_resumable
from server.errors import BadFrame, BadRequest, CloseConnection, ProtocolError, ServerError
from server.session import Phase, Session, Step
from server.settings import Settings, SettingsError
from server.wire import JSON_SUBPROTOCOL, MSGPACK_SUBPROTOCOL, Wire

__all__ = [
    "JSON_SUBPROTOCOL",
    "MSGPACK_SUBPROTOCOL",
    "BadFrame",
    "BadRequest",
    "CloseCode",
    "CloseConnection",
    "ErrorCode",
    "Phase",
    "ProtocolError",
    "ServerCode",
    "ServerError",
    "Session",
    "Settings",
    "SettingsError",
    "Step",
    "Wire",
    "WireCode",
    "create_app",
    "is_resumable",
]
