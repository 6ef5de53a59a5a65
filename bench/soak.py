"""Soak run: hundreds of sockets in several rooms for minutes, with churn and backend sends.

    python -m bench.soak                      # make soak: 10 minutes
    python -m bench.soak --seconds 60 --sockets 200

Sockets send steadily; 10% of them reconnect in a loop (resuming with `since`);
the backend sends into every room through the service the staff page uses.
Every socket checks that the `seq` of each room goes up by exactly one: a gap
or a repeat is counted. Printed every interval and at the end: deliveries,
gaps, p99 latency from send to receipt, server RSS and Redis key count (both
must level off). Exit status 1 if any gap or repeat was seen.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time

from websockets.asyncio.client import connect

from .client import events_of
from .run import Bench, parse
from .servers import Server


class Member:
    """One socket's view: the last seq per room, and what went wrong."""

    def __init__(self, soak: Soak, index: int, room_id: int):
        self.soak = soak
        self.index = index
        self.room_id = room_id
        self.last: int | None = None
        self.ws = None
        self.reader: asyncio.Task | None = None
        self.closing = False

    async def connect(self) -> None:
        soak = self.soak
        server = soak.servers[self.index % len(soak.servers)]
        cookie = soak.bench.cookies[self.index % len(soak.bench.cookies)]
        self.ws = await connect(
            f"{server.base}/chat/stream/",
            origin=server.base.replace("ws://", "http://"),
            additional_headers={"Cookie": f"sessionid={cookie}"},
            subprotocols=["chat.v2"],
            compression=None,
            ping_interval=None,
            open_timeout=30,
        )
        join = {"command": "join", "room": self.room_id}
        if self.last is not None:
            join["since"] = self.last
        await self.ws.send(json.dumps(join))
        self.reader = asyncio.create_task(self.read(self.ws))

    async def read(self, ws) -> None:
        soak = self.soak
        try:
            async for frame in ws:
                for event in events_of(frame):
                    self.take(event)
        except Exception:
            pass
        if not self.closing and not soak.ending:
            # The server closed it: say why, and come back as the page would.
            code = ws.close_code
            soak.drops[code] = soak.drops.get(code, 0) + 1
            soak.rejoining.add(asyncio.create_task(self.reconnect_later()))

    def take(self, event: dict) -> None:
        """Count one event from the server: a delivery, a gap, a repeat."""
        soak = self.soak
        if "resync" in event:
            soak.resyncs += 1
            self.last = None
        seq = event.get("seq")
        if seq is None or "message" not in event:
            return
        if self.last is not None:
            if seq <= self.last:
                soak.repeats += 1
                return
            if seq != self.last + 1:
                soak.gaps += 1
                print(f"gap: socket {self.index} room {self.room_id} "
                      f"{self.last} -> {seq}", flush=True)  # fmt: skip
        self.last = seq
        soak.deliveries += 1
        text = event["message"] or ""
        if text.startswith("S|"):
            soak.latencies.append((time.time() - float(text.split("|")[1])) * 1000)

    async def reconnect_later(self) -> None:
        await asyncio.sleep(0.5)
        try:
            await self.connect()
        except Exception as error:
            print(f"socket {self.index} could not reconnect: {error!r}", flush=True)

    async def close(self) -> None:
        self.closing = True
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)
        self.closing = False


class Soak:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        # The benchmark's own defaults (a namespace of a few names broke when it gained
        # options: --watch), for its rooms, users and layers.
        self.bench = Bench(parse([]))
        self.layer = self.bench.layers()[0]
        self.deliveries = self.gaps = self.repeats = self.resyncs = self.reconnects = 0
        self.sent = self.backend_sent = self.send_failures = 0
        self.latencies: list[float] = []
        self.servers: list[Server] = []
        self.drops: dict[int | None, int] = {}  # close code -> sockets the server closed
        self.ending = False
        self.rejoining: set[asyncio.Task] = set()

    def redis_keys(self) -> int | str:
        if not self.bench.redis_url:
            return "-"
        import redis

        client = redis.Redis.from_url(self.bench.redis_url)
        return sum(1 for _ in client.scan_iter(match=f"{self.bench.prefix}*", count=1000))

    def rss_mb(self) -> float:
        return sum(s.rss_bytes() for s in self.servers) / 2**20

    def report(self, label: str, started: float) -> None:
        window, self.latencies = sorted(self.latencies), []
        p99 = window[int(0.99 * (len(window) - 1))] if window else float("nan")
        print(
            f"| {label} | {time.monotonic() - started:6.0f} | {self.sent} | {self.backend_sent} "
            f"| {self.deliveries} | {self.gaps} | {self.repeats} | {self.resyncs} "
            f"| {self.reconnects} | {p99:.1f} | {self.rss_mb():.0f} | {self.redis_keys()} |",
            flush=True,
        )

    async def run(self) -> int:
        args = self.args
        processes = args.processes if self.bench.redis_url else 1
        self.servers = [Server("daphne", self.bench.env(self.layer)) for _ in range(processes)]
        try:
            rooms = [await self.bench.new_room() for _ in range(args.rooms)]
            members = [Member(self, i, rooms[i % len(rooms)]) for i in range(args.sockets)]
            gate = asyncio.Semaphore(50)

            async def join(member: Member) -> None:
                async with gate:
                    await member.connect()

            await asyncio.gather(*(join(m) for m in members))
            await asyncio.sleep(2)
            print(f"{args.sockets} sockets in {args.rooms} rooms on {processes} daphne "
                  f"process(es), layer {self.layer}, {args.seconds:.0f} s")  # fmt: skip
            print("| when | s | sent | backend | deliveries | gaps | repeats | resyncs "
                  "| reconnects | p99 ms | server RSS MB | redis keys |")  # fmt: skip
            print("|" + "---|" * 12)
            started = time.monotonic()
            self.report("start", started)
            deadline = started + args.seconds
            churners = members[: max(1, args.sockets // 10)]
            tasks = [
                asyncio.create_task(self.send_loop(members[len(churners) :], deadline)),
                asyncio.create_task(self.backend_loop(rooms, deadline)),
                *(asyncio.create_task(self.churn(m, deadline)) for m in churners),
            ]
            while time.monotonic() < deadline:
                await asyncio.sleep(min(args.interval, max(0.0, deadline - time.monotonic())))
                self.report("run", started)
            await asyncio.gather(*tasks)
            await asyncio.sleep(3)  # the last deliveries
            self.report("end", started)
            self.ending = True
            await asyncio.gather(*(m.close() for m in members))
        finally:
            for server in self.servers:
                server.stop()
            self.bench.cleanup_redis()
        bad = self.gaps + self.repeats
        print(f"sends failed on a closed socket: {self.send_failures}")
        print(f"sequence gaps: {self.gaps}, repeats: {self.repeats}", flush=True)
        print(f"closed by the server (close code: sockets): {self.drops or 'none'}", flush=True)
        return 1 if bad else 0

    async def send_loop(self, senders: list[Member], deadline: float) -> None:
        """Open loop: `rate` messages per second in all, from random sockets (a send
        on a socket that is reconnecting is counted as failed, not retried)."""
        interval = 1 / self.args.rate
        next_at = time.monotonic()
        while next_at < deadline:
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            member = random.choice(senders)
            frame = {"command": "send", "room": member.room_id, "message": f"S|{time.time()}"}
            try:
                await member.ws.send(json.dumps(frame))
                self.sent += 1
            except Exception:
                self.send_failures += 1
            next_at += interval

    async def backend_loop(self, rooms: list[int], deadline: float) -> None:
        """Staff send from the backend (the staff page's service) into each room in turn."""
        from rooms.models import Room
        from rooms.posting import send_room_message

        def send(room_id: int) -> None:
            send_room_message(room=Room.objects.get(pk=room_id), text=f"S|{time.time()}")

        while time.monotonic() < deadline:
            for room_id in rooms:
                await asyncio.to_thread(send, room_id)
                self.backend_sent += 1
            await asyncio.sleep(self.args.backend_interval)

    async def churn(self, member: Member, deadline: float) -> None:
        """Close and reopen this socket in a loop, resuming with `since`."""
        while time.monotonic() < deadline - 5:
            await asyncio.sleep(random.uniform(1, 5))
            await member.close()
            await member.connect()
            self.reconnects += 1


def main() -> int:
    summary = __doc__.split("\n")[0]
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=summary)
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--sockets", type=int, default=300)
    parser.add_argument("--rooms", type=int, default=5)
    parser.add_argument("--rate", type=float, default=20, help="messages per second, in all")
    parser.add_argument("--backend-interval", type=float, default=2.0)
    parser.add_argument("--processes", type=int, default=2, help="daphne processes (Redis)")
    parser.add_argument("--interval", type=float, default=60, help="seconds between reports")
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    return asyncio.run(Soak(args).run())


if __name__ == "__main__":
    sys.exit(main())
