"""What the search benchmark prints: the setup, a row per way of searching beside the
baseline, the queries by kind, and the plan of the slowest query when it is asked for."""

from __future__ import annotations

import os
import platform
import statistics
from typing import TYPE_CHECKING

from django.db import connection

if TYPE_CHECKING:
    from .search import Row, Timing
    from .search_fill import Fill


def header(fill: Fill) -> None:
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )
    print(f"database: {_server()}")
    how = "reused, filled earlier" if fill.reused else "filled now"
    way = "COPY, VACUUM ANALYZE" if connection.vendor == "postgresql" else "INSERTs"
    print(
        f"messages: {fill.messages:,} in {fill.rooms} rooms, {fill.visible_rooms} of them "
        f"visible to the searcher ({how} in {fill.fill_s:.1f} s: {way})"
    )
    if fill.index_s is not None:
        if fill.write_ms is None:
            writes = "no write could be tried while it ran"
        elif fill.write_during_build:
            writes = (
                f"an UPDATE of a message made meanwhile took {fill.write_ms:.1f} ms "
                "(writes not held)"
            )
        else:
            writes = f"an UPDATE made meanwhile took {fill.write_ms:.1f} ms, ending after it"
        print(f"search index: built CONCURRENTLY in {fill.index_s:.1f} s; {writes}")
    print(flush=True)


def _server() -> str:
    if connection.vendor != "postgresql":
        return f"{connection.vendor} (substring search: no full-text, no index)"
    settings = []
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0].split()[0]
        for name in ("shared_buffers", "work_mem", "jit"):
            cursor.execute(f"SHOW {name}")
            settings.append(f"{name} {cursor.fetchone()[0]}")
    return f"PostgreSQL {version} ({', '.join(settings)})"


def print_rows(rows: list[Row]) -> None:
    baseline = rows[-1] if len(rows) > 2 else None
    print(
        "| way | queries | p50 ms | p90 ms | p99 ms | max ms | results | none found "
        "| baseline p50 / this p50 |"
    )
    print("|" + "---|" * 9)
    for row in rows:
        data = row.as_dict()
        ratio = "—"
        if baseline and row is not baseline and row.percentile(50):
            ratio = f"{baseline.percentile(50) / row.percentile(50):,.0f}x"
        print(
            f"| {row.way} | {data['queries']} | {data['p50_ms']:.1f} | {data['p90_ms']:.1f} "
            f"| {data['p99_ms']:.1f} | {data['max_ms']:.1f} | {data['hits']:,} "
            f"| {data['none_found']} | {ratio} |"
        )
    print()
    print("| kind of query | queries | p50 ms | p99 ms | max ms | matching messages (median) |")
    print("|" + "---|" * 6)
    kinds: dict[str, list[Timing]] = {}
    for timing in rows[0].timings:
        kinds.setdefault(timing.query.kind, []).append(timing)
    for kind, timings in kinds.items():
        ms = sorted(t.ms for t in timings)
        counted = [t.matches for t in timings if t.matches is not None]
        matches = f"{statistics.median(counted):,.0f}" if counted else "—"
        print(
            f"| {kind} | {len(ms)} | {statistics.median(ms):.1f} "
            f"| {ms[max(0, round(0.99 * len(ms)) - 1)]:.1f} | {ms[-1]:.1f} | {matches} |"
        )
    slowest = max(rows[0].timings, key=lambda t: t.ms)
    room = f" in room {slowest.query.room_id}" if slowest.query.room_id else ""
    print(f"\nslowest: {slowest.query.text!r}{room} ({slowest.query.kind}), {slowest.ms:.1f} ms")


def with_matches(user, timings: list[Timing]) -> None:
    """How many messages each query matches among those the user may see (not timed)."""
    from django.contrib.postgres.search import SearchQuery

    from rooms.models import Message, MessageType, Room
    from rooms.search import SEARCH_CONFIG, StoredDocument

    rooms = Room.objects.visible_to(user)
    for timing in timings:
        query = timing.query
        wanted = SearchQuery(query.text, config=SEARCH_CONFIG, search_type="websearch")
        messages = Message.objects.filter(
            room__in=rooms if query.room_id is None else rooms.filter(pk=query.room_id),
            deleted__isnull=True,
            msg_type=MessageType.MESSAGE,
        )
        timing.matches = messages.alias(document=StoredDocument()).filter(document=wanted).count()


def explain_slowest(user, timings: list[Timing]) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the slowest query's longest statement, run again."""
    from django.test.utils import CaptureQueriesContext

    from rooms.search import search_messages

    slowest = max(timings, key=lambda t: t.ms).query
    with CaptureQueriesContext(connection) as captured:
        search_messages(user, slowest.text, slowest.room_id)
    statement = max(captured.captured_queries, key=lambda q: float(q["time"]))["sql"]
    print(f"\nEXPLAIN (ANALYZE, BUFFERS) of {slowest.text!r} ({slowest.kind}):")
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement)
        for (line,) in cursor.fetchall():
            print(f"    {line}")
