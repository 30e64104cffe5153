"""The audio bus: how a relayed audio frame reaches every node with listeners in the room.

Audio is not an event. It has no seq, no replay window, no stream and no store: a frame is
published to the room's audio channel and whoever listens at that moment gets it, or nobody
does (docs/privacy.md, "Voice"). Every node, the speaker's own included, receives the frames of
the rooms it subscribed to and hands them to its local listeners.

Two implementations behind one protocol: `MemoryAudioBus` (one process) and, for several
nodes, `rooms/backends/_redis_audio.py` (Redis pub/sub only: PUBLISH/SUBSCRIBE on a channel
of its own per room, on a connection of its own, so audio never queues in front of chat).
`rooms.backends.open_audio_bus(url)` picks one from the backend URL, as `open_backend` does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

__all__ = ["AudioBus", "FrameSink", "MemoryAudioBus"]

FrameSink = Callable[[bytes], None]
"""Takes one relayed frame; must not block (it only queues)."""


class AudioBus(Protocol):
    """Per-room audio channels across the cluster. Delivery is at most once, in order per node."""

    async def publish(self, room: str, frame: bytes) -> None:
        """Send one frame to every node listening to `room` (this one included)."""
        ...

    async def listen(self, room: str, sink: FrameSink) -> Callable[[], None]:
        """Hand every frame of `room` to `sink` from now on; returns the function that stops it."""
        ...

    async def aclose(self) -> None:
        """Stop every subscription. Idempotent."""
        ...


class MemoryAudioBus:
    """The bus inside one process: frames go straight to the sinks."""

    def __init__(self) -> None:
        self._sinks: dict[str, list[FrameSink]] = {}

    async def publish(self, room: str, frame: bytes) -> None:
        for sink in list(self._sinks.get(room, ())):
            sink(frame)

    async def listen(self, room: str, sink: FrameSink) -> Callable[[], None]:
        self._sinks.setdefault(room, []).append(sink)

        def stop() -> None:
            sinks = self._sinks.get(room)
            if sinks is not None and sink in sinks:
                sinks.remove(sink)
                if not sinks:
                    del self._sinks[room]

        return stop

    async def aclose(self) -> None:
        self._sinks.clear()
