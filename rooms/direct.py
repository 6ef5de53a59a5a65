"""Direct conversations: 2 to CHAT_DIRECT_MAX_MEMBERS people, the same people always in
the same room (`Room.direct_key`, their ids ascending). Nobody joins one later; a
member who left comes back when one of the others opens the conversation again.

A direct room's title is only there because titles are unique and required: it is never
shown. Each viewer sees the room named after the others in it (`direct_title`).
Synchronous ORM work.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction

from .access import User
from .errors import BAD_REQUEST, USER_HAS_TO_LOGIN, USER_INVALID, ChatError
from .models import Membership, Room, RoomKind
from .ownership import DIRECT_TITLE_PREFIX, user_named
from .user_events import tell_rooms_changed


def direct_key_of(user_ids: Iterable[int]) -> str:
    return ".".join(str(pk) for pk in sorted(set(user_ids)))


def open_direct(user: User, usernames: Iterable[str]) -> Room:
    """The conversation of `user` with the users of these names (made the first time;
    anyone of them who left is a member again)."""
    if not user.is_authenticated or not user.is_active:
        raise ChatError(USER_HAS_TO_LOGIN)
    names = list(dict.fromkeys(name.strip() for name in usernames if name.strip()))
    # Bounded before any look-up: one name per other member at most.
    if not names or len(names) > settings.CHAT_DIRECT_MAX_MEMBERS:
        raise ChatError(BAD_REQUEST)
    member_ids = {user.pk}
    for name in names:
        other = user_named(name)
        if other is None:
            raise ChatError(USER_INVALID)
        member_ids.add(other.pk)
    if not 2 <= len(member_ids) <= settings.CHAT_DIRECT_MAX_MEMBERS:
        raise ChatError(BAD_REQUEST)
    key = direct_key_of(member_ids)
    with transaction.atomic():
        room, made = _room_for(key)
        present = set(room.memberships.values_list("user_id", flat=True))
        # A new room starts unread from its beginning; one who comes back reads from now.
        read_seq = 0 if made else room.last_seq
        joining = member_ids - present
        Membership.objects.bulk_create(
            [Membership(room=room, user_id=pk, read_seq=read_seq) for pk in joining],
            ignore_conflicts=True,
        )
        tell_rooms_changed(sorted(joining))  # bulk_create sends no post_save
    return room


def _room_for(key: str) -> tuple[Room, bool]:
    """The open room of these people, or a new one (and whether it is new)."""
    room = Room.objects.filter(direct_key=key).first()
    if room is not None and room.archived is None:
        return room, False
    if room is not None:
        # Archived: it stays the admin's record, and the same people start afresh.
        Room.objects.filter(pk=room.pk).update(direct_key=None)
    # Random, not a hash of the key: an archived conversation of the same people keeps
    # its title, and the new one needs another.
    title = DIRECT_TITLE_PREFIX + secrets.token_hex(8)
    try:
        with transaction.atomic():
            made = Room.objects.create(
                title=title, slug=title, kind=RoomKind.DIRECT, direct_key=key
            )
            return made, True
    except IntegrityError:
        # Another of them opened it at the same moment: theirs is the room.
        return Room.objects.get(direct_key=key), False


def direct_titles(rooms: Iterable[Room], viewer: User) -> dict[int, str]:
    """{room id: its name for `viewer`} for the direct rooms among `rooms`, in two
    queries: the other people of the conversation, as its key has them (one who left
    is still named: it is still the conversation with them), or the viewer's own name
    for a room that has no key any more (archived)."""
    ids = [room.pk for room in rooms if room.kind == RoomKind.DIRECT]
    if not ids:
        return {}
    keys = Room.objects.filter(pk__in=ids).values_list("pk", "direct_key")
    people = {pk: [int(part) for part in key.split(".")] for pk, key in keys if key}
    wanted = {pk for ids_ in people.values() for pk in ids_ if pk != viewer.pk}
    model = get_user_model()
    names = dict(model.objects.filter(pk__in=wanted).values_list("pk", model.USERNAME_FIELD))
    titles = {}
    for pk in ids:
        others = sorted(names[user] for user in people.get(pk, ()) if user in names)
        titles[pk] = ", ".join(others) or viewer.get_username()
    return titles


def direct_title(room: Room, viewer: User) -> str:
    """The name `viewer` sees for a direct room."""
    return direct_titles([room], viewer)[room.pk]


def shown_title(room: Room, viewer: User) -> str:
    """A room's name as `viewer` sees it: a direct room is named after the others."""
    return direct_title(room, viewer) if room.kind == RoomKind.DIRECT else room.title


def with_shown_titles(rooms: Iterable[Room], viewer: User) -> list[Room]:
    """The rooms, each with `shown_title` set, sorted by it (as a lobby lists them)."""
    rooms = list(rooms)
    titles = direct_titles(rooms, viewer)
    for room in rooms:
        room.shown_title = titles.get(room.pk, room.title)  # type: ignore[attr-defined]
    return sorted(rooms, key=lambda room: room.shown_title.casefold())  # type: ignore[attr-defined]
