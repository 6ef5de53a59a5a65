"""The database work of the chat socket: one function per command, one thread hop each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from chatapp.websocket.permissions import fresh_user
from chatapp.websocket.security import within_rate

from .models import Message
from .services import (
    RATE_LIMITED,
    ChatError,
    clean_text,
    get_room_for,
    message_event,
    post_message,
    recent_messages,
)


@dataclass
class Joined:
    title: str
    history: list[dict[str, Any]]  # message events, oldest first
    resync: bool  # more was missed than CHAT_RESUME_LIMIT: the client reloads the room
    last_seq: int  # the room's newest seq when the history was read
    username: str


def join_room(user_id: int, room_id: int, since: int | None) -> Joined:
    """Check access and read what the client should see: the latest page, or all after `since`."""
    user = fresh_user(user_id)
    if not within_rate(f"chat-join:{user_id}", settings.CHAT_MAX_JOINS_PER_MINUTE):
        raise ChatError(RATE_LIMITED, room_id)
    room = get_room_for(user, room_id)
    resync = False
    if since is None:
        messages = recent_messages(room)
    else:
        limit = settings.CHAT_RESUME_LIMIT
        newest = list(
            room.messages.select_related("author")
            .filter(seq__gt=since)
            .order_by("-seq")[: limit + 1]
        )
        resync = len(newest) > limit
        messages = list(reversed(newest[:limit]))
    return Joined(
        title=room.title,
        history=[message_event(m) for m in messages],
        resync=resync,
        last_seq=room.last_seq,
        username=user.get_username(),
    )


def missed_messages(
    room_id: int, after: int, before: int, limit: int | None = None
) -> list[dict[str, Any]]:
    """The stored messages with after < seq < before, in order (a gap in live delivery);
    at most `limit` of them."""
    missed = (
        Message.objects.select_related("author")
        .filter(room_id=room_id, seq__gt=after, seq__lt=before)
        .order_by("seq")[:limit]
    )
    return [message_event(m) for m in missed]


def store_message(user_id: int, room_id: int, text: str, client_id: str) -> tuple[dict, bool]:
    """Check the user may still post here, then store. Returns (event, newly stored)."""
    user = fresh_user(user_id)
    room = get_room_for(user, room_id)  # re-checked: staff may have lost the flag
    text = clean_text(text)
    posted = post_message(room=room, author=user, text=text, client_id=client_id, rate_limited=True)
    return message_event(posted.message), posted.created
