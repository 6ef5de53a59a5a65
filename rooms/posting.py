"""Posting messages: what a valid message is, how it gets its seq, and how a retried
send finds the message it already stored instead of storing it twice.

Two ways in: `store_message` for a send on the socket or the API (the consumer's in a
batch of the moment's changes: rooms/group_posting.py, which also stores plain sends
of a batch together), `send_room_message` for the backend (the staff page,
admin and management commands), which also broadcasts. Either way the message is
stored before anyone is told, so the database stays the record.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from attachments.services import (
    claim_attachments,
    has_attachments,
    has_attachments_sql,
    link_attachments,
)
from attachments.shown import remember
from chatapp.ratelimit import within_rate

from .access import get_room_for
from .errors import (
    BAD_REQUEST,
    MESSAGE_EMPTY,
    MESSAGE_INVALID,
    MESSAGE_TOO_LONG,
    RATE_LIMITED,
    ROOM_INVALID,
    ChatError,
)
from .events import message_event, render_message, room_broadcast, room_group
from .mentions import check_here, keep_mentions, name_members
from .models import Message, MessageType, Room

logger = logging.getLogger(__name__)

ROOM_TABLE = Room._meta.db_table
# UPDATE … RETURNING: PostgreSQL, and SQLite since 3.35 (Django 5.2 supports 3.31).
CAN_RETURN = connection.vendor != "sqlite" or sqlite3.sqlite_version_info >= (3, 35)

# The types staff and commands may send (enter and leave are the server's own notices).
SERVER_MESSAGE_TYPES = {
    t.label: t.value
    for t in (MessageType.MESSAGE, MessageType.WARNING, MessageType.ALERT, MessageType.MUTED)
}


def is_storable(text: str) -> bool:
    """Whether every database can store `text` as it is: no NUL (PostgreSQL refuses
    it, SQLite keeps it) and no lone surrogate (not encodable as UTF-8)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def clean_text(text: str, *, allow_empty: bool = False) -> str:
    """The text to store, or a ChatError: empty and over-long messages are refused (an
    empty text is allowed, `allow_empty`, beside attachments)."""
    if len(text) > settings.CHAT_MAX_MESSAGE_LENGTH:
        raise ChatError(MESSAGE_TOO_LONG)
    if not is_storable(text):
        raise ChatError(BAD_REQUEST)
    text = text.strip()
    if not text and not allow_empty:
        raise ChatError(MESSAGE_EMPTY)
    return text


def send_rate(user_id: int) -> tuple[str, int, int]:
    """At most CHAT_MAX_MESSAGES_PER_MINUTE sends per user and minute, across all sockets
    (a batch counts its sends together: group_posting.store_plain)."""
    return f"chat-send:{user_id}", settings.CHAT_MAX_MESSAGES_PER_MINUTE, 60


def check_rate_limit(user_id: int) -> None:
    """Count a send of the user; RATE_LIMITED once over `send_rate`."""
    if not within_rate(*send_rate(user_id)):
        raise ChatError(RATE_LIMITED)


def take_next_seq(room_id: int) -> int:
    """The room's next seq, for a change being made in the current transaction.

    The UPDATE locks the room row (PostgreSQL) or the database (SQLite, BEGIN
    IMMEDIATE), so concurrent changes get consecutive seqs, in commit order.
    """
    if not CAN_RETURN:  # SQLite before 3.35: an UPDATE, then a SELECT
        Room.objects.filter(pk=room_id).update(last_seq=F("last_seq") + 1)
        seq = Room.objects.filter(pk=room_id).values_list("last_seq", flat=True).first()
    else:
        with connection.cursor() as cursor:
            # One statement, not an UPDATE and a SELECT: every change pays for this.
            cursor.execute(
                f"UPDATE {ROOM_TABLE} SET last_seq = last_seq + 1 WHERE id = %s RETURNING last_seq",  # noqa: S608 (the model's own table name)
                [room_id],
            )
            row = cursor.fetchone()
            seq = row[0] if row else None
    if seq is None:  # the room was deleted meanwhile
        raise ChatError(ROOM_INVALID, room_id)
    return seq


def take_change_seq(room_id: int, message_id: int) -> tuple[int, bool]:
    """take_next_seq for a change of a stored message, and whether that message has
    attachments (its HTML shows them, its deletion deletes them), told by the same
    statement: a change of a message without any costs no query more than before."""
    if not CAN_RETURN:  # SQLite before 3.35: a query of its own
        return take_next_seq(room_id), has_attachments(message_id)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ROOM_TABLE} SET last_seq = last_seq + 1 WHERE id = %s"  # noqa: S608 (the models' own table names)
            f" RETURNING last_seq, {has_attachments_sql()}",
            [room_id, message_id],
        )
        row = cursor.fetchone()
    if row is None:  # the room was deleted meanwhile
        raise ChatError(ROOM_INVALID, room_id)
    return row[0], bool(row[1])


def reply_parent(room: Room, number: int | None) -> Message | None:
    """The message a reply answers: one of the same room, not deleted (else MESSAGE_INVALID).
    Read after the room's seq is taken (the lock), so a deletion cannot slip in between
    and leave its text quoted in the reply."""
    if number is None:
        return None
    parent = (
        Message.objects.select_related("author")
        .filter(room=room, number=number, deleted__isnull=True)
        .first()
    )
    if parent is None:
        raise ChatError(MESSAGE_INVALID, room.pk)
    return parent


@dataclass(frozen=True)
class Posted:
    message: Message
    created: bool  # False when a retried client_id found the message already stored


def post_message(
    *,
    room: Room,
    author: AbstractBaseUser | None,
    text: str,
    msg_type: int = MessageType.MESSAGE,
    client_id: str = "",
    rate_limited: bool = False,
    reply_to: int | None = None,
    attachments: Sequence[int] = (),
) -> Posted:
    """Store a message with the room's next seq, or return the one this client_id stored.

    With `rate_limited`, a new message counts against the author's send limit; a retry
    of a stored one is answered first, so it is never refused for the rate. The ids in
    `attachments` must be the author's uploads to this room not sent yet (else
    FILE_INVALID, and nothing is stored): they become part of the message in the same
    transaction, so a retry finds them linked, and links nothing twice.
    """
    if client_id and author is not None:
        # Idempotency keys are per room: the same key in another room is another message.
        existing = Message.objects.filter(room=room, author=author, client_id=client_id).first()
        if existing is not None:
            return Posted(existing, created=False)
    if rate_limited and author is not None:
        check_rate_limit(author.pk)
    try:
        with transaction.atomic():
            seq = take_next_seq(room.pk)
            if attachments and client_id and author is not None:
                # The same send may be under way on another socket (a reconnect, a
                # copied tab): now that the room is locked, one that got in first is
                # found here, before its files would be refused as taken.
                retried = Message.objects.filter(room=room, author=author, client_id=client_id)
                if (existing := retried.first()) is not None:
                    transaction.set_rollback(True)  # the seq is not taken
                    return Posted(existing, created=False)
            parent = reply_parent(room, reply_to)
            files = claim_attachments(author, room, attachments) if attachments else []
            message = Message(
                room=room,
                number=seq,
                seq=seq,
                author=author,
                text=text,
                msg_type=msg_type,
                reply_to=parent,
                client_id=client_id if author is not None else "",
            )
            named = name_members(message, room.kind)
            remember(message, files)  # what its HTML shows
            message.html = render_message(message)
            message.save()
            if files:
                link_attachments(message, files)
            keep_mentions(message, named, replacing=False)
            if parent is not None and not parent.replied:
                # Its edits and its deletion now re-render the replies' quotes.
                Message.objects.filter(pk=parent.pk).update(replied=True)
    except IntegrityError:
        # The same client_id raced in on another socket: that one was stored.
        if client_id and author is not None:
            stored = Message.objects.get(room=room, author=author, client_id=client_id)
            return Posted(stored, created=False)
        raise
    return Posted(message, created=True)


def store_message(
    user: AbstractBaseUser,
    room_id: int,
    text: str,
    client_id: str,
    reply_to: int | None = None,
    attachments: Sequence[int] = (),
) -> tuple[dict[str, Any], bool]:
    """A send on the socket or the API: check the user may still post here, then store.
    `user` is as its caller checked it just now (the socket's login look-up before
    every send, which sees a deactivation or a lost staff flag; the API's token), so
    it is not read again. Returns (message event, newly stored)."""
    room = get_room_for(user, room_id)  # re-checked: a membership or the room may be gone
    text = clean_text(text, allow_empty=bool(attachments))
    check_here(text, room, user)
    posted = post_message(
        room=room,
        author=user,
        text=text,
        client_id=client_id,
        rate_limited=True,
        reply_to=reply_to,
        attachments=attachments,
    )
    return message_event(posted.message), posted.created


def send_room_message(
    *,
    room: Room,
    text: str,
    msg_type: int = MessageType.MESSAGE,
    author: AbstractBaseUser | None = None,
) -> Message:
    """Store a message and broadcast it: the backend path of the staff page, admin and commands.

    Stored first: if the broadcast fails, clients still get it from the history.
    """
    from chatapp.websocket import group_send

    message = post_message(
        room=room, author=author, text=clean_text(text), msg_type=msg_type
    ).message
    try:
        group_send(room_group(room.pk), room_broadcast(message_event(message)))
    except Exception:
        logger.exception("stored %s but could not broadcast it; clients get it on resume", message)
    return message
