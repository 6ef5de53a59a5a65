"""The rooms app's models, by concept: rooms and memberships (`rooms.py`), messages and
their changes (`messages.py`).

Import them from here (`from rooms.models import Room`): migration 0001 names
`rooms.models.message_type_choices` too.
"""

# messages.py imports rooms.py first, so the models register with the app in the order
# they always had (Room, Membership, then Message…).
from .messages import (
    ChangeKind,
    Mention,
    Message,
    MessageChange,
    MessageType,
    ModerationLogEntry,
    Reaction,
    message_type_choices,
)
from .rooms import (
    MAX_ID,
    RESERVED_SLUGS,
    MemberRole,
    Membership,
    Room,
    RoomKind,
    RoomQuerySet,
    has_own_address,
    may_see_room,
    sees_staff_rooms,
)

__all__ = [
    "MAX_ID",
    "RESERVED_SLUGS",
    "ChangeKind",
    "MemberRole",
    "Membership",
    "Mention",
    "Message",
    "MessageChange",
    "MessageType",
    "ModerationLogEntry",
    "Reaction",
    "Room",
    "RoomKind",
    "RoomQuerySet",
    "has_own_address",
    "may_see_room",
    "message_type_choices",
    "sees_staff_rooms",
]
