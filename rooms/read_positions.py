"""Where a user has read up to in a room, the same on every device.

`Membership.read_seq` moves forward only; what is unread is counted from it
(rooms/unread.py). Synchronous ORM work: the consumer runs it with the room's other
changes of the moment (rooms/room_commit.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.services import active_user

from .access import get_room_for
from .errors import ROOM_ACCESS_DENIED, ChatError
from .models import Membership
from .unread import RoomCounts, room_counts


@dataclass(frozen=True)
class ReadPosition:
    counts: RoomCounts  # the room's counts with the position as it is now
    moved: bool  # False: it was there (or further) already


def mark_read(user_id: int, room_id: int, seq: int) -> ReadPosition:
    """Move the user's read position in the room up to `seq` (at most the room's seq)."""
    user = active_user(user_id)
    room = get_room_for(user, room_id)
    seq = min(seq, room.last_seq)
    moved = Membership.objects.filter(room=room, user=user, read_seq__lt=seq).update(read_seq=seq)
    counts = room_counts(user, [room.pk])
    if not counts:
        raise ChatError(ROOM_ACCESS_DENIED, room_id)  # not a member: open the room first
    return ReadPosition(counts[0], moved > 0)
