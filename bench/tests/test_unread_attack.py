"""The unread-client attack's smoke run: a tiny attack end to end, so it cannot rot.

Memory figures are printed, never asserted here (the full run is the check).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.unread_attack import client_frame

ROOT = Path(__file__).resolve().parents[2]


def test_client_frames_are_masked_text_frames():
    frame = client_frame('{"command": "join"}')
    assert frame[0] == 0x81  # FIN, text
    assert frame[1] & 0x80  # masked, as every client frame must be
    length = frame[1] & 0x7F
    mask, payload = frame[2:6], frame[6:]
    assert length == len(payload)
    assert bytes(b ^ mask[i % 4] for i, b in enumerate(payload)) == b'{"command": "join"}'


@pytest.mark.timeout(180)
def test_a_tiny_attack_runs_and_prints_its_table(tmp_path):
    env = {**os.environ, "BENCH_DATABASE_URL": f"sqlite:///{tmp_path / 'bench.sqlite3'}"}
    run = subprocess.run(
        [sys.executable, "-m", "bench.unread_attack", "--accounts", "2", "--messages", "20",
         "--joins", "3", "--hold", "1", "--settle", "1", "--no-check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=170,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "| RSS before |" in run.stdout
    assert "| closed by the server |" in run.stdout
    assert "Goal: peak growth under 100 MB; after within 10% of before" in run.stdout
