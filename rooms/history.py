"""Reading the record: what a join shows, what a replay or a gap fill sends, and the
older pages behind "Load older messages".

Nothing is lost because every stored message has a per-room seq: whatever a socket
missed is read back here by seq range, a page at a time. Synchronous ORM work: the
consumer runs a join in a batch of the moment's joins and changes (rooms/group_joining.py),
the rest through database_sync_to_async. The latest page of each room is kept by its
seq, so a crowd opening a room reads it once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from attachments.shown import load_attachments

from .access import become_member, check_join_rate, get_room_for
from .direct import shown_title
from .errors import ROOM_INVALID, ChatError
from .events import encode, message_event
from .models import Message, Room

HOLD_ROOM_SQL = f"SELECT last_seq FROM {Room._meta.db_table} WHERE id = %s FOR SHARE"  # noqa: S608 (the model's own table name)

# A replay is read and sent this many messages at a time, so that a long one holds
# a page in memory, not the whole replay, and the client's pace sets how fast it goes.
REPLAY_PAGE = 50


# The latest page of each room this process has read for a join, by the room's seq
# when it was read: every change of a room's messages takes its next seq, so a page
# read at the same seq is the same page, and a crowd opening one room reads it once.
# (Kept to this many rooms; then forgotten at once, which costs one read per room.)
# The room's creation time goes with the seq: a room made again under the same id (a
# database restored, tests that empty tables) is not the room that was kept. What
# takes no seq (a user renamed or deleted: the events' author names) is seen once a
# page is older than LATEST_PAGE_SECONDS.
LATEST_PAGES_KEPT = 1000
LATEST_PAGE_SECONDS = 30


@dataclass(frozen=True)
class Page:
    """A page of events, and each encoded as its own frame (shared: never changed)."""

    events: list[dict[str, Any]]
    frames: list[str]


_latest_pages: dict[int, tuple[tuple[int, Any], float, Page]] = {}
# Pages read in the transaction under way in this thread (a batch of joins, rooms/
# room_commit.py): its other joins of the room take them before the commit that
# keeps them for everyone; forgotten after the batch either way.
_batch_pages = threading.local()


def latest_page(room: Room, last_seq: int) -> Page:
    """The room's latest messages as they are at `last_seq`, which the caller holds
    still (seq_held_still). Called inside a transaction."""
    version = (last_seq, room.created)
    kept = _latest_pages.get(room.pk)
    if kept is not None and kept[0] == version and time.monotonic() < kept[1]:
        return kept[2]
    batch = _batch_pages.__dict__.setdefault("pages", {})
    if (room.pk, version) in batch:
        return batch[room.pk, version]
    events = events_of(latest_messages(room))
    page = batch[room.pk, version] = Page(events, [encode(event) for event in events])

    def keep() -> None:
        if len(_latest_pages) >= LATEST_PAGES_KEPT:
            _latest_pages.clear()
        _latest_pages[room.pk] = (version, time.monotonic() + LATEST_PAGE_SECONDS, page)

    # Kept once committed: a page read in a transaction that is rolled back (a batch
    # of changes, rooms/consumers.py) may show a change that never happened.
    transaction.on_commit(keep)
    return page


def forget_latest_pages() -> None:
    """Tests that change messages behind the services' back start from nothing."""
    _latest_pages.clear()
    forget_batch_pages()


def forget_batch_pages() -> None:
    """After a batch (RoomCommit.finish), committed or rolled back."""
    _batch_pages.__dict__.pop("pages", None)


@dataclass
class Joined:
    title: str
    history: list[dict[str, Any]]  # the first page of events (messages, tombstones)
    # The latest page's frames, encoded once for every join of the room at this seq
    # (None for a resume's first page).
    history_frames: list[str] | None
    until: int  # a resume's replay goes on, a page at a time, up to this seq (0: nothing)
    resync: bool  # more was missed than CHAT_RESUME_LIMIT: the client reloads the room
    last_seq: int  # the room's seq the history shows: the client stands here after it
    username: str


def events_of(messages: list[Message]) -> list[dict[str, Any]]:
    """The events of a page of messages, their attachments read in one query."""
    return [message_event(m) for m in load_attachments(messages)]


def with_relations(messages: QuerySet[Message]) -> QuerySet[Message]:
    """What an event of each message needs, in a fixed number of queries."""
    return messages.select_related("author", "reply_to__author")


def join_room(user: AbstractBaseUser, room_id: int, since: int | None) -> Joined:
    """Check access and read the first page of what the client should see: the latest
    CHAT_HISTORY_ON_JOIN messages as they are now, or every message changed after
    `since` (at most CHAT_RESUME_LIMIT changes, else a resync and the latest messages),
    each once, as it is now, in the order of its last change; the rest of a long resume
    follows with `missed_messages`.

    `user` is as the socket's login look-up found it just before (a deactivation or a
    lost staff flag is seen there). Runs in a batch of joins and changes
    (GroupCommit): the only write, the membership of a public room, may stay if
    anything after it refuses."""
    check_join_rate(user.pk, room_id)
    room = get_room_for(user, room_id)
    become_member(user.pk, room)
    title = shown_title(room, user)  # a direct room is named after the others in it
    with transaction.atomic():
        # No change of the room commits while the history is read, so the history shows
        # exactly the room at `last_seq`, and every later change comes live with a
        # higher seq. PostgreSQL: a share lock on the room's row (joins do not wait for
        # each other, changes wait for them); SQLite: the transaction's own lock.
        last_seq = seq_held_still(room.pk)
        if since is not None:
            changed = list(
                room.messages.filter(seq__gt=since)
                .order_by("-seq")
                .values_list("seq", flat=True)[: settings.CHAT_RESUME_LIMIT + 1]
            )
            if len(changed) <= settings.CHAT_RESUME_LIMIT:
                first_page = (
                    missed_messages(room.pk, since, changed[0] + 1, REPLAY_PAGE) if changed else []
                )
                return Joined(
                    title=title,
                    history=first_page,
                    history_frames=None,
                    until=changed[0] if changed else 0,
                    resync=False,
                    last_seq=last_seq,
                    username=user.get_username(),
                )
        latest = latest_page(room, last_seq)
        return Joined(
            title=title,
            history=latest.events,
            history_frames=latest.frames,
            until=0,
            resync=since is not None,
            last_seq=last_seq,
            username=user.get_username(),
        )


def seq_held_still(room_id: int) -> int:
    """The room's seq, with changes held off until the current transaction ends
    (ROOM_INVALID if the room was deleted since it was read)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(HOLD_ROOM_SQL, [room_id])
            row = cursor.fetchone()
    else:
        row = Room.objects.filter(pk=room_id).values_list("last_seq").first()
    if row is None:
        raise ChatError(ROOM_INVALID, room_id)
    return row[0]


def latest_messages(room: Room, before: int | None = None) -> list[Message]:
    """The latest CHAT_HISTORY_ON_JOIN messages (before number `before`), oldest first,
    as they are now. A deleted one is left out unless something replies to it (its
    replies then show "message deleted")."""
    shown = room.messages.filter(Q(deleted__isnull=True) | Exists(replies_to(OuterRef("pk"))))
    if before is not None:
        shown = shown.filter(number__lt=before)
    newest = with_relations(shown).order_by("-number")[: settings.CHAT_HISTORY_ON_JOIN]
    return list(reversed(newest))


def replies_to(parent: Any) -> QuerySet[Message]:
    return Message.objects.filter(reply_to=parent, deleted__isnull=True)


def missed_messages(
    room_id: int, after: int, before: int, limit: int | None = None
) -> list[dict[str, Any]]:
    """The messages whose last change has after < seq < before, in seq order, as they
    are now (a gap in live delivery, a page of a resume); at most `limit` of them."""
    missed = with_relations(
        Message.objects.filter(room_id=room_id, seq__gt=after, seq__lt=before)
    ).order_by("seq")[:limit]
    return events_of(list(missed))


def new_messages(
    room_id: int, after: int, before: int, limit: int | None = None
) -> list[dict[str, Any]]:
    """The messages created with after < seq < before that are not deleted, in order, as
    they are now: a gap in live delivery to a client that takes no changes (one edited
    since has a later seq, but is still new to it)."""
    created = with_relations(
        Message.objects.filter(
            room_id=room_id, number__gt=after, number__lt=before, deleted__isnull=True
        )
    ).order_by("number")[:limit]
    return events_of(list(created))


def recent_messages(room: Room, limit: int | None = None) -> list[Message]:
    """The latest `limit` messages of a room that are not deleted, oldest first."""
    limit = limit or settings.CHAT_HISTORY_ON_JOIN
    newest = with_relations(room.messages.filter(deleted__isnull=True)).order_by("-number")
    return list(reversed(newest[:limit]))


def messages_before(room: Room, before: int) -> list[Message]:
    """The messages just older than number `before`, oldest first ("load older")."""
    return latest_messages(room, before=before)
