"""Changing stored messages: edits, deletions and reactions, each the room's next seq.

A change takes the room's next seq in the same transaction as the change itself, so a
live client still sees consecutive seqs and a resume gets every changed message once,
as it is now. The message is read before that transaction and written only if no
other change came in between (its seq is still the one read), else read again under
the room's lock: a change costs the database what a send does, not a read more.

A change that came with a client_id is logged (MessageChange), so a retried command
finds it and changes nothing twice; every deletion is logged too (the moderation log).
One set of rules for the socket and the admin; reactions are in rooms/reactions.py.
Synchronous ORM work: the consumer runs it in a batch of the moment's changes
(rooms/room_commit.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.services import active_user
from attachments.services import drop_attachments, has_attachments
from attachments.shown import note_has_attachments

from .access import get_room_for, moderates, refusal_for
from .change_sql import Target, read_target, store_change
from .errors import (
    BAD_REQUEST,
    MESSAGE_EMPTY,
    MESSAGE_INVALID,
    PERMISSION_DENIED,
    USER_HAS_TO_LOGIN,
    ChatError,
)
from .events import message_event, render_message, room_broadcast
from .mentions import keep_mentions, name_members
from .models import (
    ChangeKind,
    Message,
    MessageChange,
    may_see_room,
)
from .posting import check_rate_limit, clean_text, take_change_seq

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Changed:
    seq: int  # what the change is acknowledged with
    event: dict[str, Any] | None  # what every socket in the room gets; None: nothing new
    # An edit's or deletion's message as it was (its author, whom it named): what the
    # sockets that count unread messages take back (rooms.events.room_broadcast).
    before: tuple[str | None, list[str]] | None = None

    def broadcast(self) -> dict[str, Any] | None:
        """The layer event that carries the change to the room, if it changed anything."""
        return None if self.event is None else room_broadcast(self.event, self.before)


# A change applied to a message read earlier, with the seq it takes: what it changed,
# or None if the message changed since it was read (then it is read again and retried).
Change = Callable[[Message, int], "Changed | None"]


def previous_change(
    room_id: int, actor: AbstractBaseUser, client_id: str, kind: str, number: int
) -> Changed | None:
    """The change this client_id already made, answered again without changing anything.
    A client_id of another command (another kind, another message) is BAD_REQUEST."""
    if not client_id or not actor.is_authenticated:
        return None
    done = (
        MessageChange.objects.filter(room_id=room_id, actor=actor, client_id=client_id)
        .select_related("message")
        .first()
    )
    if done is None:
        return None
    if done.kind != kind or done.message.number != number:
        raise ChatError(BAD_REQUEST, room_id)
    return Changed(done.seq, None)


def target_of(
    actor_id: int | None,
    room_id: int,
    number: int,
    client_id: str,
    kind: str,
    *,
    in_admin: bool = False,
) -> Target | Changed:
    """What a change is about (the acting user, the message, the user's role in its
    room, the room's kind: rooms.change_sql.Target), or the answer to a retry (the
    change this client_id made). In one query (rooms/change_sql.py); the refusals in the
    order the socket has always given them: login, the room (a staff room's messages are
    never described), a retry, then the message (MESSAGE_INVALID if gone or deleted).
    `in_admin`: the Django admin, whose staff moderate every room, members or not."""
    found = read_target(room_id, number, actor_id, client_id)
    if found is None:  # no such message: the room's refusal, or a retry's, comes first
        actor = active_user(actor_id)
        get_room_for(actor, room_id)
        if (done := previous_change(room_id, actor, client_id, kind, number)) is not None:
            return done
        raise ChatError(MESSAGE_INVALID, room_id)
    actor = found.actor
    if not actor.is_authenticated:
        raise ChatError(USER_HAS_TO_LOGIN, room_id)
    visible = may_see_room(
        actor,
        staff_only=found.staff_only,
        kind=found.kind,
        is_member=found.role is not None,
        archived=found.archived,
    )
    if not visible and not in_admin:
        raise ChatError(refusal_for(found.kind, found.archived), room_id)
    if found.done is not None:
        seq, done_kind, done_number = found.done
        if done_kind != kind or done_number != number:
            raise ChatError(BAD_REQUEST, room_id)
        return Changed(seq, None)
    if found.message.deleted is not None:
        raise ChatError(MESSAGE_INVALID, room_id)
    return found


def record_change(
    message: Message, seq: int, kind: str, actor: Any, client_id: str, *fields: str
) -> bool:
    """Store the message's changed `fields` with the seq its change took, re-rendered,
    if no other change came in since it was read (False: then nothing is written). Logs
    the change if the log is needed: a deletion (the moderation log) or a client_id (a
    retry finds it). Runs inside the transaction that took the seq."""
    read_at = message.seq
    message.seq = seq
    message.html = "" if message.deleted else render_message(message)
    if not store_change(message, read_at, fields):
        return False
    if client_id or kind == ChangeKind.DELETE:
        MessageChange.objects.create(
            room_id=message.room_id,
            seq=seq,
            message=message,
            kind=kind,
            actor=actor,
            client_id=client_id,
        )
    if message.replied and kind != ChangeKind.REACT:  # a reaction is not quoted
        _rerender_replies(message)
    return True


def _rerender_replies(message: Message) -> None:
    """Replies quote their parent in their stored HTML: keep the quote true (an edit
    changes it, a deletion wipes it). Not a change of the replies: no seq."""
    for reply in message.replies.select_related("author", "reply_to__author"):
        if reply.deleted is None:
            Message.objects.filter(pk=reply.pk).update(html=render_message(reply))


def changing(change: Change, message: Message, actor: Any, client_id: str, kind: str) -> Changed:
    """Run a change in one transaction that first takes the room's next seq: that locks
    the room (its row on PostgreSQL, the database on SQLite) until it commits, so no two
    changes of a room interleave. If the message changed since it was read, it is read
    again, now under the lock. A refusal or a change that changes nothing rolls the seq
    back. A client_id that raced in on another socket is caught by the log's unique key.
    The seq's statement also tells whether the message has attachments (its HTML shows
    them): a message without any costs no query for them."""
    try:
        with transaction.atomic():
            seq, has_attachments = take_change_seq(message.room_id, message.pk)
            note_has_attachments(message, has_attachments)
            changed = change(message, seq)
            if changed is None:
                found = read_target(message.room_id, message.number, None, "")
                if found is None or found.message.deleted is not None:  # deleted meanwhile
                    raise ChatError(MESSAGE_INVALID, message.room_id)
                note_has_attachments(found.message, has_attachments)
                changed = change(found.message, seq)
                if changed is None:  # cannot be: nothing else changes it under the lock
                    raise RuntimeError(f"{message} changed under its room's lock")
            if changed.event is None:
                transaction.set_rollback(True)  # nothing changed: the seq is not taken
            return changed
    except IntegrityError:
        retried = previous_change(message.room_id, actor, client_id, kind, message.number)
        if retried is None:
            raise
        return retried


def edit_message(user_id: int, room_id: int, number: int, text: str, client_id: str) -> Changed:
    """The author changes the text of a message of theirs (within CHAT_EDIT_WINDOW_SECONDS)."""
    found = target_of(user_id, room_id, number, client_id, ChangeKind.EDIT)
    if isinstance(found, Changed):
        return found  # a retry is answered, never refused for the rate
    user, message, kind = found.actor, found.message, found.kind
    text = clean_text(text, allow_empty=True)
    if not text and not has_attachments(message.pk):  # a message with files may lose its text
        raise ChatError(MESSAGE_EMPTY)
    check_rate_limit(user_id)
    edited = timezone.now()

    def change(message: Message, seq: int) -> Changed | None:
        if message.author_id != user.pk:
            raise ChatError(PERMISSION_DENIED, room_id)
        window = settings.CHAT_EDIT_WINDOW_SECONDS
        if window > 0 and edited - message.created > timedelta(seconds=window):
            raise ChatError(PERMISSION_DENIED, room_id)
        before = (user.get_username(), list(message.mentioned))
        before_text, message.text, message.edited = message.text, text, edited
        named = name_members(message, kind, before=before_text)
        fields = ("text", "edited", "mentioned")
        if not record_change(message, seq, ChangeKind.EDIT, user, client_id, *fields):
            return None
        if named or before[1]:
            keep_mentions(message, named, replacing=True)
        return Changed(seq, message_event(message), before)

    return changing(change, message, user, client_id, ChangeKind.EDIT)


def delete_message(
    actor_id: int,
    room_id: int,
    number: int,
    client_id: str = "",
    *,
    rate_limited: bool = False,
    in_admin: bool = False,
) -> Changed:
    """The author, or a moderator, deletes a message: it becomes a tombstone (text, HTML and
    reactions wiped at once). Shared by the socket (`rate_limited`) and the admin."""
    found = target_of(actor_id, room_id, number, client_id, ChangeKind.DELETE, in_admin=in_admin)
    if isinstance(found, Changed):
        return found
    actor, message, role = found.actor, found.message, found.role
    if rate_limited:
        check_rate_limit(actor_id)
    deleted = timezone.now()

    def change(message: Message, seq: int) -> Changed | None:
        if message.author_id != actor.pk and not moderates(actor, role):
            raise ChatError(PERMISSION_DENIED, room_id)
        author = message.author.get_username() if message.author else None
        before = (author, list(message.mentioned))
        message.text, message.deleted, message.reaction_summary = "", deleted, []
        fields = ("text", "deleted", "reaction_summary")
        if not record_change(message, seq, ChangeKind.DELETE, actor, client_id, *fields):
            return None
        message.reactions.all().delete()  # every row, even one the summary missed
        drop_attachments(message)  # the rows now, their files once this commits
        return Changed(seq, message_event(message), before)

    return changing(change, message, actor, client_id, ChangeKind.DELETE)


def delete_on_socket(user_id: int, room_id: int, number: int, client_id: str) -> Changed:
    return delete_message(user_id, room_id, number, client_id, rate_limited=True)


def delete_and_broadcast(actor: AbstractBaseUser, message: Message) -> bool:
    """A deletion from the backend (the admin): stored, then broadcast to open pages.
    False if the message was already deleted."""
    from chatapp.websocket import group_send

    from .events import room_group

    try:
        changed = delete_message(actor.pk, message.room_id, message.number, in_admin=True)
    except ChatError:
        return False
    event = changed.broadcast()
    if event is not None:

        def broadcast() -> None:
            try:
                group_send(room_group(message.room_id), event)
            except Exception:
                logger.exception("deleted %s but could not broadcast it; clients resume", message)

        # After the commit: the admin deletes inside a transaction of its own, and a seq
        # broadcast before a rollback would be handed out again and skipped by clients.
        transaction.on_commit(broadcast)
    return True
