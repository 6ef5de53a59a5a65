"""The search benchmark's quick run, on SQLite and (when the tests run on it) PostgreSQL in a
database of its own, so that it cannot rot.

Timings are printed, never asserted; what is asserted is that it fills, searches as the
site does and finds what it looks for.
"""

import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[2]


def quick_run(database_url: str) -> list[list[str]]:
    """`python -m bench.search --quick` on that database: its table rows, split."""
    env = {**os.environ, "BENCH_DATABASE_URL": database_url}
    run = subprocess.run(
        [sys.executable, "-m", "bench.search", "--quick"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in run.stdout.splitlines()
        if line.startswith("| ") and not line.startswith(("| way", "| kind"))
    ]


def results(rows: list[list[str]], way: str) -> int:
    [row] = [row for row in rows if row[0] == way]
    assert row[1] == "20"  # queries
    return int(row[6].replace(",", ""))


@pytest.mark.timeout(120)
def test_the_quick_search_benchmark_runs_on_sqlite(tmp_path):
    rows = quick_run(f"sqlite:///{tmp_path / 'bench.sqlite3'}")
    assert results(rows, "substring (SQLite fallback)") > 0


@pytest.fixture
def throwaway_database(needs_postgres, settings):
    """A PostgreSQL database of its own on the tests' server, dropped afterwards."""
    import psycopg

    db = settings.DATABASES["default"]
    name = f"bench_search_{uuid.uuid4().hex[:8]}"
    host, port = db["HOST"] or "localhost", db["PORT"] or 5432
    params = {"user": db["USER"], "password": db["PASSWORD"], "host": host, "port": port}
    params = {key: value for key, value in params.items() if value}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    user = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else "")
    yield f"postgres://{user}{'@' if user else ''}{host}:{port}/{name}"
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.mark.services
@pytest.mark.timeout(120)
def test_the_quick_search_benchmark_runs_on_postgresql(throwaway_database):
    rows = quick_run(throwaway_database)
    assert results(rows, "full-text (search_messages)") > 0
    assert results(rows, "substring baseline, first 20") > 0
    kinds = {row[0] for row in rows}
    assert {"common word", "rare word", "phrase", "exclusion", "in a room"} <= kinds
