"""The database work of the chat socket: one function per command, one thread hop each."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from accounts.services import active_user
from chatapp.ratelimit import within_rate

from .models import Message
from .services import (
    RATE_LIMITED,
    ChatError,
    clean_text,
    get_room_for,
    message_event,
    post_message,
)

# A replay is read and sent this many messages at a time, so that a long one holds
# a page in memory, not the whole replay, and the client's pace sets how fast it goes.
REPLAY_PAGE = 50


@dataclass
class Joined:
    title: str
    history: list[dict[str, Any]]  # the first page of message events, oldest first
    until: int  # the replay goes on, a page at a time, up to this seq (0: nothing)
    resync: bool  # more was missed than CHAT_RESUME_LIMIT: the client reloads the room
    last_seq: int  # the room's newest seq when the history was read
    username: str


def join_room(user_id: int, room_id: int, since: int | None) -> Joined:
    """Check access and read the first page of what the client should see: the latest
    CHAT_HISTORY_ON_JOIN messages, or everything after `since` (at most
    CHAT_RESUME_LIMIT, the newest); the rest follows with `missed_messages`."""
    user = active_user(user_id)
    if not within_rate(f"chat-join:{user_id}", settings.CHAT_MAX_JOINS_PER_MINUTE):
        raise ChatError(RATE_LIMITED, room_id)
    room = get_room_for(user, room_id)
    limit = settings.CHAT_HISTORY_ON_JOIN if since is None else settings.CHAT_RESUME_LIMIT
    after = since or 0
    # Seqs only: which messages the replay covers, without loading them.
    newest = list(
        room.messages.filter(seq__gt=after)
        .order_by("-seq")
        .values_list("seq", flat=True)[: limit + 1]
    )
    resync = since is not None and len(newest) > limit
    covered = newest[:limit]
    first_page = []
    if covered:
        first_page = missed_messages(room.pk, covered[-1] - 1, covered[0] + 1, REPLAY_PAGE)
    return Joined(
        title=room.title,
        history=first_page,
        until=covered[0] if covered else 0,
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
    user = active_user(user_id)
    room = get_room_for(user, room_id)  # re-checked: staff may have lost the flag
    text = clean_text(text)
    posted = post_message(room=room, author=user, text=text, client_id=client_id, rate_limited=True)
    return message_event(posted.message), posted.created
