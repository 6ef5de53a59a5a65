"""Fan-out benchmark: the site's rooms consumer beside the Channels tutorial consumer.

    python -m bench.run                 # everything (make bench), about ten minutes
    python -m bench.run --only sizes    # one part: layers, sizes, steady, servers, idle, two,
                                        # rooms (many small rooms), crowd (a flash crowd)
    python -m bench.run --quick         # the CI smoke: a few sockets, fails on any loss

Every figure is measured on fresh server processes, with the same load client,
server, layer and database for the site's consumer and the baseline, and is
printed beside the baseline's with the ratio. Redis comes from REDIS_URL (or
BENCH_REDIS_URL); without it the in-memory layer is used and the Redis parts
are skipped. The database is BENCH_DATABASE_URL, by default bench/.bench.sqlite3.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

from .client import Load, Result, Target
from .run_shapes import ShapeParts
from .servers import ROOT, Server

USERS = 20  # sockets log in as these, round robin (enter notices stay few)


@dataclass
class Row:
    part: str
    consumer: str
    server: str
    layer: str
    processes: int
    result: Result
    note: str = ""


class Bench(ShapeParts):
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.redis_url = os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL", "")
        self.database_url = os.environ.get(
            "BENCH_DATABASE_URL", f"sqlite:///{ROOT / 'bench' / '.bench.sqlite3'}"
        )
        self.prefix = f"bench-{uuid.uuid4().hex[:8]}"
        self.rows: list[Row] = []
        self.setup_django()

    # Setup ------------------------------------------------------------------------

    def env(self, layer: str) -> dict[str, str]:
        env = {
            "DJANGO_SETTINGS_MODULE": "chatapp.settings",
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-" + "x" * 50,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": self.database_url,
            "CHANNEL_LAYER_PREFIX": self.prefix,
            "CACHE_KEY_PREFIX": self.prefix,
            "CHAT_MAX_MESSAGES_PER_MINUTE": "0",
            "CHAT_MAX_JOINS_PER_MINUTE": "0",
            "CHAT_MAX_WATCHES_PER_MINUTE": "0",
            "WEBSOCKET_MAX_CONNECTIONS_PER_MINUTE": "0",
            "WEBSOCKET_MAX_CONNECTIONS_PER_IP_PER_MINUTE": "0",
            # A thousand sockets from one address and a few accounts, on purpose.
            "WEBSOCKET_MAX_SOCKETS_PER_USER": "0",
            "WEBSOCKET_MAX_SOCKETS_PER_IP": "0",
            "LOG_LEVEL": "WARNING",
            "PYTHONWARNINGS": "ignore",
        }
        if layer != "memory":
            env |= {"REDIS_URL": self.redis_url, "CHANNEL_LAYER": layer}
        return env

    def setup_django(self) -> None:
        os.environ.update(self.env(self.layers()[0]))
        if not self.redis_url:
            os.environ.pop("REDIS_URL", None)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from django.contrib.auth import get_user_model
        from django.test import Client

        self.cookies = []
        for n in range(USERS):
            user, _ = get_user_model().objects.get_or_create(username=f"bench{n}")
            client = Client()
            client.force_login(user)
            self.cookies.append(client.cookies["sessionid"].value)

    def layers(self) -> list[str]:
        return ["core", "pubsub"] if self.redis_url else ["memory"]

    async def new_room(self) -> int:
        from asgiref.sync import sync_to_async

        room = await sync_to_async(self.make_room)()
        return room.pk

    def make_room(self):
        """A fresh room; with --watch, the bench users are members of --watch other rooms
        (and of no earlier bench room), which every socket watches."""
        from django.contrib.auth import get_user_model

        from rooms.models import Membership, Room

        room = Room.objects.create(title=f"Bench {uuid.uuid4().hex[:6]}")
        if not self.args.watch:
            return room
        users = get_user_model().objects.filter(username__startswith="bench")
        Membership.objects.filter(user__in=users, room__title__startswith="Bench ").delete()
        for n in range(self.args.watch):
            watched, _ = Room.objects.get_or_create(title=f"Watched {n}")
            Membership.objects.bulk_create(
                [Membership(room=watched, user=user) for user in users], ignore_conflicts=True
            )
        return room

    # One measurement ----------------------------------------------------------------

    async def target(self, consumer: str, servers: list[Server]) -> Target:
        """A fresh room (or tutorial room name) on these servers, logged in unless raw."""
        return Target(
            kind=consumer,
            bases=[s.base for s in servers],
            room_id=await self.new_room() if consumer in ("rooms", "multichat") else 0,
            room_name=uuid.uuid4().hex[:8],
            cookies=self.cookies if consumer != "raw" else [],
            watch=consumer == "rooms" and self.args.watch > 0,
        )

    async def measure(
        self,
        consumer: str,
        server: str,
        layer: str,
        sockets: int,
        action: str,
        processes: int = 1,
    ) -> Result:
        env = self.env(layer)
        servers = [Server(server, env) for _ in range(processes)]
        load = Load(await self.target(consumer, servers))
        try:
            await load.open(sockets)
            await load.quiet(1.0 if sockets >= 500 else 0.3)
            if action == "burst":
                result = await load.burst(self.burst_messages(sockets), self.args.senders)
            elif action == "steady":
                result = await load.steady(self.args.rate, self.args.seconds)
            else:
                raise ValueError(action)
            return result
        finally:
            await load.close()
            for s in servers:
                s.stop()

    def burst_messages(self, sockets: int) -> int:
        if self.args.quick:
            return 5
        return max(20, min(1000, self.args.deliveries // sockets))

    async def compare(
        self, part: str, sockets: int, action: str, *, layer: str, processes: int = 1
    ) -> None:
        """The tutorial consumer, then the site's, on daphne."""
        server = "daphne"
        for consumer in ("tutorial", "rooms"):
            result = await self.measure(consumer, server, layer, sockets, action, processes)
            self.add(Row(part, consumer, server, layer, processes, result))

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(self.format(row), flush=True)

    # Parts --------------------------------------------------------------------------

    async def part_layers(self) -> None:
        """Core and pub/sub Redis layers, both consumers, the largest room."""
        for layer in self.layers():
            await self.compare("layers", self.args.sizes[-1], "burst", layer=layer)

    async def part_sizes(self) -> None:
        for sockets in self.args.sizes:
            await self.compare("sizes", sockets, "burst", layer=self.args.layer)
        # Old clients (no chat.v2: one frame per event) in the largest room.
        sockets, layer = self.args.sizes[-1], self.args.layer
        result = await self.measure("multichat", "daphne", layer, sockets, "burst")
        self.add(Row("sizes", "multichat", "daphne", layer, 1, result))

    async def part_steady(self) -> None:
        await self.compare("steady", self.args.sizes[-1], "steady", layer=self.args.layer)

    async def part_servers(self) -> None:
        """The site's consumer on uvicorn and granian, and the bare websockets ceiling."""
        for sockets in self.args.sizes[-2:]:
            for server in ("uvicorn", "granian"):
                try:
                    layer = self.args.layer
                    result = await self.measure("rooms", server, layer, sockets, "burst")
                except Exception as error:  # a server that will not run is reported
                    print(f"{server}: could not run ({error})", flush=True)
                    continue
                self.add(Row("servers", "rooms", server, self.args.layer, 1, result))
            result = await self.measure("raw", "raw", "none", sockets, "burst")
            self.add(Row("servers", "raw", "websockets", "none", 1, result))

    async def part_two(self) -> None:
        """Two processes on one Redis: sockets split evenly, senders on the first."""
        if not self.redis_url:
            print("two processes: skipped (needs Redis)", flush=True)
            return
        await self.compare("two", self.args.sizes[-1], "burst", layer=self.args.layer, processes=2)

    async def part_idle(self) -> None:
        """Server RSS per idle logged-in socket (joined to one room)."""
        for consumer, server_name in self.idle_runs():
            server = Server(server_name, self.env(self.args.layer))
            load = Load(await self.target(consumer, [server]))
            try:
                await load.open(100)  # warm up: imports, caches, pools
                await load.quiet(2.0)
                before = server.rss_bytes()
                await load.open(self.args.idle)
                await load.quiet(5.0)
                after = server.rss_bytes()
            finally:
                await load.close()
                server.stop()
            per_socket = (after - before) / self.args.idle
            result = Result(self.args.idle, 0, 0, 0, 0, 0.0, [])
            note = f"{per_socket / 1024:.1f} KB RSS per idle socket ({after / 2**20:.0f} MB total)"
            self.add(Row("idle", consumer, server_name, self.args.layer, 1, result, note))

    def idle_runs(self) -> list[tuple[str, str]]:
        runs = [("tutorial", "daphne"), ("rooms", "daphne")]
        if self.has_server("uvicorn"):
            runs += [("tutorial", "uvicorn"), ("rooms", "uvicorn")]
        return runs

    @staticmethod
    def has_server(name: str) -> bool:
        import importlib.util

        return importlib.util.find_spec(name) is not None

    # Output -------------------------------------------------------------------------

    def baseline_of(self, row: Row) -> Row | None:
        for other in self.rows:
            if (
                other.consumer == "tutorial"
                and other.part == row.part
                and other.layer == row.layer
                and other.processes == row.processes
                and other.result.sockets == row.result.sockets
            ):
                return other
        for other in self.rows:  # servers: against the tutorial on daphne, same size
            if (
                other.consumer == "tutorial"
                and other.part in ("sizes", "layers")
                and other.result.sockets == row.result.sockets
            ):
                return other
        return None

    def format(self, row: Row) -> str:
        r = row.result
        if row.note:
            return f"| {row.part} | {row.consumer} | {row.server} | {row.layer} | {row.processes} | {r.sockets} | {row.note} |"  # noqa: E501
        baseline = self.baseline_of(row)
        ratio = (
            f"{r.rate / baseline.result.rate:.2f}x"
            if baseline and baseline is not row and baseline.result.rate
            else "—"
        )
        base_rate = f"{baseline.result.rate:,.0f}" if baseline else "—"
        return (
            f"| {row.part} | {row.consumer} | {row.server} | {row.layer} | {row.processes} "
            f"| {r.sockets} | {r.messages} | {r.rate:,.0f} | {base_rate} | {ratio} "
            f"| {r.percentile(50):.1f} | {r.percentile(99):.1f} | {max(r.latencies_ms, default=0):.1f} "  # noqa: E501
            f"| {r.lost} | {r.duplicates} |"
        )

    def header(self) -> None:
        system = f"{platform.system()} {platform.release()}"
        print(
            f"machine: {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, {system}"
        )
        print(f"database: {self.database_url.split(':')[0]}, redis: {bool(self.redis_url)}")
        print(
            "| part | consumer | server | layer | processes | sockets | messages | deliveries/s "
            "| tutorial deliveries/s | ratio | p50 ms | p99 ms | max ms | lost | duplicates |"
        )
        print("|" + "---|" * 15, flush=True)

    async def run(self) -> int:
        self.header()
        parts = self.args.only or [
            "layers", "sizes", "rooms", "crowd", "steady", "servers", "idle", "two"
        ]  # fmt: skip
        if self.args.quick:
            parts = ["sizes", "two", "rooms", "crowd"]
        for part in parts:
            await getattr(self, f"part_{part}")()
        self.cleanup_redis()
        if self.args.json:
            rows = json.dumps([self.as_dict(r) for r in self.rows], indent=1)
            await asyncio.to_thread(Path(self.args.json).write_text, rows)
        broken = [
            r
            for r in self.rows
            if r.consumer in ("rooms", "multichat")
            and not r.note
            and (r.result.lost or r.result.duplicates)
        ]
        for row in broken:
            print(f"LOST OR DUPLICATED: {self.format(row)}", file=sys.stderr)
        return 1 if broken else 0

    def as_dict(self, row: Row) -> dict:
        r = row.result
        return {
            "part": row.part, "consumer": row.consumer, "server": row.server,
            "layer": row.layer, "processes": row.processes, "sockets": r.sockets,
            "messages": r.messages, "deliveries_per_s": r.rate, "p50_ms": r.percentile(50),
            "p99_ms": r.percentile(99), "max_ms": max(r.latencies_ms, default=0),
            "lost": r.lost, "duplicates": r.duplicates, "note": row.note,
        }  # fmt: skip

    def cleanup_redis(self) -> None:
        if not self.redis_url:
            return
        import redis

        client = redis.Redis.from_url(self.redis_url)
        for key in client.scan_iter(match=f"{self.prefix}*", count=1000):
            client.delete(key)


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--only", type=lambda s: s.split(","), help="comma-separated parts")
    parser.add_argument("--sizes", type=lambda s: [int(n) for n in s.split(",")],
                        default=[10, 100, 1000])  # fmt: skip
    parser.add_argument("--deliveries", type=int, default=60000, help="per burst (approx.)")
    parser.add_argument("--senders", type=int, default=1)
    parser.add_argument("--rate", type=float, default=2000, help="steady deliveries/s")
    parser.add_argument("--seconds", type=float, default=10, help="steady duration")
    parser.add_argument("--idle", type=int, default=5000, help="idle sockets")
    parser.add_argument("--layer", default=None, help="core, pubsub (default: core with Redis)")
    parser.add_argument("--quick", action="store_true", help="CI smoke: few sockets, few parts")
    parser.add_argument(
        "--watch", type=int, default=0, help="site sockets also watch this many other rooms"
    )
    parser.add_argument("--rooms", type=int, default=100, help="rooms of the many-rooms burst")
    parser.add_argument("--per-room", type=int, default=10, help="sockets in each of those")
    parser.add_argument("--room-messages", type=int, default=20, help="each room's sender sends")
    parser.add_argument("--crowd", type=lambda s: [int(n) for n in s.split(",")],
                        default=[1000, 5000], help="sockets of each flash crowd")  # fmt: skip
    parser.add_argument("--consumers", type=lambda s: s.split(","), default=["tutorial", "rooms"],
                        help="of the rooms and crowd parts (profiling one)")  # fmt: skip
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes = [4]
        args.rooms, args.per_room, args.room_messages, args.crowd = 3, 3, 5, [20]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # servers inherit it
    bench = Bench(args)
    args.layer = args.layer or bench.layers()[0]
    try:
        import uvloop

        uvloop.install()  # the client must not be the bottleneck
    except ImportError:
        pass
    return asyncio.run(bench.run())


if __name__ == "__main__":
    sys.exit(main())
