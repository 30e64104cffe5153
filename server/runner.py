"""Running the app under uvicorn with the limits docs/reliability.md promises.

uvicorn's defaults do not suit us (16 MiB frames, compression on, access logs with addresses),
so every node, and every test server, is configured here.
"""

from __future__ import annotations

import os
import signal
import socket
from typing import Any

import uvicorn
from starlette.applications import Starlette

from server.app import create_app
from server.logconfig import log_config
from server.settings import Settings

__all__ = ["DrainingServer", "make_config", "run"]


def make_config(app: Starlette, settings: Settings, *, logs: bool = True) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop="auto",  # uvloop where it is installed
        ws="websockets-sansio",
        ws_max_size=settings.max_frame_bytes,
        ws_max_queue=16,
        ws_per_message_deflate=False,
        ws_ping_interval=settings.ws_ping_interval,
        ws_ping_timeout=settings.ws_ping_timeout,
        access_log=False,
        server_header=False,
        date_header=False,
        proxy_headers=True,
        forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        timeout_graceful_shutdown=int(settings.drain_seconds) + 5,
        log_config=log_config(settings.log_level, client_addresses=settings.log_client_addresses)
        if logs
        else None,
        h11_max_incomplete_event_size=16 * 1024,
    )


class DrainingServer(uvicorn.Server):
    """uvicorn's Server, except that SIGTERM first tells every client to move elsewhere."""

    def handle_exit(self, sig: int, frame: Any) -> None:
        app = self.config.app
        node = getattr(getattr(app, "state", None), "node", None)
        if node is not None and sig in (signal.SIGTERM, signal.SIGINT):
            node.endpoint.drain()
        super().handle_exit(sig, frame)


def run(settings: Settings, sock: socket.socket | None = None) -> None:
    server = DrainingServer(make_config(create_app(settings), settings))
    server.run(sockets=[sock] if sock else None)
