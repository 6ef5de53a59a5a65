"""Where a user has read up to in a room, the same on every device.

`Membership.read_seq` moves forward only; what is unread is counted from it: messages
by others (server notices too), not deleted, created after it. Synchronous ORM work:
the consumer calls it through database_sync_to_async.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.services import active_user

from .access import get_room_for
from .errors import ROOM_ACCESS_DENIED, ChatError
from .models import Membership, Message, Room


@dataclass(frozen=True)
class ReadPosition:
    room_id: int
    read_seq: int
    unread: int
    moved: bool  # False: it was there (or further) already


def mark_read(user_id: int, room_id: int, seq: int) -> ReadPosition:
    """Move the user's read position in the room up to `seq` (at most the room's seq)."""
    user = active_user(user_id)
    room = get_room_for(user, room_id)
    seq = min(seq, room.last_seq)
    moved = Membership.objects.filter(room=room, user=user, read_seq__lt=seq).update(read_seq=seq)
    read_seq = Membership.objects.filter(room=room, user=user).values_list("read_seq", flat=True)
    if not read_seq:
        raise ChatError(ROOM_ACCESS_DENIED, room_id)  # not a member: open the room first
    return ReadPosition(room.pk, read_seq[0], unread_count(room, user.pk, read_seq[0]), moved > 0)


def unread_count(room: Room, user_id: int, read_seq: int) -> int:
    """Messages by others (server notices too), not deleted, created after `read_seq`."""
    after = Message.objects.filter(room=room, number__gt=read_seq, deleted__isnull=True)
    return after.exclude(author_id=user_id).count()
