"""Sends of many sockets stored together: one transaction, and for plain messages a
few statements for the whole batch instead of a few per message.

The consumer hands every change of a room (send, edit, deletion, reaction, join) to
`RoomCommit` (rooms/room_commit.py, the core's GroupCommit): what arrives while a
batch is being stored goes in the next one. A `Send` alone is stored as
before (rooms/posting.py). In a batch, the sends of plain text (no files, no reply,
no `@`: most messages) share their statements: the rooms read at once, retried
client_ids looked up at once, each room's seq moved once by the number of its new
messages, and one INSERT; the rest are stored one by one, each in its savepoint.
Every rule is the same either way: the same checks, the same refusals, the same
events; a test runs both ways.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import Q

from accounts.services import without_cached_permissions
from attachments.shown import remember
from chatapp.ratelimit import within_rates
from chatapp.websocket import run_alone

from .access import refusal_for
from .errors import RATE_LIMITED, ROOM_INVALID, ChatError
from .events import message_event, render_message, room_broadcast
from .models import Message, MessageType, Room
from .posting import ROOM_TABLE, clean_text, send_rate, store_message

# What a change of a room returns to the consumer: its seq, and the layer event to
# broadcast (None when nothing changed: a retried client_id).
Outcome = tuple[int, dict[str, Any] | None]


@dataclass(frozen=True)
class Send:
    """A send on the socket, as RoomCommit runs it: alone, or merged with the batch's."""

    user: AbstractBaseUser  # as the socket's login look-up found it just now
    room_id: int
    text: str
    client_id: str
    reply_to: int | None = None
    attachments: Sequence[int] = ()

    def for_user(self, user: AbstractBaseUser) -> Send:
        """The same, for the user as their login is now (it changed while this waited)."""
        return replace(self, user=user)

    def __call__(self) -> Outcome:
        user = without_cached_permissions(self.user)  # @here asks who moderates
        event, created = store_message(
            user, self.room_id, self.text, self.client_id, self.reply_to, self.attachments
        )
        return event["seq"], room_broadcast(event) if created else None

    @property
    def plain(self) -> bool:
        """Text only, naming nobody: what the merged statements store."""
        return not self.attachments and self.reply_to is None and "@" not in self.text

    @staticmethod
    def run_merged(sends: list[Send]) -> list[Outcome | Exception]:
        """The sends in the order given (by room, then as they came: a socket's sends in
        flight share a batch, and must take their seqs in the order they were sent):
        each run of plain ones together, the others alone between them."""
        outcomes: list[Outcome | Exception | None] = [None] * len(sends)
        plain: list[int] = []
        for index, send in enumerate(sends):
            if send.plain:
                plain.append(index)
                continue
            if plain:
                store_plain([sends[i] for i in plain], plain, outcomes)
                plain = []
            outcomes[index] = run_alone(send)
        if plain:
            store_plain([sends[i] for i in plain], plain, outcomes)
        return outcomes  # type: ignore[return-value]  (every index is set)


def store_plain(sends: list[Send], indexes: list[int], outcomes: list[Any]) -> None:
    """Store plain sends together, each outcome at its index; any that meets something
    unusual (a client_id stored meanwhile by another process) goes alone instead."""
    rooms = Room.objects.in_bulk({send.room_id for send in sends})
    stored = retried_messages(sends)
    new: list[tuple[int, Send, Room, str]] = []
    seen: set[tuple[int, int, str]] = set()
    later: list[tuple[int, Send]] = []  # the same client_id twice (two sockets): the retry
    for index, send in zip(indexes, sends, strict=True):
        key = (send.room_id, send.user.pk, send.client_id)
        if send.client_id and key in seen:
            later.append((index, send))
            continue
        try:
            room = rooms.get(send.room_id)
            if room is None:
                raise ChatError(ROOM_INVALID, send.room_id)
            if not room.is_visible_to(send.user):
                raise ChatError(refusal_for(room.kind, room.archived), send.room_id)
            text = clean_text(send.text)
            if send.client_id and key in stored:
                outcomes[index] = (stored[key].seq, None)  # a retry: acknowledged again
                continue
        except ChatError as error:
            outcomes[index] = error
            continue
        seen.add(key)
        new.append((index, send, room, text))
    # The last check, as for a send alone: the batch's counted in one round trip.
    within = within_rates([send_rate(send.user.pk) for _, send, _, _ in new])
    for (index, _, _, _), ok in zip(new, within, strict=True):
        if not ok:
            outcomes[index] = ChatError(RATE_LIMITED)
    new = [item for item, ok in zip(new, within, strict=True) if ok]
    if new:
        try:
            with transaction.atomic():
                messages = insert_messages(new)
        except IntegrityError:  # a client_id raced in from another process: each alone
            later = [(index, send) for index, send, _, _ in new] + later
        else:
            for (index, send, _, _), message in zip(new, messages, strict=True):
                outcomes[index] = (
                    (message.seq, room_broadcast(message_event(message)))
                    if message is not None
                    else ChatError(ROOM_INVALID, send.room_id)
                )
    for index, send in later:  # after the first is stored: each finds it, a retry
        outcomes[index] = run_alone(send)


def retried_messages(sends: list[Send]) -> dict[tuple[int, int, str], Message]:
    """The messages already stored under these sends' client_ids, in one query."""
    wanted = Q()
    for send in sends:
        if send.client_id:
            wanted |= Q(room_id=send.room_id, author_id=send.user.pk, client_id=send.client_id)
    if not wanted:
        return {}
    return {
        (m.room_id, m.author_id, m.client_id): m
        for m in Message.objects.filter(wanted).only("room_id", "author_id", "client_id", "seq")
    }


def insert_messages(new: list[tuple[int, Send, Room, str]]) -> list[Message | None]:
    """Take each room's seqs for its new messages in one statement, and insert them all
    in one more (None for a send whose room was deleted meanwhile)."""
    last = take_seqs(Counter(room.pk for _, _, room, _ in new))
    first = {room_id: seq - count + 1 for room_id, (seq, count) in last.items()}
    messages: list[Message | None] = []
    for _, send, room, text in new:
        if room.pk not in first:
            messages.append(None)
            continue
        seq = first[room.pk]
        first[room.pk] += 1
        message = Message(
            room=room,
            number=seq,
            seq=seq,
            author=send.user,
            text=text,
            msg_type=MessageType.MESSAGE,
            client_id=send.client_id,
            mentioned=[],
        )
        remember(message, [])  # no files: its HTML and event read none
        message.html = render_message(message)
        messages.append(message)
    Message.objects.bulk_create([m for m in messages if m is not None])
    return messages


def take_seqs(counts: Counter[int]) -> dict[int, tuple[int, int]]:
    """Move each room's seq by its count; room id -> (its new last seq, the count), for
    the rooms that still exist."""
    found: dict[int, tuple[int, int]] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {ROOM_TABLE} AS r SET last_seq = r.last_seq + v.n"  # noqa: S608 (the model's own table name)
                " FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, n)"
                " WHERE r.id = v.id RETURNING r.id, r.last_seq",
                [list(counts), list(counts.values())],
            )
            found = {room_id: (seq, counts[room_id]) for room_id, seq in cursor.fetchall()}
            return found
        for room_id, count in sorted(counts.items()):  # SQLite: one writer, no network
            cursor.execute(
                f"UPDATE {ROOM_TABLE} SET last_seq = last_seq + %s WHERE id = %s",  # noqa: S608
                [count, room_id],
            )
            if cursor.rowcount:
                found[room_id] = (0, count)
        if found:
            ids = list(found)
            for room_id, seq in Room.objects.filter(pk__in=ids).values_list("pk", "last_seq"):
                found[room_id] = (seq, found[room_id][1])
    return found
