"""The two shapes a real site mostly has, beside one big room: many small rooms at
once, and a flash crowd opening one room.

`ManyRooms` runs one `Load` per room (each with its own users) and a burst in all of
them at the same moment, one sender per room; its Result adds them up. `Crowd`
opens every socket at the same moment and times, for each, the moment it has its
join reply and the room's history (the tutorial consumer has nothing to join: a
socket is in once it is connected). A handshake that fails is counted, not retried.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter

from .client import MARK, Load, Result, Target, connect_socket, events_of


class ManyRooms:
    """R rooms of S sockets: one Load per target, opened through one gate."""

    def __init__(self, targets: list[Target]) -> None:
        self.loads = [Load(target) for target in targets]

    async def open(self, per_room: int, concurrency: int = 50) -> None:
        gate = asyncio.Semaphore(concurrency)
        await asyncio.gather(*(load.open(per_room, gate=gate) for load in self.loads))

    async def close(self) -> None:
        await asyncio.gather(*(load.close() for load in self.loads))

    async def burst(self, messages: int, stall: float = 5.0) -> Result:
        """Every room's first socket sends `messages` back to back, all rooms at once;
        wait until every socket has every message of its room (or nothing came for
        `stall` s)."""
        for load in self.loads:
            load.reset(messages * len(load.sockets))
        started = time.perf_counter_ns()

        async def send_all(load: Load) -> None:
            sender = load.sockets[0]
            for number in range(messages):
                text = f"{MARK}{number}|{time.perf_counter_ns()}"
                await sender.ws.send(load.target.frame(text))

        await asyncio.gather(*(send_all(load) for load in self.loads))
        results = await asyncio.gather(
            *(load.collect(messages, started, stall) for load in self.loads)
        )
        last = max((load.last_receipt for load in self.loads), default=0)
        ended = last or time.perf_counter_ns()
        return Result(
            sockets=sum(r.sockets for r in results),
            messages=messages * len(results),
            deliveries=sum(r.deliveries for r in results),
            lost=sum(r.lost for r in results),
            duplicates=sum(r.duplicates for r in results),
            seconds=(ended - started) / 1e9,
            latencies_ms=[ms for r in results for ms in r.latencies_ms],
        )


class Crowd:
    """`count` sockets open one room at the same moment."""

    def __init__(self, target: Target, history: int) -> None:
        self.target = target
        self.history = history  # history messages each socket must have after its join
        self.sockets: list = []
        self.failed = 0  # handshakes refused, timed out or dropped, and joins refused
        self.errors: Counter[str] = Counter()  # what they were

    async def arrive(self, count: int) -> Result:
        """Open `count` sockets at once; the latency of each is from the common start
        to its join reply and its history, so the largest is when the last was in."""
        started = time.perf_counter_ns()
        done = await asyncio.gather(*(self.one(i, started) for i in range(count)))
        latencies = [ms for ms in done if ms is not None]
        self.failed = count - len(latencies)
        seconds = max(latencies, default=0) / 1000
        return Result(count, self.history, len(latencies), self.failed, 0, seconds, latencies)

    async def one(self, index: int, started: int) -> float | None:
        target = self.target
        try:
            ws = await connect_socket(target, index, open_timeout=60)
        except Exception as error:
            self.errors[type(error).__name__ + ": " + str(error)[:40]] += 1
            return None
        self.sockets.append(ws)
        if target.kind == "rooms":
            try:
                await asyncio.wait_for(self.join(ws), 60)
            except Exception as error:
                self.errors[type(error).__name__ + ": " + str(error)[:40]] += 1
                return None
        return (time.perf_counter_ns() - started) / 1e6

    async def join(self, ws) -> None:
        """Join the room and read until the reply and `history` messages are in."""
        room = self.target.room_id
        await ws.send(json.dumps({"command": "join", "room": room}))
        joined, seen = False, 0
        while not joined or seen < self.history:
            for event in events_of(await ws.recv()):
                if not isinstance(event, dict):
                    continue
                if "error" in event:
                    raise RuntimeError(f"join refused: {event}")
                if event.get("join") == room:
                    joined = True
                elif event.get("room") == room and "seq" in event and "message" in event:
                    seen += 1

    async def close(self) -> None:
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)
        self.sockets = []
