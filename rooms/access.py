"""Who may be in which room, and how often a user may open one.

One rule for the socket, the pages and the staff tools. A staff-only room is
refused to others exactly like a denied one, so that it is never described.
Synchronous ORM work: the consumer calls it through database_sync_to_async.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from accounts.services import active_user
from chatapp.ratelimit import within_rate

from .errors import RATE_LIMITED, ROOM_ACCESS_DENIED, ROOM_INVALID, USER_HAS_TO_LOGIN, ChatError
from .models import MemberRole, Membership, Room, RoomKind, sees_staff_rooms
from .user_events import tell_rooms_changed

User = AbstractBaseUser | AnonymousUser


def get_room_for(user: User, room_id: int) -> Room:
    """The room, if `user` may be in it. A staff-only room is denied, never described;
    a private or direct room the user is not in is answered as one that does not exist."""
    if not user.is_authenticated:
        raise ChatError(USER_HAS_TO_LOGIN)
    try:
        room = Room.objects.get(pk=room_id)  # not first(): no ORDER BY for a primary key
    except Room.DoesNotExist:
        raise ChatError(ROOM_INVALID, room_id) from None
    if not room.is_visible_to(user):
        raise ChatError(refusal_for(room.kind, room.archived), room_id)
    return room


def refusal_for(kind: str, archived: object = None) -> str:
    """What a user who may not see a room of this kind is told: an archived room, like
    a private one, is answered as one that does not exist (it does not, on the site)."""
    return ROOM_ACCESS_DENIED if kind == RoomKind.PUBLIC and not archived else ROOM_INVALID


def is_moderator(user: AbstractBaseUser) -> bool:
    """Who may delete anyone's message in the rooms they can see (a room's owners may
    in their room: `moderates`)."""
    return sees_staff_rooms(user) or user.has_perm("rooms.moderate_room")


def moderates(user: AbstractBaseUser, role: str | None) -> bool:
    """Whether `user`, with `role` in a room (None: not a member), may delete anyone's
    message there and use `@here` in a room of any size."""
    return role == MemberRole.OWNER or is_moderator(user)


def role_in(user_id: int, room: Room) -> str | None:
    return (
        Membership.objects.filter(room=room, user_id=user_id).values_list("role", flat=True).first()
    )


def become_member(user_id: int, room: Room) -> None:
    """Opening a public room makes the user a member (once; closing the pane does not
    end it, leaving the room does). Private and direct rooms are joined by invitation."""
    become_members([(user_id, room)])


def become_members(joining: list[tuple[int, Room]]) -> None:
    """become_member for many (user id, room) at once: one read, at most one write."""
    joining = [(user_id, room) for user_id, room in joining if room.kind == RoomKind.PUBLIC]
    if not joining:
        return
    # A read first: most joins are of rooms the user is in already, and a write per join
    # would take SQLite's write lock (and a PostgreSQL sequence value) every time.
    rooms = {room.pk: room for _, room in joining}
    members = set(
        Membership.objects.filter(
            room_id__in=rooms, user_id__in={user_id for user_id, _ in joining}
        ).values_list("user_id", "room_id")
    )
    new = {(user_id, room.pk) for user_id, room in joining} - members
    if not new:
        return
    # Read up to now: the history the page opens with is what it shows them.
    Membership.objects.bulk_create(
        [
            Membership(room_id=room_id, user_id=user_id, read_seq=rooms[room_id].last_seq)
            for user_id, room_id in sorted(new)
        ],
        ignore_conflicts=True,
    )
    # bulk_create sends no post_save (and says nothing of a conflict: a race of two
    # first joins tells the user's sockets twice, which is harmless).
    tell_rooms_changed(sorted({user_id for user_id, _ in new}))


def visible_room_ids(user_id: int, room_ids: list[int]) -> set[int]:
    """Which of `room_ids` the user (reloaded now) may still be in."""
    user = active_user(user_id)
    if not user.is_authenticated:
        return set()
    visible = Room.objects.visible_to(user).filter(pk__in=room_ids)
    return set(visible.values_list("pk", flat=True))


def join_rate(user_id: int) -> tuple[str, int, int]:
    """At most CHAT_MAX_JOINS_PER_MINUTE joins per user and minute, across all sockets:
    every join reads history and tells the room, so joining in a loop must be bounded
    (a batch counts its joins together: group_joining.join_together)."""
    return f"chat-join:{user_id}", settings.CHAT_MAX_JOINS_PER_MINUTE, 60


def check_join_rate(user_id: int, room_id: int) -> None:
    """Count a join of the user; RATE_LIMITED once over `join_rate`."""
    if not within_rate(*join_rate(user_id)):
        raise ChatError(RATE_LIMITED, room_id)
