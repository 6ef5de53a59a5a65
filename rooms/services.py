"""Room and message operations shared by the consumer, views, admin and commands.

Everything here is synchronous ORM work; the consumer calls it through
database_sync_to_async. Rules live here once: who may see a room, what a valid
message is, how seqs are assigned, what a message event looks like.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string

from accounts.services import active_user
from chatapp.ratelimit import within_rate

from .models import Message, MessageType, Room

logger = logging.getLogger(__name__)

User = AbstractBaseUser | AnonymousUser


class ChatError(Exception):
    """A refusal the client is told about as `{"error": code}`."""

    def __init__(self, code: str, room: int | None = None):
        super().__init__(code)
        self.code = code
        self.room = room


# Error codes of the /chat/stream/ protocol (README: "The socket protocol").
USER_HAS_TO_LOGIN = "USER_HAS_TO_LOGIN"
ROOM_INVALID = "ROOM_INVALID"
ROOM_ACCESS_DENIED = "ROOM_ACCESS_DENIED"
BAD_REQUEST = "BAD_REQUEST"
UNKNOWN_COMMAND = "UNKNOWN_COMMAND"
MESSAGE_EMPTY = "MESSAGE_EMPTY"
MESSAGE_TOO_LONG = "MESSAGE_TOO_LONG"
RATE_LIMITED = "RATE_LIMITED"

# The types staff and commands may send (enter and leave are the server's own notices).
SERVER_MESSAGE_TYPES = {
    t.label: t.value
    for t in (MessageType.MESSAGE, MessageType.WARNING, MessageType.ALERT, MessageType.MUTED)
}


def room_group(room_id: int) -> str:
    """The channel-layer group of a room's sockets: named in this one place."""
    return f"room.{room_id}"


def visible_room_ids(user_id: int, room_ids: list[int]) -> set[int]:
    """Which of `room_ids` the user (reloaded now) may still be in."""
    user = active_user(user_id)
    if not user.is_authenticated:
        return set()
    visible = Room.objects.visible_to(user).filter(pk__in=room_ids)
    return set(visible.values_list("pk", flat=True))


def get_room_for(user: User, room_id: int) -> Room:
    """The room, if `user` may be in it. A staff-only room is denied, never described."""
    if not user.is_authenticated:
        raise ChatError(USER_HAS_TO_LOGIN)
    room = Room.objects.filter(pk=room_id).first()
    if room is None:
        raise ChatError(ROOM_INVALID, room_id)
    if not room.is_visible_to(user):
        raise ChatError(ROOM_ACCESS_DENIED, room_id)
    return room


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


def clean_text(text: str) -> str:
    """The text to store, or a ChatError: empty and over-long messages are refused."""
    if len(text) > settings.CHAT_MAX_MESSAGE_LENGTH:
        raise ChatError(MESSAGE_TOO_LONG)
    if not is_storable(text):
        raise ChatError(BAD_REQUEST)
    text = text.strip()
    if not text:
        raise ChatError(MESSAGE_EMPTY)
    return text


def check_rate_limit(user_id: int) -> None:
    """At most CHAT_MAX_MESSAGES_PER_MINUTE sends per user and minute, across all sockets."""
    if not within_rate(f"chat-send:{user_id}", settings.CHAT_MAX_MESSAGES_PER_MINUTE):
        raise ChatError(RATE_LIMITED)


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
) -> Posted:
    """Store a message with the room's next seq, or return the one this client_id stored.

    With `rate_limited`, a new message counts against the author's send limit; a retry
    of a stored one is answered first, so it is never refused for the rate.
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
            # The UPDATE locks the room row (PostgreSQL) or the database (SQLite,
            # BEGIN IMMEDIATE), so concurrent senders get consecutive seqs.
            Room.objects.filter(pk=room.pk).update(last_seq=F("last_seq") + 1)
            seq = Room.objects.filter(pk=room.pk).values_list("last_seq", flat=True).get()
            message = Message.objects.create(
                room=room,
                seq=seq,
                author=author,
                text=text,
                msg_type=msg_type,
                client_id=client_id if author is not None else "",
            )
    except IntegrityError:
        # The same client_id raced in on another socket: that one was stored.
        if client_id and author is not None:
            stored = Message.objects.get(room=room, author=author, client_id=client_id)
            return Posted(stored, created=False)
        raise
    return Posted(message, created=True)


def recent_messages(room: Room, limit: int | None = None) -> list[Message]:
    """The latest `limit` messages of a room, oldest first."""
    limit = limit or settings.CHAT_HISTORY_ON_JOIN
    newest = room.messages.select_related("author").order_by("-seq")[:limit]
    return list(reversed(newest))


def messages_before(room: Room, before_seq: int, limit: int = 50) -> list[Message]:
    """The `limit` messages just older than `before_seq`, oldest first ("load older")."""
    older = room.messages.select_related("author").filter(seq__lt=before_seq).order_by("-seq")
    return list(reversed(older[:limit]))


# Events sent to clients -----------------------------------------------------------


def message_event(message: Message) -> dict[str, Any]:
    """The client event of a stored message, its HTML rendered once for every recipient."""
    username = message.author.get_username() if message.author else None
    return {
        "room": message.room_id,
        "message": message.text,
        "username": username,
        "msg_type": message.msg_type,
        "seq": message.seq,
        "created": message.created.isoformat(),
        "html": render_to_string(
            "rooms/message.html",
            {
                "text": message.text,
                "username": username,
                "kind": MessageType(message.msg_type).label,
                "seq": message.seq,
                "created": message.created,
            },
        ),
    }


def notice_event(room_id: int, username: str, msg_type: int) -> dict[str, Any]:
    """The live-only "entered" / "left" notice of a user."""
    return {
        "room": room_id,
        "message": None,
        "username": username,
        "msg_type": msg_type,
        "html": render_to_string(
            "rooms/message.html",
            {"username": username, "kind": MessageType(msg_type).label, "text": None},
        ),
    }


def encode(event: dict[str, Any]) -> str:
    """A client frame as JSON text. Not ASCII-escaped: an emoji is 4 bytes of UTF-8 on
    the wire, not 12 of `\\ud83d\\ude00` (stored text is valid UTF-8 by construction)."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


def room_broadcast(event: dict[str, Any]) -> dict[str, Any]:
    """The layer event that carries a client event to a room's sockets, encoded once."""
    return {
        "type": "chat.event",
        "room": event["room"],
        "seq": event.get("seq"),
        "text": encode(event),
    }


def send_room_message(
    *, room: Room, text: str, msg_type: int = MessageType.MESSAGE, author=None
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
