"""The edges of sharecircle: HTTP, WebSocket, the wire protocol, tokens and the CLI."""

from server.app import create_app
from server.codes import CloseCode, ErrorCode, is_resumable
from server.errors import BadFrame, BadRequest, CloseConnection, ProtocolError, ServerError
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
    "ProtocolError",
    "ServerError",
    "Settings",
    "SettingsError",
    "Wire",
    "create_app",
    "is_resumable",
]
