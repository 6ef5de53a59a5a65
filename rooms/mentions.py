"""Who a message names: `@username` of a member, and `@here`.

A mention is what the message's HTML highlights (rooms.rendering: an existing user's
`@name`, not in code or links). One of a member of the room is kept twice: as the
message's `mentioned` usernames (what every event shows, so that a page can mark the
messages that name its user) and as Mention rows (what the unread counts read:
rooms/unread.py). Both are written with the message, in its transaction, on every send
and edit. A direct room needs neither: every message there counts as a mention of
every other member.

`@here` names the members who are online: it is never stored as a mention; the sockets
of the room's members raise it as a notification when it arrives live (rooms/watching.py).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser

from .access import is_moderator, moderates, role_in
from .errors import PERMISSION_DENIED, ChatError
from .models import Membership, Mention, Message, Room, RoomKind
from .rendering import mentioned_usernames

# `@here` as a word: not inside an address or a longer name (`@heresy`, `a@here.org`).
HERE_PATTERN = re.compile(r"(?<![\w.@+-])@here(?![\w.@+-]*[\w@+-])", re.IGNORECASE)
HERE = "here"


def says_here(text: str) -> bool:
    return "@" in text and HERE_PATTERN.search(text) is not None


def check_here(text: str, room: Room, user: AbstractBaseUser) -> None:
    """`@here` in a room of more than CHAT_HERE_MAX_MEMBERS members is for its owners
    and moderators only (a room of thousands would be woken by anyone). No query for a
    message without `@here`, nor for a moderator's."""
    if not says_here(text) or is_moderator(user):
        return
    members = Membership.objects.filter(room=room)
    big = members[: settings.CHAT_HERE_MAX_MEMBERS + 1].count() > settings.CHAT_HERE_MAX_MEMBERS
    if big and not moderates(user, role_in(user.pk, room)):
        raise ChatError(PERMISSION_DENIED, room.pk)


def name_members(message: Message, kind: str, before: str | None = None) -> list:
    """Who `message` names among its room's members (not its author), set as its
    `mentioned` usernames before it is saved: the names its HTML highlights
    (rooms.rendering), of members. `before`: the text an edit replaces (no query when
    neither text has an `@`, as most messages do not)."""
    if kind == RoomKind.DIRECT or ("@" not in message.text and "@" not in (before or "")):
        message.mentioned = []
        return []
    names = mentioned_usernames(message.text) - {HERE}
    users = []
    if names:
        user_model = get_user_model()
        users = list(
            user_model.objects.filter(
                **{f"{user_model.USERNAME_FIELD}__in": names},
                room_memberships__room_id=message.room_id,
            )
            .exclude(pk=message.author_id)
            .order_by("pk")
        )
    message.mentioned = [user.get_username() for user in users]
    return users


def keep_mentions(message: Message, users: list, *, replacing: bool) -> None:
    """The Mention rows of a saved message: `users` (from name_members), in place of
    those of its text before an edit (`replacing`)."""
    if replacing:
        Mention.objects.filter(message=message).delete()
    if users:
        Mention.objects.bulk_create([Mention(message=message, user=user) for user in users])
