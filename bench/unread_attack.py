"""The unread-client attack: sockets that ask for long replays and never read a byte.

    python -m bench.unread_attack                      # 20 accounts against chatapp.serve
    python -m bench.unread_attack --server daphne-plain --accounts 2   # stock daphne, capped

An outside tester took the server from 103 MB to 1,365 MB in 11 s with one account:
a `join` with `since: 0` replays up to CHAT_RESUME_LIMIT messages, a user may join
60 times a minute, and Twisted buffered every replay for a client that never read.
This runs that attack against a fresh server process on 127.0.0.1: a room of
--messages messages of CHAT_MAX_MESSAGE_LENGTH emoji each, --accounts logged-in
accounts, each with one socket to /chat/stream/ that sends --joins
`{"command": "join", "room": ID, "since": 0}` frames as fast as it can and then
never reads. The sockets are raw TCP with a small receive buffer and a hand-made
upgrade handshake, so nothing on the client side drains the connection. After
--hold seconds every socket is closed, and RSS is read again --settle s later.

Goal: peak growth under 100 MB; after within 10% of before. The exit status is 1
if either is missed (unless --no-check), so it can serve as a check.

--server daphne-plain runs the stock `daphne` command (same flags) instead of
`python -m chatapp.serve`, to show the unbounded behaviour; every run is killed
once the server's RSS passes --cap-mb (default 2 GB), and reports when.

The database is BENCH_DATABASE_URL, or else a fresh SQLite file removed at the end.
Join and connection rate limits are off, as in the other bench scripts.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from websockets.asyncio.client import connect

from .client import events_of
from .run import Bench
from .servers import Server, command

APP = "chatapp.asgi:application"  # the site's application, as the Procfile runs it
EMOJI = "\N{GRINNING FACE}"
INTERVAL = 0.5  # seconds between RSS samples
OPEN_TIMEOUT = 60.0  # seconds for every socket to open and send its joins
SETUP_TIMEOUT = 60.0  # seconds for the warm-up replay
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455, section 1.3
# struct tcp_info's first byte (linux/tcp.h): what the kernel knows of the connection.
TCP_ESTABLISHED, TCP_CLOSE, TCP_CLOSE_WAIT = 1, 7, 8
TAKES_NOTHING = "it takes nothing"  # send_paced's warning when it closes with 4008
MB = 2**20
# A record of the server's log ("2026-01-01 12:00:00,000 WARNING logger: message").
LOG_RECORD = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ (\w+ .*)$")
REPR = re.compile(r"<.*>")  # an object's repr: task, coroutine, protocol
ID_OR_NUMBER = re.compile(r"![0-9a-f]{8,}|\b\d+\b")


def mb(size: int) -> str:
    return f"{size / MB:,.0f} MB"


def log_summary(log: str, top: int = 6) -> list[tuple[int, str]]:
    """The server's log records (not their tracebacks), alike ones counted together:
    reprs, ids and numbers are masked, the message cut short."""
    counts: dict[str, int] = {}
    for line in log.splitlines():
        match = LOG_RECORD.match(line)
        if match:
            record = ID_OR_NUMBER.sub("#", REPR.sub("<...>", match.group(1)))[:110]
            counts[record] = counts.get(record, 0) + 1
    tracebacks = log.count("Traceback (most recent call last)")
    summary = sorted(((n, r) for r, n in counts.items()), reverse=True)[:top]
    return summary + ([(tracebacks, "traceback")] if tracebacks else [])


def kernel_tcp_bytes() -> int:
    """Memory in the kernel's TCP buffers, machine-wide (/proc/net/sockstat): where bytes
    a client does not read sit before the server's own buffers (RSS) take any."""
    try:
        for line in Path("/proc/net/sockstat").read_text().splitlines():
            if line.startswith("TCP:"):
                fields = line.split()
                return int(fields[fields.index("mem") + 1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        pass
    return 0


def server_command(kind: str, port: int) -> list[str]:
    """The bench's daphne command line (bench.servers), for the site's application;
    `daphne-plain` runs the stock daphne script instead of the chatapp.serve wrapper."""
    argv = command("daphne", port)
    if argv[1:3] != ["-m", "chatapp.serve"]:
        raise RuntimeError(f"unexpected daphne command in bench.servers: {argv[:3]}")
    argv[-1] = APP
    if kind == "daphne-plain":
        argv[:3] = [str(Path(sys.executable).parent / "daphne")]
    return argv


class AttackServer(Server):
    """bench.servers.Server (RSS, log, stop) running one of `server_command`'s lines."""

    def command_line(self) -> list[str]:
        return server_command(self.server, self.port)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def open_sockets(self) -> int:
        """Sockets the server process holds (listening, clients, database)."""
        count = 0
        for pid in self.pids():
            try:
                fds = list(Path(f"/proc/{pid}/fd").iterdir())
            except OSError:
                continue
            for fd in fds:
                try:
                    count += os.readlink(fd).startswith("socket:")
                except OSError:
                    continue
        return count


def client_frame(text: str) -> bytes:
    """One masked text frame, as a client must send it (RFC 6455, section 5.2)."""
    payload = text.encode()
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        header = bytes([0x81, 0x80 | length])
    elif length < 2**16:
        header = bytes([0x81, 0x80 | 126]) + length.to_bytes(2, "big")
    else:
        header = bytes([0x81, 0x80 | 127]) + length.to_bytes(8, "big")
    masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
    return header + mask + masked


@dataclass
class Attacker:
    """One account's socket: handshake, joins, then only ever written to or closed."""

    index: int
    sock: socket.socket
    joins_sent: int = 0
    send_error: str = ""
    state: int = TCP_ESTABLISHED
    closed_after: float | None = None  # seconds after its joins went out

    def poll(self, joined_at: float | None) -> None:
        """Note when the server ended the connection: the kernel's TCP state, read
        without taking a byte from the receive buffer."""
        if self.state != TCP_ESTABLISHED:
            return
        try:
            self.state = self.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]
        except OSError:
            self.state = TCP_CLOSE
        if self.state != TCP_ESTABLISHED and joined_at is not None:
            self.closed_after = time.monotonic() - joined_at


async def open_attacker(
    index: int, server: AttackServer, cookie: str, rcvbuf: int, path: str = "/chat/stream/"
) -> Attacker:
    """A raw TCP socket upgraded by hand: after the 101 nothing is ever read from it."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Before connect, so the window the client offers (and its scale) stays small.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setblocking(False)
    try:
        await loop.sock_connect(sock, ("127.0.0.1", server.port))
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {path} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{server.port}\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            f"Origin: {server.origin}\r\n"
            f"Cookie: sessionid={cookie}\r\n"
            "\r\n"
        )
        await loop.sock_sendall(sock, request.encode())
        # The server sends nothing after the 101 until a join, so this reads the
        # response and no more.
        response = b""
        for _ in range(64):  # 64 reads of up to 1 KB: a handshake response is far smaller
            if b"\r\n\r\n" in response:
                break
            chunk = await loop.sock_recv(sock, 1024)
            if not chunk:
                break
            response += chunk
        head = response.split(b"\r\n\r\n", 1)[0].decode("latin-1")
        accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        if not head.startswith("HTTP/1.1 101") or accept not in head:
            raise RuntimeError(f"socket {index}: handshake refused: {head[:200]!r}")
    except BaseException:
        sock.close()
        raise
    return Attacker(index, sock)


async def send_joins(attacker: Attacker, room_id: int, joins: int) -> None:
    """`joins` join frames back to back, each asking for the whole replay."""
    loop = asyncio.get_running_loop()
    text = json.dumps({"command": "join", "room": room_id, "since": 0})
    for _ in range(joins):
        try:
            await loop.sock_sendall(attacker.sock, client_frame(text))
        except OSError as error:  # the server already closed it
            attacker.send_error = type(error).__name__
            return
        attacker.joins_sent += 1


class Watch:
    """Server RSS every INTERVAL s (the peak is the largest), when each socket was
    ended by the server, and whether the RSS passed the cap."""

    def __init__(self, server: AttackServer, attackers: list[Attacker], cap_bytes: int):
        self.server = server
        self.attackers = attackers
        self.cap_bytes = cap_bytes
        self.started = time.monotonic()
        self.deadline = self.started + OPEN_TIMEOUT  # moved once the joins are out
        self.joined_at: float | None = None
        self.samples: list[tuple[float, int]] = []  # (seconds into the attack, RSS)
        self.kernel_peak = 0
        self.capped_after: float | None = None  # seconds after the first socket opened

    @property
    def peak(self) -> int:
        return max((rss for _, rss in self.samples), default=0)

    @property
    def peak_at(self) -> float:
        """When RSS first came within 1 MB of its peak."""
        return next((t for t, rss in self.samples if rss >= self.peak - MB), 0.0)

    async def run(self, limit: float) -> None:
        for _ in range(int(limit / INTERVAL) + 2):
            now = time.monotonic()
            if now >= self.deadline:
                return
            rss = self.server.rss_bytes()
            self.samples.append((now - self.started, rss))
            self.kernel_peak = max(self.kernel_peak, kernel_tcp_bytes())
            for attacker in self.attackers:
                attacker.poll(self.joined_at)
            if rss > self.cap_bytes:
                self.capped_after = now - self.started
                return
            await asyncio.sleep(INTERVAL)


@dataclass
class Outcome:
    before: int = 0
    peak: int = 0
    peak_at: float = 0.0
    after: int | None = None
    capped_after: float | None = None
    attackers: list[Attacker] = field(default_factory=list)
    joins_seconds: float = 0.0
    kernel: tuple[int, int] = (0, 0)  # kernel TCP memory, machine-wide: before, peak
    sockets: tuple[int, int, int | None] = (0, 0, None)  # server sockets: before, hold end, after
    log: str = ""


class UnreadAttack:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.tempdir: str | None = None
        self.room_id = 0
        if not os.environ.get("BENCH_DATABASE_URL"):
            # A fresh file: nothing shared with other runs, and removed at the end.
            self.tempdir = tempfile.mkdtemp(prefix="unread-attack-")
            os.environ["BENCH_DATABASE_URL"] = f"sqlite:///{Path(self.tempdir) / 'db.sqlite3'}"
        try:
            self.bench = Bench(argparse.Namespace(quick=False))  # settings, migrate, accounts
            self.cookies = self.accounts(args.accounts)
            self.room_id, self.frame_bytes = self.make_room(args.messages)
        except BaseException:
            self.cleanup()
            raise

    def accounts(self, count: int) -> list[str]:
        """Session cookies of `count` accounts: the bench's, and more made the same way."""
        from django.contrib.auth import get_user_model
        from django.test import Client

        cookies = self.bench.cookies[:count]
        for n in range(len(cookies), count):
            user, _ = get_user_model().objects.get_or_create(username=f"bench{n}")
            client = Client()
            client.force_login(user)
            cookies.append(client.cookies["sessionid"].value)
        return cookies

    def make_room(self, messages: int) -> tuple[int, int]:
        """A room of `messages` messages of the longest text allowed, all emoji; and
        the size of one replayed frame in bytes."""
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.db import transaction

        from rooms.events import encode, message_event
        from rooms.models import Message, Room

        author = get_user_model().objects.get(username="bench0")
        text = EMOJI * settings.CHAT_MAX_MESSAGE_LENGTH
        with transaction.atomic():
            room = Room.objects.create(title=f"Unread {uuid.uuid4().hex[:8]}")
            # Consecutive seqs and last_seq, as post_message would leave them, in one insert.
            Message.objects.bulk_create(
                (
                    Message(room=room, number=n, seq=n, author=author, text=text)
                    for n in range(1, messages + 1)
                ),
                batch_size=100,
            )
            Room.objects.filter(pk=room.pk).update(last_seq=messages)
        first = Message.objects.filter(room=room).order_by("seq").first()
        frame = len(encode(message_event(first)).encode()) if first else 0
        return room.pk, frame

    def env(self) -> dict[str, str]:
        env = self.bench.env(self.bench.layers()[0])
        # Every account connects from 127.0.0.1 here; an attacker would use many addresses.
        env["WEBSOCKET_MAX_SOCKETS_PER_IP"] = "0"
        return env

    def cleanup(self) -> None:
        if "django.db" in sys.modules:  # Django was set up
            from django.db import connections

            from rooms.models import Room

            if self.tempdir is None and self.room_id:
                Room.objects.filter(pk=self.room_id).delete()  # a shared database keeps its size
            connections.close_all()
        if self.tempdir is not None:
            shutil.rmtree(self.tempdir, ignore_errors=True)

    # The run ----------------------------------------------------------------------------

    async def warm_up(self, server: AttackServer) -> None:
        """One reading client takes a whole replay, so imports, templates and database
        connections are in the server before `before` is read."""
        async with connect(
            f"{server.base}/chat/stream/",
            origin=server.origin,
            additional_headers={"Cookie": f"sessionid={self.cookies[0]}"},
            compression=None,
            max_size=2**20,
            ping_interval=None,
            open_timeout=30,
        ) as ws:
            await ws.send(json.dumps({"command": "join", "room": self.room_id, "since": 0}))
            deadline = time.monotonic() + SETUP_TIMEOUT
            last = 0
            while last < self.args.messages and time.monotonic() < deadline:
                frame = await asyncio.wait_for(ws.recv(), SETUP_TIMEOUT)
                for event in events_of(frame):
                    if "error" in event:
                        raise RuntimeError(f"warm-up join refused: {event}")
                    if "id" in event and isinstance(event.get("seq"), int):
                        last = max(last, event["seq"])

    async def attack(self, server: AttackServer) -> Outcome:
        args = self.args
        outcome = Outcome()
        await self.warm_up(server)
        await asyncio.sleep(2)
        outcome.before = server.rss_bytes()
        sockets_before = server.open_sockets()
        kernel_before = kernel_tcp_bytes()
        attackers: list[Attacker] = []
        watch = Watch(server, attackers, args.cap_mb * MB)
        watching = asyncio.create_task(watch.run(OPEN_TIMEOUT + args.hold))
        gate = asyncio.Semaphore(50)

        async def one(index: int) -> None:
            async with gate:
                attacker = await open_attacker(index, server, self.cookies[index], args.rcvbuf)
            attackers.append(attacker)
            await send_joins(attacker, self.room_id, args.joins)

        async def everyone() -> None:
            await asyncio.gather(*(one(i) for i in range(args.accounts)))

        try:
            started = time.monotonic()
            work = asyncio.create_task(everyone())
            await asyncio.wait(
                {work, watching}, timeout=OPEN_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
            )
            if not work.done():  # over the cap (or too slow to open): stop the attack
                work.cancel()
                await asyncio.gather(work, return_exceptions=True)
                if watch.capped_after is None:
                    raise RuntimeError(f"sockets not open and joined in {OPEN_TIMEOUT:.0f} s")
            else:
                work.result()  # a refused handshake ends the run here
                watch.joined_at = time.monotonic()
                outcome.joins_seconds = watch.joined_at - started
                watch.deadline = watch.joined_at + args.hold
                await watching
            if watch.capped_after is not None:
                server.kill(signal.SIGKILL)  # free the machine's memory at once
            sockets_hold_end = server.open_sockets() if watch.capped_after is None else 0
        finally:
            watching.cancel()
            await asyncio.gather(watching, return_exceptions=True)
            for attacker in attackers:
                attacker.sock.close()
        outcome.peak, outcome.peak_at = watch.peak, watch.peak_at
        outcome.capped_after = watch.capped_after
        outcome.kernel = (kernel_before, watch.kernel_peak)
        outcome.attackers = sorted(attackers, key=lambda a: a.index)
        if watch.capped_after is None:
            await asyncio.sleep(args.settle)
            outcome.after = server.rss_bytes()
            outcome.sockets = (sockets_before, sockets_hold_end, server.open_sockets())
        outcome.log = server.output()
        if args.server_log:
            await asyncio.to_thread(Path(args.server_log).write_text, outcome.log)
        return outcome

    async def run(self) -> int:
        args = self.args
        server = AttackServer(args.server, self.env())
        try:
            outcome = await self.attack(server)
        finally:
            server.stop()
        return self.report(outcome)

    # Output -----------------------------------------------------------------------------

    def report(self, outcome: Outcome) -> int:
        args = self.args
        label = "chatapp.serve" if args.server == "serve" else "daphne (stock)"
        database = os.environ["BENCH_DATABASE_URL"].split(":")[0]
        replay = args.messages * self.frame_bytes
        growth = outcome.peak - outcome.before
        rows = [
            ("server", f"{label} {APP}, database {database}"),
            ("attack", f"{args.accounts} accounts x {args.joins} joins since 0, "
                       f"{outcome.joins_seconds:.2f} s to open and send"),
            ("room", f"{args.messages} messages x {EMOJI}*2000: replay frames of "
                     f"{self.frame_bytes / 1024:.1f} KB, {replay / MB:.1f} MB per full replay"),
            ("RSS before", mb(outcome.before)),
            ("RSS peak", f"{mb(outcome.peak)} (reached {outcome.peak_at:.1f} s into the attack)"),
            ("peak growth", f"{growth / MB:+,.1f} MB"),
        ]  # fmt: skip
        if outcome.capped_after is not None:
            rows += [
                ("RSS after", f"n/a: exceeded {args.cap_mb:,} MB after "
                              f"{outcome.capped_after:.1f} s, server killed"),
            ]  # fmt: skip
        else:
            after = outcome.after or 0
            change = (after - outcome.before) / outcome.before * 100
            rows += [
                (f"RSS after ({args.settle:.0f} s after closing)", mb(after)),
                ("after vs before", f"{change:+.1f}%"),
            ]
        rows += [
            ("kernel TCP buffers, whole machine", f"{mb(outcome.kernel[0])} before, "
                                                  f"{mb(outcome.kernel[1])} at most"),
            ("closed by the server", self.closes(outcome)),
        ]  # fmt: skip
        if outcome.capped_after is None:
            before, hold_end, after_sockets = outcome.sockets
            rows += [
                ("server sockets open", f"{before} before, {hold_end} at the end of the hold, "
                                        f"{after_sockets} after"),
            ]  # fmt: skip
        print(f"\nUnread-client attack, {args.hold:.0f} s hold")
        print("| measure | value |\n|---|---|")
        for name, value in rows:
            print(f"| {name} | {value} |")
        for count, record in log_summary(outcome.log):
            print(f"server log: {count} x {record}")
        print("Goal: peak growth under 100 MB; after within 10% of before")
        missed = []
        if growth >= 100 * MB:
            missed.append(f"peak growth {growth / MB:,.0f} MB")
        if outcome.after is None:
            missed.append("no 'after' (killed at the cap)")
        elif outcome.after > outcome.before * 1.10:
            missed.append(f"after {outcome.after / outcome.before * 100 - 100:+.1f}% of before")
        print("Result: " + (f"MISSED ({'; '.join(missed)})" if missed else "met"), flush=True)
        return 1 if missed and not args.no_check else 0

    def closes(self, outcome: Outcome) -> str:
        """How many sockets the server ended, as the kernel saw it, and the server's log."""
        attackers = outcome.attackers
        ended = [a for a in attackers if a.state != TCP_ESTABLISHED]
        resets = sum(a.state == TCP_CLOSE for a in ended)
        fins = sum(a.state == TCP_CLOSE_WAIT for a in ended)
        text = f"{len(ended)} of {len(attackers)} (TCP reset {resets}, FIN {fins}"
        text += f", other {len(ended) - resets - fins})" if len(ended) > resets + fins else ")"
        times = sorted(a.closed_after for a in ended if a.closed_after is not None)
        if times:
            text += f", {times[0]:.1f}-{times[-1]:.1f} s after the joins"
        short = sum(a.joins_sent < self.args.joins for a in attackers)
        if short:
            text += f"; {short} sockets closed before all joins were sent"
        logged = outcome.log.count(TAKES_NOTHING)
        # The close frame waits behind the unread replay, so the client never sees its
        # code; the server's log says which closes were send_paced's 4008.
        text += f"; close code unseen by a raw socket; server log: {logged} x "
        text += f"'closing ... {TAKES_NOTHING}' (4008)"
        return text


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.unread_attack", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--accounts", type=int, default=20, help="one socket each")
    parser.add_argument("--messages", type=int, default=500, help="in the room")
    parser.add_argument("--joins", type=int, default=55, help="join frames per socket")
    parser.add_argument("--hold", type=float, default=30, help="seconds the sockets stay open")
    parser.add_argument("--settle", type=float, default=5, help="seconds before 'after'")
    parser.add_argument("--server", choices=["serve", "daphne-plain"], default="serve")
    parser.add_argument("--cap-mb", type=int, default=2048, help="kill the server above this")
    parser.add_argument("--rcvbuf", type=int, default=4096, help="client SO_RCVBUF bytes")
    parser.add_argument("--server-log", help="also write the server's output to this file")
    parser.add_argument("--no-check", action="store_true", help="exit 0 even if goals missed")
    args = parser.parse_args(argv)
    if args.accounts < 1 or args.joins < 1 or args.messages < 1:
        parser.error("--accounts, --joins and --messages must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    attack = UnreadAttack(args)
    try:
        return asyncio.run(attack.run())
    finally:
        attack.cleanup()


if __name__ == "__main__":
    sys.exit(main())
