"""The search index of the benchmark's database, built by the migration's own code, timed,
with a write to the table made while it is built: a CONCURRENTLY build lets it through
at once, a plain CREATE INDEX would hold it until the end. The stored documents it
indexes are written by migration 0009's trigger as the rows are copied in.

Runs inside Django; PostgreSQL only (SQLite has no search index: rooms/search.py)."""

from __future__ import annotations

import importlib
import threading
import time
from types import ModuleType

import psycopg
from django.db import connection

# The migration whose GIN index the search reads (its INDEX, DROP_INDEX, create_index),
# and the older search indexes it replaced (their DROP).
INDEX_MIGRATION = "rooms.migrations.0009_search_document"
OLD_INDEX_MIGRATIONS = ["rooms.migrations.0008_message_text_search"]
TABLE = "rooms_message"


def _migration(name: str = INDEX_MIGRATION) -> ModuleType:
    return importlib.import_module(name)


def search_index_valid() -> bool:
    """Whether the search index is there and usable (a cancelled concurrent build leaves
    an invalid one behind)."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s AND i.indisvalid",
            [_migration().INDEX],
        )
        return cursor.fetchone() is not None


def drop_search_indexes() -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(_migration().DROP_INDEX)
        for name in OLD_INDEX_MIGRATIONS:
            cursor.execute(_migration(name).DROP)


def build_search_index() -> tuple[float | None, float | None, bool]:
    """(seconds the build took, milliseconds an UPDATE made during it took, whether
    that UPDATE ended while the build still ran); Nones on SQLite."""
    if connection.vendor != "postgresql":
        return None, None, False
    probe = WriteProbe(_conninfo())
    probe.start()
    start = time.perf_counter()
    try:
        with connection.schema_editor(atomic=False) as editor:
            _migration().create_index(editor)
    finally:
        took = time.perf_counter() - start
        probe.join()
    return took, probe.write_ms, probe.during_build


def _conninfo() -> str:
    settings = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        dbname=settings["NAME"],
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=str(settings["PORT"]) if settings["PORT"] else None,
    )


class WriteProbe(threading.Thread):
    """Once the index is being built (pg_stat_progress_create_index shows it), UPDATE one
    message from another connection and time it. Autocommit: a transaction left open
    here would itself make the concurrent build wait."""

    PROGRESS = f"SELECT phase FROM pg_stat_progress_create_index WHERE relid = '{TABLE}'::regclass"

    def __init__(self, conninfo: str):
        super().__init__(daemon=True)
        self.conninfo = conninfo
        self.write_ms: float | None = None
        self.during_build = False

    def run(self) -> None:
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            deadline = time.monotonic() + 30
            while not self._phase(conn).startswith("building index"):
                if time.monotonic() > deadline:
                    return
                time.sleep(0.02)
            conn.execute("SET lock_timeout = '10min'")
            start = time.perf_counter()
            conn.execute(
                f"UPDATE {TABLE} SET edited = edited WHERE id = (SELECT MIN(id) FROM {TABLE})"
            )
            self.write_ms = (time.perf_counter() - start) * 1000
            self.during_build = bool(self._phase(conn))

    def _phase(self, conn: psycopg.Connection) -> str:
        """The build's phase now, "" when none runs."""
        row = conn.execute(self.PROGRESS).fetchone()
        return row[0] if row else ""
