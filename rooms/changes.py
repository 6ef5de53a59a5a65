"""Changing stored messages: edits, deletions and reactions, each the room's next seq.

A change takes the room's next seq in the same transaction as the change itself, so a
live client still sees consecutive seqs and a resume gets every changed message once,
as it is now. A change that came with a client_id is logged (MessageChange), so a
retried command finds it and changes nothing twice; every deletion is logged too (the
moderation log). One set of rules for the socket and the admin. Synchronous ORM work:
the consumer calls it through database_sync_to_async.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import emoji as emoji_data
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch, prefetch_related_objects
from django.utils import timezone

from accounts.services import active_user

from .access import get_room_for
from .errors import BAD_REQUEST, MESSAGE_INVALID, PERMISSION_DENIED, ChatError
from .events import message_event, render_message
from .models import ChangeKind, Message, MessageChange, Reaction, Room, sees_staff_rooms
from .posting import check_rate_limit, clean_text, take_next_seq

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Changed:
    seq: int  # what the change is acknowledged with
    event: dict[str, Any] | None  # what every socket in the room gets; None: nothing new


def is_moderator(user: AbstractBaseUser) -> bool:
    """Who may delete anyone's message in the rooms they can see."""
    return sees_staff_rooms(user) or user.has_perm("rooms.moderate_room")


def is_one_emoji(value: Any) -> bool:
    """One emoji (one grapheme: skin tones, ZWJ families and flags included)."""
    return isinstance(value, str) and len(value) <= 64 and emoji_data.is_emoji(value)


def _previous(
    room: Room, actor: AbstractBaseUser, client_id: str, kind: str, number: int
) -> Changed | None:
    """The change this client_id already made, answered again without changing anything.
    A client_id of another command (another kind, another message) is BAD_REQUEST."""
    if not client_id:
        return None
    done = (
        MessageChange.objects.filter(room=room, actor=actor, client_id=client_id)
        .select_related("message")
        .first()
    )
    if done is None:
        return None
    if done.kind != kind or done.message.number != number:
        raise ChatError(BAD_REQUEST, room.pk)
    return Changed(done.seq, None)


def _live_message(room: Room, number: int, **flags: Exists) -> Message:
    """The message, not deleted, with what rendering it needs in one query (its author,
    whether it has replies and reactions, and any `flags`)."""
    try:
        # get(), not first(): no ORDER BY to build and run for a unique key.
        return (
            Message.objects.select_related("author")
            .annotate(
                has_replies=Exists(Message.objects.filter(reply_to=OuterRef("pk"))),
                has_reactions=Exists(Reaction.objects.filter(message=OuterRef("pk"))),
                **flags,
            )
            .get(room=room, number=number, deleted__isnull=True)
        )
    except Message.DoesNotExist:
        raise ChatError(MESSAGE_INVALID, room.pk) from None


def _load_reactions(message: Message, *, known_empty: bool = False) -> None:
    """Read the message's reactions once for both its HTML and its event."""
    if known_empty:
        message._prefetched_objects_cache = {"reactions": Reaction.objects.none()}
        return
    message._prefetched_objects_cache = {}
    prefetch_related_objects(
        [message], Prefetch("reactions", queryset=Reaction.objects.select_related("user"))
    )


def _record(
    message: Message, seq: int, kind: str, actor: AbstractBaseUser | None, client_id: str
) -> None:
    """Give the message the seq its change took, store it re-rendered, and log the change
    if the log is needed: a deletion (the moderation log) or a client_id (a retry finds
    it). Runs inside the caller's transaction (which also made the change itself)."""
    message.seq = seq
    message.html = "" if message.deleted else render_message(message)
    message.save(update_fields=["seq", "html", "text", "edited", "deleted"])
    if client_id or kind == ChangeKind.DELETE:
        MessageChange.objects.create(
            room_id=message.room_id,
            seq=message.seq,
            message=message,
            kind=kind,
            actor=actor,
            client_id=client_id,
        )
    if message.has_replies and kind != ChangeKind.REACT:  # a reaction is not quoted
        _rerender_replies(message)


def _rerender_replies(message: Message) -> None:
    """Replies quote their parent in their stored HTML: keep the quote true (an edit
    changes it, a deletion wipes it). Not a change of the replies: no seq."""
    for reply in message.replies.select_related("author", "reply_to__author"):
        if reply.deleted is None:
            Message.objects.filter(pk=reply.pk).update(html=render_message(reply))


def _changing(
    run: Any, room: Room, actor: AbstractBaseUser, client_id: str, kind: str, number: int
) -> Changed:
    """Run a change in one transaction that first takes the room's next seq: that locks
    the room (its row on PostgreSQL, the database on SQLite), so the message is read
    after every earlier change committed and no two changes of a room interleave. A
    refusal or a change that changes nothing rolls the seq back. A client_id that raced
    in on another socket is caught by the change log's unique key."""
    try:
        with transaction.atomic():
            changed = run(take_next_seq(room.pk))
            if changed.event is None:
                transaction.set_rollback(True)  # nothing changed: the seq is not taken
            return changed
    except IntegrityError:
        retried = _previous(room, actor, client_id, kind, number)
        if retried is None:
            raise
        return retried


def edit_message(user_id: int, room_id: int, number: int, text: str, client_id: str) -> Changed:
    """The author changes the text of a message of theirs (within CHAT_EDIT_WINDOW_SECONDS)."""
    user = active_user(user_id)
    room = get_room_for(user, room_id)
    if (done := _previous(room, user, client_id, ChangeKind.EDIT, number)) is not None:
        return done
    text = clean_text(text)
    check_rate_limit(user_id)

    def run(seq: int) -> Changed:
        message = _live_message(room, number)
        if message.author_id != user.pk:
            raise ChatError(PERMISSION_DENIED, room.pk)
        window = settings.CHAT_EDIT_WINDOW_SECONDS
        if window > 0 and timezone.now() - message.created > timedelta(seconds=window):
            raise ChatError(PERMISSION_DENIED, room.pk)
        message.text = text
        message.edited = timezone.now()
        _load_reactions(message, known_empty=not message.has_reactions)
        _record(message, seq, ChangeKind.EDIT, user, client_id)
        return Changed(message.seq, message_event(message))

    return _changing(run, room, user, client_id, ChangeKind.EDIT, number)


def delete_message(
    actor: AbstractBaseUser, room: Room, number: int, client_id: str = ""
) -> Changed:
    """The author, or a moderator, deletes a message: it becomes a tombstone (text, HTML and
    reactions wiped at once). Shared by the socket and the admin."""
    if (done := _previous(room, actor, client_id, ChangeKind.DELETE, number)) is not None:
        return done

    def run(seq: int) -> Changed:
        message = _live_message(room, number)
        if message.author_id != actor.pk and not is_moderator(actor):
            raise ChatError(PERMISSION_DENIED, room.pk)
        message.text = ""
        message.deleted = timezone.now()
        if message.has_reactions:
            message.reactions.all().delete()
        _record(message, seq, ChangeKind.DELETE, actor, client_id)
        return Changed(message.seq, message_event(message))

    return _changing(run, room, actor, client_id, ChangeKind.DELETE, number)


def delete_on_socket(user_id: int, room_id: int, number: int, client_id: str) -> Changed:
    user = active_user(user_id)
    room = get_room_for(user, room_id)
    if (done := _previous(room, user, client_id, ChangeKind.DELETE, number)) is not None:
        return done  # a retry is answered, never refused for the rate
    check_rate_limit(user_id)
    return delete_message(user, room, number, client_id)


def react(user_id: int, room_id: int, number: int, emoji: Any, on: Any, client_id: str) -> Changed:
    """Add (`on`) or remove the user's reaction `emoji` to a message. Asking for the state
    the reaction is already in changes nothing (acknowledged with the message's seq)."""
    if not is_one_emoji(emoji) or not isinstance(on, bool):
        raise ChatError(BAD_REQUEST, room_id)
    user = active_user(user_id)
    room = get_room_for(user, room_id)
    if (done := _previous(room, user, client_id, ChangeKind.REACT, number)) is not None:
        return done
    check_rate_limit(user_id)

    def run(seq: int) -> Changed:
        mine = Reaction.objects.filter(message=OuterRef("pk"), user=user, emoji=emoji)
        message = _live_message(room, number, given=Exists(mine))
        if on == message.given:
            return Changed(message.seq, None)
        if on:
            Reaction.objects.create(message=message, user=user, emoji=emoji)
        else:
            Reaction.objects.filter(message=message, user=user, emoji=emoji).delete()
        _load_reactions(message)
        _record(message, seq, ChangeKind.REACT, user, client_id)
        return Changed(message.seq, message_event(message))

    return _changing(run, room, user, client_id, ChangeKind.REACT, number)


def delete_and_broadcast(actor: AbstractBaseUser, message: Message) -> bool:
    """A deletion from the backend (the admin): stored, then broadcast to open pages.
    False if the message was already deleted."""
    from chatapp.websocket import group_send

    from .events import room_broadcast, room_group

    try:
        changed = delete_message(actor, message.room, message.number)
    except ChatError:
        return False
    if changed.event is not None:
        event = room_broadcast(changed.event)

        def broadcast() -> None:
            try:
                group_send(room_group(message.room_id), event)
            except Exception:
                logger.exception("deleted %s but could not broadcast it; clients resume", message)

        # After the commit: the admin deletes inside a transaction of its own, and a seq
        # broadcast before a rollback would be handed out again and skipped by clients.
        transaction.on_commit(broadcast)
    return True
