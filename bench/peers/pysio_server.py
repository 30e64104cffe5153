"""python-socketio peer: an ASGI socket.io server with Redis fan-out, run by uvicorn.

Semantics shared by every peer: ``join`` (with an ack) puts the socket in one room; ``msg``
with a text is emitted to the socket's room, the sender included. With ``AsyncRedisManager``
every emit goes through Redis pub/sub and each node delivers to its own members.

    python bench/peers/pysio_server.py --host 127.0.0.1 --port 8001 --redis-url redis://...
"""

from __future__ import annotations

import argparse

import socketio
import uvicorn


def build_app(redis_url: str) -> socketio.ASGIApp:
    sio = socketio.AsyncServer(
        async_mode="asgi",
        client_manager=socketio.AsyncRedisManager(redis_url),
        cors_allowed_origins="*",
        transports=["websocket"],
        logger=False,
        engineio_logger=False,
    )
    rooms: dict[str, str] = {}

    @sio.on("join")
    async def join(sid: str, room: str) -> str:
        await sio.enter_room(sid, room)
        rooms[sid] = room
        return "ok"

    @sio.on("msg")
    async def msg(sid: str, text: str) -> None:
        room = rooms.get(sid)
        if room is not None:
            await sio.emit("msg", text, to=room)

    @sio.event
    async def disconnect(sid: str, *_reason: object) -> None:
        rooms.pop(sid, None)

    return socketio.ASGIApp(sio)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis-url", required=True)
    args = parser.parse_args()
    uvicorn.run(
        build_app(args.redis_url),
        host=args.host,
        port=args.port,
        loop="uvloop",
        log_level="warning",
        access_log=False,
        backlog=4096,
        lifespan="off",
    )


if __name__ == "__main__":
    main()
