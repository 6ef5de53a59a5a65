"""The benchmark's smoke run: a few sockets through every consumer, so it cannot rot.

Timings are printed, never asserted; what is asserted is that it runs end to end
and that the site's consumer lost and duplicated nothing.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(300)
def test_the_quick_benchmark_runs_and_loses_nothing(tmp_path):
    env = {**os.environ, "BENCH_DATABASE_URL": f"sqlite:///{tmp_path / 'bench.sqlite3'}"}
    run = subprocess.run(
        [sys.executable, "-m", "bench.run", "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    rows = [line for line in run.stdout.splitlines() if line.startswith("| sizes |")]
    consumers = ["tutorial", "rooms", "multichat"]  # the last: old clients, one frame per event
    assert [row.split("|")[2].strip() for row in rows] == consumers
    if os.environ.get("REDIS_URL"):
        assert any(line.startswith("| two | rooms |") for line in run.stdout.splitlines())
    # Many small rooms and a flash crowd, each beside the tutorial.
    for part in ("rooms", "crowd"):
        shown = [line.split("|")[2].strip() for line in run.stdout.splitlines()
                 if line.startswith(f"| {part} |")]  # fmt: skip
        assert shown == ["tutorial", "rooms"], run.stdout
