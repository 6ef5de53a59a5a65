"""Server processes for the benchmark: start one on a free port, read its memory, stop it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = "bench.asgi:application"
# The websocket limits of the Procfile, on every server.
MAX_MESSAGE = "65536"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def command(server: str, port: int) -> list[str]:
    python = sys.executable
    if server == "daphne":
        return [
            # The site's websocket options are chatapp/serve.py's defaults.
            python, "-m", "chatapp.serve", "-v", "0", "--bind", "127.0.0.1", "--port", str(port),
            APP,
        ]  # fmt: skip
    if server == "uvicorn":
        return [
            python, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(port),
            "--loop", "uvloop", "--http", "httptools",
            "--ws", "chatapp.uvicorn_ws:BoundedWebSocketProtocol",
            "--ws-max-size", MAX_MESSAGE, "--ws-per-message-deflate", "false",
            "--lifespan", "off", "--no-access-log", "--log-level", "warning", APP,
        ]  # fmt: skip
    if server == "granian":
        return [
            str(Path(python).parent / "granian"), "--interface", "asgi", "--host",
            "127.0.0.1", "--port", str(port), "--workers", "1", "--loop", "uvloop",
            "--no-access-log", "--log-level", "warning", APP,
        ]  # fmt: skip
    if server == "raw":
        return [python, "-m", "bench.raw_server", str(port)]
    raise ValueError(f"unknown server {server!r}")


class Server:
    # With BENCH_PROFILE=<directory>, the part being measured (a burst, a crowd's
    # arrival) runs under py-spy (pip install py-spy), which writes its collapsed
    # stacks there, one file per measurement (bench/profile.py sums them up).
    profiled = 0

    def __init__(self, server: str, env: dict[str, str]):
        self.server = server
        self.port = free_port()
        self.profile = os.environ.get("BENCH_PROFILE", "")
        self.spy: subprocess.Popen | None = None
        self.measuring: tuple[str, float, dict[int, float], float] | None = None
        # The server's own output goes to a file: shown only if it fails to start.
        self.log = tempfile.TemporaryFile(mode="w+")
        self.process = subprocess.Popen(
            self.command_line(),
            cwd=ROOT,
            env={**os.environ, **env},
            start_new_session=True,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.wait_until_listening()

    def command_line(self) -> list[str]:
        """The server's command (a subclass may run another)."""
        return command(self.server, self.port)

    def start_profile(self, label: str) -> None:
        """Count the server's and this client's CPU time from now until stop_profile(),
        which prints them (which side is the limit: a server at 100% of a core is);
        with BENCH_PROFILE, also record the server's stacks."""
        self.measuring = (label, time.monotonic(), self.cpu_seconds(), time.process_time())
        if not self.profile:
            return
        Server.profiled += 1
        output = Path(self.profile) / f"{Server.profiled:02d}-{label}.txt"
        spy = str(Path(sys.executable).parent / "py-spy")
        self.spy = subprocess.Popen(
            [spy, "record", "--format", "raw", "--threads", "--rate", "250", "--nonblocking",
             "--output", str(output), "--pid", str(self.pids()[-1])],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(0.5)  # attached

    def stop_profile(self) -> None:
        if self.measuring is not None:
            label, started, server_cpu, client_cpu = self.measuring
            wall = time.monotonic() - started
            now = self.cpu_seconds()
            threads = sorted((now[tid] - server_cpu.get(tid, 0.0) for tid in now), reverse=True)
            server = sum(threads)
            busiest = ", ".join(f"{100 * t / wall:.0f}%" for t in threads[:3])
            client = time.process_time() - client_cpu
            print(
                f"{label}: {wall:.2f} s; CPU of the server {server:.2f} s "
                f"({100 * server / wall:.0f}% of a core; busiest threads {busiest}), "
                f"of the load client {client:.2f} s ({100 * client / wall:.0f}%)",
                flush=True,
            )
            self.measuring = None
        if self.spy is not None:
            self.spy.send_signal(signal.SIGINT)  # py-spy writes what it has and ends
            self.spy.wait(30)
            self.spy = None

    @property
    def base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def wait_until_listening(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                output = self.log.read()[-2000:]
                code = self.process.returncode
                raise RuntimeError(f"{self.server} exited with {code}:\n{output}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.server} did not listen on {self.port}")

    def pids(self) -> list[int]:
        """The server and every process under it (granian runs its app in a worker)."""
        found, queue = [], [self.process.pid]
        while queue:
            pid = queue.pop()
            found.append(pid)
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                queue += [int(child) for child in task.read_text().split()]
        return found

    def cpu_seconds(self) -> dict[int, float]:
        """User and system CPU time of each thread of the server's processes so far."""
        seconds: dict[int, float] = {}
        for pid in self.pids():
            for task in Path(f"/proc/{pid}/task").glob("*/stat"):
                try:
                    fields = task.read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue  # the thread ended
                ticks = int(fields[11]) + int(fields[12])  # utime, stime
                seconds[int(task.parent.name)] = ticks / os.sysconf("SC_CLK_TCK")
        return seconds

    def rss_bytes(self) -> int:
        total = 0
        for pid in self.pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        return total

    def output(self) -> str:
        """What the server printed (warnings and errors: the benchmark logs at WARNING)."""
        self.log.seek(0)
        return self.log.read()

    def kill(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)

    def stop(self) -> None:
        self.stop_profile()
        self.kill()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.kill(signal.SIGKILL)
            self.process.wait(5)
