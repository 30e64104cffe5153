"""Plain ``websockets`` peer: the Python ceiling, with Redis pub/sub fan-out.

Frames (text): ``J<room>`` joins a room and is answered ``OK``; ``P<text>`` publishes ``<text>``
to the room's Redis channel. One Redis subscriber per process listens to every room channel and
hands each message to ``websockets.broadcast()`` for the room's local members (the sender too).

    python bench/peers/ws_server.py --host 127.0.0.1 --port 8001 --redis-url redis://...
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

import redis.asyncio as aioredis
from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

PREFIX = "room:"


async def run(host: str, port: int, redis_url: str) -> None:
    rooms: dict[str, set[ServerConnection]] = {}
    publisher = aioredis.Redis.from_url(redis_url)
    subscriber = aioredis.Redis.from_url(redis_url)
    pubsub = subscriber.pubsub(ignore_subscribe_messages=True)
    await pubsub.psubscribe(PREFIX + "*")

    async def relay() -> None:
        while True:
            message = await pubsub.get_message(timeout=None)
            if message is None or message.get("type") != "pmessage":
                continue
            members = rooms.get(message["channel"][len(PREFIX) :].decode())
            if members:
                broadcast(members, message["data"].decode())

    async def handler(ws: ServerConnection) -> None:
        room: str | None = None
        try:
            async for frame in ws:
                text = frame if isinstance(frame, str) else frame.decode()
                if text[:1] == "P" and room is not None:
                    await publisher.publish(PREFIX + room, text[1:])
                elif text[:1] == "J" and room is None:
                    room = text[1:]
                    rooms.setdefault(room, set()).add(ws)
                    await ws.send("OK")
        except ConnectionClosed:
            pass
        finally:
            if room is not None:
                members = rooms.get(room)
                if members is not None:
                    members.discard(ws)
                    if not members:
                        del rooms[room]

    loop = asyncio.get_running_loop()
    stop = loop.create_future()

    def request_stop() -> None:
        if not stop.done():
            stop.set_result(None)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, request_stop)
    relay_task = asyncio.create_task(relay())
    async with serve(handler, host, port, compression=None, backlog=4096, max_queue=None):
        await stop
    relay_task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await relay_task
    await pubsub.aclose()  # type: ignore[no-untyped-call]
    await subscriber.aclose()
    await publisher.aclose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis-url", required=True)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.run(run(args.host, args.port, args.redis_url))
    except ImportError:
        asyncio.run(run(args.host, args.port, args.redis_url))


if __name__ == "__main__":
    main()
