"""Reading the record: what a join shows, what a replay or a gap fill sends, and the
older pages behind "Load older messages".

Nothing is lost because every stored message has a per-room seq: whatever a socket
missed is read back here by seq range, a page at a time. Synchronous ORM work: the
consumer calls it through database_sync_to_async.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from accounts.services import active_user

from .access import check_join_rate, get_room_for
from .events import message_event
from .models import Message, Room

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
    check_join_rate(user_id, room_id)
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


def recent_messages(room: Room, limit: int | None = None) -> list[Message]:
    """The latest `limit` messages of a room, oldest first."""
    limit = limit or settings.CHAT_HISTORY_ON_JOIN
    newest = room.messages.select_related("author").order_by("-seq")[:limit]
    return list(reversed(newest))


def messages_before(room: Room, before_seq: int, limit: int = 50) -> list[Message]:
    """The `limit` messages just older than `before_seq`, oldest first ("load older")."""
    older = room.messages.select_related("author").filter(seq__lt=before_seq).order_by("-seq")
    return list(reversed(older[:limit]))
