"""The load client: many logged-in sockets in one room, senders, and what every socket saw.

One asyncio process. Each test message carries `B|<n>|<send time in ns>`; every
socket records each number it receives, so the run counts deliveries, latency
from send to receipt at every socket, and anything lost or duplicated.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from dataclasses import dataclass, field

from websockets.asyncio.client import connect

MARK = "B|"
# A frame that carries several of the site's frames (chatapp.websocket.commands.batch_frames).
BATCH = '{"batch":'


def events_of(frame: str) -> list:
    """The site's events in a frame: one, or several when it is a batch."""
    data = json.loads(frame)
    if isinstance(data, dict) and isinstance(data.get("batch"), list):
        return data["batch"]
    return [data]


@dataclass
class Target:
    """Where the sockets go and how the protocol there looks."""

    # "rooms" (the site's /chat/stream/ with chat.v2), "multichat" (the same socket as
    # the multichat document's client uses it: no subprotocol, string room ids, one
    # object per frame), "tutorial" or "raw"
    kind: str
    bases: list[str]  # ws://host:port of each server process; sockets spread over them
    room_id: int = 0
    room_name: str = "bench"
    cookies: list[str] = field(default_factory=list)  # session ids, cycled over sockets
    watch: bool = False  # "rooms" sockets also `watch` their user's rooms after joining

    def url(self, index: int) -> str:
        base = self.bases[index % len(self.bases)]
        if self.kind in ("rooms", "multichat"):
            return f"{base}/chat/stream/"
        if self.kind == "tutorial":
            return f"{base}/bench/tutorial/{self.room_name}/"
        return base

    def frame(self, text: str) -> str:
        if self.kind == "rooms":
            return json.dumps({"command": "send", "room": self.room_id, "message": text})
        if self.kind == "multichat":
            return json.dumps({"command": "send", "room": str(self.room_id), "message": text})
        return json.dumps({"message": text})


async def connect_socket(target: Target, index: int, open_timeout: float):
    """Socket number `index` of the target: its server, its user's session cookie."""
    base = target.bases[index % len(target.bases)].replace("ws://", "http://")
    headers = {}
    if target.cookies:
        headers["Cookie"] = f"sessionid={target.cookies[index % len(target.cookies)]}"
    return await connect(
        target.url(index),
        origin=base,
        additional_headers=headers,
        subprotocols=["chat.v2"] if target.kind == "rooms" else None,
        compression=None,
        max_size=2**20,
        ping_interval=None,
        open_timeout=open_timeout,
    )


@dataclass
class Result:
    sockets: int
    messages: int
    deliveries: int
    lost: int
    duplicates: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rate(self) -> float:
        return self.deliveries / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return math.nan
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


class Socket:
    def __init__(self, load: Load, ws) -> None:
        self.load = load
        self.ws = ws
        self.seen: set[int] = set()
        self.duplicates = 0
        self.reader = asyncio.create_task(self.read())

    async def read(self) -> None:
        try:
            async for frame in self.ws:
                if frame.startswith(BATCH):
                    if self.load.target.kind == "multichat":
                        # An old client drops a batch frame unread: what it held is lost.
                        continue
                    for event in events_of(frame):
                        text = event.get("message")
                        if isinstance(text, str) and text.startswith(MARK):
                            self.record(text)
                    continue
                at = frame.find(MARK)
                if at >= 0:
                    self.record(frame[at : frame.index('"', at)])
        except Exception:  # a closed socket shows up as lost messages
            pass

    def record(self, mark: str) -> None:
        """Count one test message (`B|<n>|<send time>`) this socket received."""
        load = self.load
        now = time.perf_counter_ns()
        _, number, sent = mark.split("|")
        number = int(number)
        if number in self.seen:
            self.duplicates += 1
            return
        self.seen.add(number)
        load.latencies.append((now - int(sent)) / 1e6)
        load.last_receipt = now
        load.delivered += 1
        if load.delivered >= load.expected:
            load.all_in.set()


class Load:
    """N sockets in one room of the target."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.sockets: list[Socket] = []
        self.reset(0)

    def reset(self, expected: int) -> None:
        self.latencies: list[float] = []
        self.delivered = 0
        self.expected = expected
        self.last_receipt = 0
        self.all_in = asyncio.Event()
        for socket in self.sockets:
            socket.seen.clear()
            socket.duplicates = 0

    async def open(
        self, count: int, concurrency: int = 50, gate: asyncio.Semaphore | None = None
    ) -> None:
        """Open `count` more sockets (joined to the room) before returning, at most
        `concurrency` at a time (or as many as a `gate` shared with other loads lets)."""
        gate = gate or asyncio.Semaphore(concurrency)
        start = len(self.sockets)

        async def one(index: int) -> Socket:
            async with gate:
                return await self.open_one(index)

        self.sockets += await asyncio.gather(*(one(start + i) for i in range(count)))

    async def open_one(self, index: int) -> Socket:
        target = self.target
        for attempt in range(5):
            try:
                ws = await connect_socket(target, index, open_timeout=30)
                break
            except OSError:
                if attempt == 4:
                    raise
                await asyncio.sleep(0.2 * (attempt + 1))
        if target.kind in ("rooms", "multichat"):
            room = target.room_id if target.kind == "rooms" else str(target.room_id)
            await ws.send(json.dumps({"command": "join", "room": room}))
            while True:
                reply = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if reply.get("join") == target.room_id:
                    break
                if "error" in reply:
                    raise RuntimeError(f"join refused: {reply}")
        if target.watch:
            await ws.send(json.dumps({"command": "watch"}))
            while True:
                reply = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if "rooms" in reply:
                    break
                if "error" in reply:
                    raise RuntimeError(f"watch refused: {reply}")
        return Socket(self, ws)

    async def close(self) -> None:
        await asyncio.gather(*(s.ws.close() for s in self.sockets), return_exceptions=True)
        for socket in self.sockets:
            socket.reader.cancel()
        self.sockets = []

    async def quiet(self, seconds: float = 0.5) -> None:
        """Let join-time traffic (presence, notices) settle before measuring."""
        await asyncio.sleep(seconds)

    def senders(self, count: int) -> list[Socket]:
        return self.sockets[:count]

    async def burst(self, messages: int, senders: int = 1, stall: float = 5.0) -> Result:
        """Every sender sends its share back to back; wait for every socket to get all."""
        self.reset(messages * len(self.sockets))
        started = time.perf_counter_ns()

        async def send_share(which: int, socket: Socket) -> None:
            for number in range(which, messages, senders):
                text = f"{MARK}{number}|{time.perf_counter_ns()}"
                await socket.ws.send(self.target.frame(text))

        await asyncio.gather(*(send_share(i, s) for i, s in enumerate(self.senders(senders))))
        return await self.collect(messages, started, stall)

    async def steady(self, rate: float, seconds: float, stall: float = 5.0) -> Result:
        """Open loop: `rate` deliveries per second in total (rate / sockets messages per
        second), sent on schedule whatever the latency."""
        per_second = rate / len(self.sockets)
        messages = max(1, round(per_second * seconds))
        self.reset(messages * len(self.sockets))
        sender = self.sockets[0]
        started = time.perf_counter_ns()
        clock = asyncio.get_running_loop().time
        begin = clock()
        for number in range(messages):
            delay = begin + number / per_second - clock()
            if delay > 0:
                await asyncio.sleep(delay)
            text = f"{MARK}{number}|{time.perf_counter_ns()}"
            await sender.ws.send(self.target.frame(text))
        return await self.collect(messages, started, stall)

    async def collect(self, messages: int, started: int, stall: float) -> Result:
        """Wait until every socket has every message, or nothing arrived for `stall` s."""
        last, since_progress = -1, 0.0
        while not self.all_in.is_set() and since_progress < stall:
            try:
                await asyncio.wait_for(self.all_in.wait(), 0.5)
            except TimeoutError:
                since_progress = 0.0 if self.delivered != last else since_progress + 0.5
                last = self.delivered
        ended = self.last_receipt or time.perf_counter_ns()
        return Result(
            sockets=len(self.sockets),
            messages=messages,
            deliveries=self.delivered,
            lost=self.expected - self.delivered,
            duplicates=sum(s.duplicates for s in self.sockets),
            seconds=(ended - started) / 1e9,
            latencies_ms=self.latencies,
        )
