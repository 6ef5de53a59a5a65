"""The core's GroupCommit for rooms: the batch of joins and changes a lane stores at
once (chatapp/websocket/together.py), keyed by room.

A batch locks its rooms' rows first, in order of id (PostgreSQL; SQLite's one writer
needs none), before any of its joins takes a reader's lock that a send of the same
batch would have to upgrade: two batches never wait for each other in a circle.
After each batch, what the batch kept for itself is forgotten (rooms.history: the
latest page read once for all the batch's joins of a room).
"""

from __future__ import annotations

from collections.abc import Hashable

from django.db import connection

from chatapp.websocket import GroupCommit

from .history import forget_batch_pages
from .posting import ROOM_TABLE


class RoomCommit(GroupCommit):
    def lock(self, keys: list[Hashable]) -> None:
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute(
                # What the seq's UPDATE takes anyway (not FOR UPDATE: that would also hold
                # off other transactions' foreign keys to the room).
                f"SELECT id FROM {ROOM_TABLE} WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE",  # noqa: S608 (the model's own table name)
                [list(keys)],
            )

    def finish(self) -> None:
        forget_batch_pages()
