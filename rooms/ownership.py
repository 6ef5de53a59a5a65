"""Rooms users make and run: creating one, inviting, removing, renaming, archiving and
leaving. One set of rules for the pages, the admin and any later API.

Who runs a room: its owners, and staff (superusers every room, as in the admin). Each
service checks before it changes anything and refuses with a ChatError: a user who may
not see the room is answered as about a room that does not exist (a private room is
never confirmed), one who sees it but does not run it gets PERMISSION_DENIED. Direct
rooms have no owners: nobody runs them, their members can only leave (rooms.direct).
Synchronous ORM work.
"""

from __future__ import annotations

import secrets
import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from .access import User, refusal_for, role_in
from .errors import (
    BAD_REQUEST,
    PERMISSION_DENIED,
    ROOM_TITLE_TAKEN,
    USER_HAS_TO_LOGIN,
    USER_INVALID,
    ChatError,
)
from .models import MemberRole, Membership, Room, RoomKind, may_see_room, sees_staff_rooms

TITLE_MAX_LENGTH = Room._meta.get_field("title").max_length
DESCRIPTION_MAX_LENGTH = Room._meta.get_field("description").max_length
SLUG_MAX_LENGTH = Room._meta.get_field("slug").max_length
# Direct rooms' titles (never shown) start so, and no other room's may: the admin and
# the logs tell them apart by their title alone.
DIRECT_TITLE_PREFIX = "direct-"
CREATABLE_KINDS = (RoomKind.PUBLIC, RoomKind.PRIVATE)
# Direction overrides and isolates would let a title show as another one.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


# Who -------------------------------------------------------------------------------------


def may_create_rooms(user: User) -> bool:
    """Whether the site offers `user` to make rooms (staff always may)."""
    return bool(settings.CHAT_USERS_CAN_CREATE_ROOMS) or sees_staff_rooms(user)


def runs(user: User, room: Room, role: str | None) -> bool:
    """Whether `user`, with `role` in the room, may rename, invite, remove and archive."""
    if room.kind == RoomKind.DIRECT:
        return False
    return role == MemberRole.OWNER or sees_staff_rooms(user) or user.is_superuser


def user_named(username: str, *, active_only: bool = True) -> AbstractBaseUser | None:
    """The user of that name, compared as sign-up compares names (NFKC, any case; an
    `@` in front, as in a mention, is allowed), or None."""
    name = unicodedata.normalize("NFKC", username.strip())
    model = get_user_model()
    for candidate in dict.fromkeys([name, name.removeprefix("@")]):
        if not candidate:
            continue
        users = model.objects.filter(**{f"{model.USERNAME_FIELD}__iexact": candidate})
        if active_only:
            users = users.filter(is_active=True)
        found = list(users[:2])
        exact = [user for user in found if user.get_username() == candidate]
        if exact or len(found) == 1:
            return (exact or found)[0]
    return None


def _check_logged_in(user: User) -> None:
    if not user.is_authenticated or not user.is_active:
        raise ChatError(USER_HAS_TO_LOGIN)


def _role_if_seen(user: User, room: Room) -> str | None:
    """The user's role, after refusing a user who may not see the room as for a room
    that does not exist (or, for a public staff-only room, as denied)."""
    _check_logged_in(user)
    role = role_in(user.pk, room)
    seen = user.is_superuser or may_see_room(
        user,
        staff_only=room.staff_only,
        kind=room.kind,
        is_member=role is not None,
        archived=room.archived is not None,
    )
    if not seen:
        raise ChatError(refusal_for(room.kind, room.archived), room.pk)
    return role


def _check_runs(actor: User, room: Room) -> str | None:
    role = _role_if_seen(actor, room)
    if not runs(actor, room, role):
        raise ChatError(PERMISSION_DENIED, room.pk)
    return role


# Names -----------------------------------------------------------------------------------


def clean_title(title: str, room_id: int | None = None) -> str:
    """The title as stored (spaces collapsed), if it is a usable name no other room has."""
    title = " ".join(title.split())
    if not title or len(title) > TITLE_MAX_LENGTH or any(map(_unfit, title)):
        raise ChatError(BAD_REQUEST, room_id)
    if title.casefold().startswith(DIRECT_TITLE_PREFIX):
        raise ChatError(ROOM_TITLE_TAKEN, room_id)
    # Case-insensitive: "General" and "general" side by side would confuse everyone.
    if Room.objects.filter(title__iexact=title).exclude(pk=room_id).exists():
        raise ChatError(ROOM_TITLE_TAKEN, room_id)
    return title


def _unfit(char: str) -> bool:
    """Control, surrogate and private-use characters, and direction controls (the
    joiners and variation selectors of emoji stay allowed)."""
    return unicodedata.category(char) in ("Cc", "Cs", "Co") or char in BIDI_CONTROLS


def clean_description(description: str, room_id: int | None = None) -> str:
    description = description.strip()
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise ChatError(BAD_REQUEST, room_id)
    return description


def free_slug(title: str) -> str:
    """A slug for a new room: its title's, or with a random tail if another has that one
    ("My room" and "My-room" are two titles but one slug)."""
    base = slugify(title)[: SLUG_MAX_LENGTH - 7] or "room"
    if not Room.objects.filter(slug=base).exists():
        return base
    return f"{base}-{secrets.token_hex(3)}"


# Services --------------------------------------------------------------------------------


def create_room(user: User, title: str, description: str = "", kind: str = RoomKind.PUBLIC) -> Room:
    """A new public or private room, with `user` as its owner."""
    _check_logged_in(user)
    if not may_create_rooms(user):
        raise ChatError(PERMISSION_DENIED)
    if kind not in CREATABLE_KINDS:
        raise ChatError(BAD_REQUEST)
    title, description = clean_title(title), clean_description(description)
    try:
        with transaction.atomic():
            room = Room.objects.create(
                title=title, slug=free_slug(title), description=description, kind=kind
            )
            Membership.objects.create(room=room, user=user, role=MemberRole.OWNER)
    except IntegrityError:
        # Another request took the title (or its slug) since it was checked.
        raise ChatError(ROOM_TITLE_TAKEN) from None
    return room


def invite(actor: User, room: Room, username: str) -> Membership:
    """Makes the user of that name a member, reading from now on (inviting a member
    again changes nothing). Not into direct rooms: their people are fixed."""
    _check_runs(actor, room)
    invitee = user_named(username)
    # A non-staff member of a staff-only room would not see it: refused like a nobody.
    if invitee is None or (room.staff_only and not sees_staff_rooms(invitee)):
        raise ChatError(USER_INVALID, room.pk)
    last_seq = Room.objects.values_list("last_seq", flat=True).get(pk=room.pk)
    membership, _ = Membership.objects.get_or_create(
        room=room, user=invitee, defaults={"read_seq": last_seq}
    )
    return membership


def remove_member(actor: User, room: Room, username: str) -> None:
    """Ends another member's membership (their open sockets drop a private room at once:
    rooms.signals). Owners remove members; removing an owner takes staff."""
    _check_runs(actor, room)
    target = user_named(username, active_only=False)
    if target is not None and target.pk == actor.pk:
        raise ChatError(BAD_REQUEST, room.pk)  # that is leaving, with its hand-over
    membership = Membership.objects.filter(room=room, user=target).first() if target else None
    if membership is None:
        raise ChatError(USER_INVALID, room.pk)
    if membership.role == MemberRole.OWNER and not (actor.is_staff or actor.is_superuser):
        raise ChatError(PERMISSION_DENIED, room.pk)
    membership.delete()


def rename(actor: User, room: Room, title: str, description: str | None = None) -> Room:
    """A new title, and description (None keeps it); open lobbies see it at once."""
    _check_runs(actor, room)
    title = clean_title(title, room.pk)
    if description is not None:
        description = clean_description(description, room.pk)
    before = (room.title, room.description)
    room.title, room.description = title, before[1] if description is None else description
    try:
        with transaction.atomic():
            room.save(update_fields=["title", "description"])
    except IntegrityError:
        room.title, room.description = before
        raise ChatError(ROOM_TITLE_TAKEN, room.pk) from None
    return room


def archive(actor: User, room: Room) -> Room:
    """Takes the room out of the site: lists, pages and every open socket at once
    (rooms.signals). The admin keeps it, and clearing `archived` there brings it back."""
    _check_runs(actor, room)
    if room.archived is None:
        room.archived = timezone.now()
        room.save(update_fields=["archived"])
    return room


def set_muted(user: User, room: Room, muted: bool) -> bool:
    """Mute a room of the user's (it counts their mentions only) or hear it again. False
    if they are no member. Saved (not updated): the user's sockets list their rooms
    anew with it (rooms.signals)."""
    if _role_if_seen(user, room) is None:
        return False
    membership = Membership.objects.get(room=room, user=user)
    if membership.muted != muted:
        membership.muted = muted
        membership.save(update_fields=["muted"])
    return True


def leave_room(user: User, room: Room) -> bool:
    """Ends the user's membership: the explicit "Leave room" (closing a pane is not
    leaving). False if they were no member. The last owner of a private room hands it
    to its longest-standing member, or, if nobody else is in it, it is archived. A
    direct room stays for the others."""
    role = _role_if_seen(user, room)
    if role is None:
        return False
    with transaction.atomic():
        # One leaver at a time per room: two last owners leaving at once must not both
        # think the other stays.
        room = Room.objects.select_for_update().get(pk=room.pk)
        deleted, _ = Membership.objects.filter(room=room, user=user).delete()
        if deleted and role == MemberRole.OWNER and room.kind == RoomKind.PRIVATE:
            _hand_over(room)
    return bool(deleted)


def _hand_over(room: Room) -> None:
    if room.memberships.filter(role=MemberRole.OWNER).exists():
        return
    heir = room.memberships.order_by("joined", "pk").first()
    if heir is not None:
        heir.role = MemberRole.OWNER
        heir.save(update_fields=["role"])
    else:
        room.archived = timezone.now()
        room.save(update_fields=["archived"])
