"""Filling the search benchmark's database, fast, once: the rows of bench.search_corpus
written with PostgreSQL's COPY (plain INSERTs on SQLite, for the quick run; the stored
search documents by migration 0009's trigger, as for every send), then the search index
built as that migration builds it, and a marker row saying what is there, so that a
rerun reuses a million messages instead of writing them again.

Runs inside Django (bench.search sets it up)."""

from __future__ import annotations

import html
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.template.loader import render_to_string

from rooms.models import Membership, Mention, Message, MessageChange, Reaction, Room

from .search_corpus import (
    FILL_END,
    MessageRow,
    RoomPlan,
    Texts,
    message_rows,
    room_plans,
    vocabulary,
)
from .search_index import build_search_index, drop_search_indexes, search_index_valid

MARKER = "bench_search_fill"
# Bumped whenever the corpus or the rows change: an older fill is then not reused.
FILL_VERSION = 1
SEARCHER = "search-bench"
AUTHORS = 50
CHUNK = 100_000  # messages per transaction (each COPY's deferred FK checks stay small)
MESSAGE_COLUMNS = (
    *("id", "room_id", "number", "seq", "author_id", "text", "msg_type", "reply_to_id"),
    *("client_id", "created", "edited", "deleted", "html", "reaction_summary", "replied"),
    "mentioned",
)
CHANGE_COLUMNS = ("room_id", "seq", "message_id", "kind", "actor_id", "client_id", "created")


@dataclass
class Fill:
    messages: int
    rooms: int
    visible_rooms: int
    fill_s: float  # users, rooms and messages written, ANALYZE included
    index_s: float | None  # the search index's CONCURRENTLY build (PostgreSQL)
    write_ms: float | None  # an UPDATE of a message made while the index was built
    write_during_build: bool  # whether that UPDATE ended before the build did
    reused: bool


def ensure_filled(messages: int, seed: int, refill: bool) -> Fill:
    """The database filled with `messages` messages of this seed: reused when the marker
    and the row count say so, else filled (never over messages this did not write
    unless `refill`)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER} (messages BIGINT, seed INTEGER, "
            "version INTEGER, state VARCHAR(10), rooms INTEGER, visible INTEGER, "
            "fill_s DOUBLE PRECISION, index_s DOUBLE PRECISION, write_ms DOUBLE PRECISION, "
            "write_during INTEGER)"
        )
        cursor.execute(
            f"SELECT messages, seed, version, state, rooms, visible, fill_s, index_s, "
            f"write_ms, write_during FROM {MARKER}"
        )
        marker = cursor.fetchone()
    present = Message.objects.count()
    same = marker and marker[:4] == (messages, seed, FILL_VERSION, "done")
    if same and present == messages and not refill:
        if search_index_valid():
            rooms, visible, fill_s, index_s, write_ms, during = marker[4:]
            return Fill(messages, rooms, visible, fill_s, index_s, write_ms, bool(during), True)
    # Ours to redo: an interrupted fill, or this very fill with its index lost.
    redo = bool(marker and marker[3] == "filling") or bool(same and present == messages)
    if present and not refill and not redo:
        if marker and marker[3] == "done":
            what = f"a fill of {marker[0]:,} messages (seed {marker[1]}, version {marker[2]})"
        else:
            what = f"{present:,} messages this benchmark did not write"
        raise SystemExit(
            f"The database holds {what}. Use another database (BENCH_DATABASE_URL), or "
            "pass --refill to empty its rooms and messages and fill it anew."
        )
    return _fill(messages, seed)


def _fill(messages: int, seed: int) -> Fill:
    start = time.perf_counter()
    _set_marker(messages, seed, "filling")  # an interrupted fill is ours to redo
    _empty()
    drop_search_indexes()  # built once after the fill: faster than kept up row by row
    rng = random.Random(seed)
    users = _users()
    plans = room_plans(AUTHORS, rng)
    room_ids = _rooms(plans, users)
    rows = message_rows(messages, plans, Texts(vocabulary(seed=seed), rng), rng)
    changes = _write_messages(rows, plans, room_ids, users)
    _write(MessageChange._meta.db_table, CHANGE_COLUMNS, changes)
    _finish_rooms(plans, room_ids)
    index_s, write_ms, during = build_search_index()
    _analyze()
    fill_s = time.perf_counter() - start - (index_s or 0)
    visible = sum(plan.visible for plan in plans)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {MARKER} SET state = 'done', rooms = %s, visible = %s, fill_s = %s, "
            "index_s = %s, write_ms = %s, write_during = %s",
            [len(plans), visible, fill_s, index_s, write_ms, int(during)],
        )
    return Fill(messages, len(plans), visible, fill_s, index_s, write_ms, during, False)


def _set_marker(messages: int, seed: int, state: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {MARKER}")
        cursor.execute(
            f"INSERT INTO {MARKER} (messages, seed, version, state) VALUES (%s, %s, %s, %s)",
            [messages, seed, FILL_VERSION, state],
        )


def _empty() -> None:
    """No rooms, messages or anything hanging off them (users stay)."""
    models = [Mention, Reaction, MessageChange, Message, Membership, Room]
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # CASCADE: tables of other apps pointing at rooms or messages are emptied too.
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")


def _users() -> dict[str, int]:
    """{"searcher": id, "0": id of author 0, ...}: made once, kept across refills."""
    model = get_user_model()
    ids = {"searcher": model.objects.get_or_create(username=SEARCHER)[0].pk}
    for n in range(AUTHORS):
        ids[str(n)] = model.objects.get_or_create(username=f"{SEARCHER}-author-{n:02}")[0].pk
    return ids


def _rooms(plans: list[RoomPlan], users: dict[str, int]) -> list[int]:
    """The rooms and their members (authors, and the searcher where planned); their ids."""
    rooms = []
    for n, plan in enumerate(plans):
        members = [users[str(a)] for a in plan.authors]
        if plan.searcher_member:
            members.append(users["searcher"])
        key = ".".join(str(pk) for pk in sorted(members)) if plan.kind == "direct" else None
        rooms.append(
            Room(
                title=plan.title,
                slug=f"room-{n}",
                kind=plan.kind,
                staff_only=plan.staff_only,
                archived=FILL_END if plan.archived else None,
                direct_key=key,
            )
        )
    Room.objects.bulk_create(rooms)
    memberships = []
    for n, (plan, room) in enumerate(zip(plans, rooms, strict=True)):
        for position, author in enumerate(plan.authors):
            role = "owner" if position == 0 and plan.kind == "private" else "member"
            memberships.append(Membership(room=room, user_id=users[str(author)], role=role))
        # The searcher opened some public rooms too (a membership changes nothing there).
        if plan.searcher_member or (plan.kind == "public" and n % 7 == 0):
            memberships.append(Membership(room=room, user_id=users["searcher"]))
    Membership.objects.bulk_create(memberships)
    return [room.pk for room in rooms]


def _write_messages(
    rows: Iterator[MessageRow], plans: list[RoomPlan], room_ids: list[int], users: dict[str, int]
) -> list[tuple]:
    """The messages, CHUNK per transaction; returns the edits' and deletions' rows."""
    formats = _html_formats()
    changes: list[tuple] = []

    def columns(chunk: list[MessageRow]) -> Iterator[tuple]:
        for row in chunk:
            author = users[str(row.author)] if row.author is not None else None
            if row.deleted:
                page = ""
            else:
                page = formats[row.msg_type, row.edited is not None].format(
                    text=html.escape(row.text),
                    user=f"{SEARCHER}-author-{row.author:02}" if author else "",
                    id=row.number,
                    seq=row.seq,
                    iso=row.created.isoformat(),
                    hm=row.created.strftime("%H:%M"),
                    edited=row.edited.strftime("%Y-%m-%d %H:%M") if row.edited else "",
                )
            room = room_ids[row.room]
            if row.edited or row.deleted:
                kind = "delete" if row.deleted else "edit"
                changes.append((room, row.seq, row.id, kind, author, "", row.edited or row.deleted))
            yield (
                *(row.id, room, row.number, row.seq, author, row.text, row.msg_type),
                *(row.reply_to, f"c{row.id:x}" if author else "", row.created, row.edited),
                *(row.deleted, page, "[]", row.replied, "[]"),
            )

    while chunk := list(islice(rows, CHUNK)):
        with transaction.atomic():
            _write(Message._meta.db_table, MESSAGE_COLUMNS, columns(chunk))
    return changes


def _write(table: str, names: Iterable[str], rows: Iterable[tuple]) -> None:
    """COPY on PostgreSQL (a few seconds a million rows); INSERTs elsewhere."""
    names = list(names)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        adapt = connection.ops.adapt_datetimefield_value
        places = ", ".join(["%s"] * len(names))
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({places})"
        rows = iter(rows)
        while batch := list(islice(rows, 5000)):
            cursor.executemany(
                sql, [[adapt(v) if isinstance(v, datetime) else v for v in row] for row in batch]
            )


def _finish_rooms(plans: list[RoomPlan], room_ids: list[int]) -> None:
    """Each room's last_seq (its messages and changes), and the id sequences moved past
    the ids COPY gave (PostgreSQL), as if every row had been sent."""
    with transaction.atomic():
        for plan, pk in zip(plans, room_ids, strict=True):
            Room.objects.filter(pk=pk).update(last_seq=plan.messages + plan.changes)
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in (Message._meta.db_table, MessageChange._meta.db_table):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
            )


def _analyze() -> None:
    """VACUUM ANALYZE: statistics for the planner, and the visibility map and hint bits
    a table of that age would have (autovacuum's work, done now instead of mid-run)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for model in (Message, MessageChange, Room, Membership):
                cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")
        else:
            cursor.execute("ANALYZE")


def _html_formats() -> dict[tuple[int, bool], str]:
    """rooms/message.html rendered once per shape (a user's message or the server's,
    edited or not) with markers in place of the values, made format strings: the stored
    HTML of every row as the site renders it, without rendering a million templates."""
    created = datetime(2001, 2, 3, 13, 47, 29, tzinfo=UTC)
    edited = datetime(2002, 3, 4, 15, 16, tzinfo=UTC)
    formats = {}
    for msg_type, kind in ((0, "message"), (1, "warning")):
        for is_edited in (False, True):
            shape = render_to_string(
                "rooms/message.html",
                {
                    **{"text": "qqtextqq", "kind": kind, "id": 987654321, "seq": 987654322},
                    "username": "qquserqq" if msg_type == 0 else None,
                    **{"created": created, "edited": edited if is_edited else None},
                    **{"reply": None, "reactions": []},
                },
            )
            shape = shape.replace("{", "{{").replace("}", "}}")
            markers = {
                **{"qqtextqq": "text", "qquserqq": "user", "987654321": "id", "987654322": "seq"},
                **{created.isoformat(): "iso", "13:47": "hm", "2002-03-04 15:16": "edited"},
            }
            for marker, name in markers.items():
                shape = shape.replace(marker, "{" + name + "}")
            assert "{text}" in shape and "{id}" in shape, "rooms/message.html changed shape"
            formats[msg_type, is_edited] = shape
    return formats
