"""Logging that never carries what people said, who they are, or where they connect from.

Our own loggers only ever format ids, counts and codes. Third-party loggers are the risk:
uvicorn's access log writes client addresses and paths, and its error logger announces every
WebSocket with the client's address. The access log is off; the error logger is kept at WARNING
and passes through a filter that drops any record still carrying a client address, unless an
operator turns address logging on explicitly.
"""

from __future__ import annotations

import logging
from typing import Any

__all__ = ["AddressFilter", "log_config"]


class AddressFilter(logging.Filter):
    """Drop records whose arguments include a (host, port) client address."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        return not any(isinstance(a, tuple) and len(a) == 2 for a in args)


def log_config(level: str = "info", *, client_addresses: bool = False) -> dict[str, Any]:
    """A dictConfig for uvicorn and sharecircle (structured key=value lines on stderr)."""
    filters = [] if client_addresses else ["no_addresses"]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"no_addresses": {"()": AddressFilter}},
        "formatters": {
            "plain": {
                "format": "ts=%(asctime)s level=%(levelname)s logger=%(name)s msg=%(message)s"
            }
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "filters": filters,
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
            "uvicorn.error": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "websockets": {"handlers": ["stderr"], "level": "WARNING", "propagate": False},
            "rooms": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
            "server": {"handlers": ["stderr"], "level": level.upper(), "propagate": False},
        },
    }
