"""A user's rooms with what is unread in each: the `rooms` reply of `watch`, the counts
of a `read`, and what a watching socket starts its own counting from.

Unread are the messages by others (server notices too), not deleted, created after the
user's read position; mentions are those of them naming the user (Mention rows), and
every one of them in a direct room. A muted room counts its mentions only.

Each count comes with the room's `last_seq` read in the same statement (one snapshot),
so a socket that goes on counting from live events knows which events the count
already holds: those up to `last_seq` (rooms/watching.py). Synchronous ORM work.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F, Func, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from accounts.services import active_user

from .direct import direct_titles
from .models import Membership, Mention, Message, Room, RoomKind, may_see_room


@dataclass(frozen=True)
class RoomCounts:
    room_id: int
    kind: str
    title: str
    read_seq: int
    last_seq: int  # the room's seq the counts stand at
    unread: int
    mentions: int
    muted: bool
    slug: str = ""  # with the kind, what the page makes the room's address of

    def frame(self) -> dict[str, object]:
        """The room as the `rooms` reply lists it (docs/protocol.md)."""
        return {
            "id": self.room_id,
            "kind": self.kind,
            "title": self.title,
            "unread": self.unread,
            "mentions": self.mentions,
            "last_seq": self.last_seq,
            "read_seq": self.read_seq,
            "muted": self.muted,
            "slug": self.slug,
        }


def count_of(query) -> Coalesce:
    """COUNT(*) of `query` as a scalar subquery (an aggregate function, not annotate's
    Count, which would group by the outer query's columns)."""
    rows = query.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def counts_of(user_id: int, room_ids: list[int] | None = None) -> list[RoomCounts]:
    """`room_counts` for a socket's user, reloaded now (still active?)."""
    return room_counts(active_user(user_id), room_ids)


def room_counts(user, room_ids: list[int] | None = None) -> list[RoomCounts]:
    """The rooms of `user` (loaded: `active_user`) (all, or those of `room_ids`) that they
    may still see, with their counts: one statement, whatever the number of rooms."""
    if not user.is_authenticated:
        return []
    after_read = {
        "number__gt": OuterRef("read_seq"),
        "deleted__isnull": True,
    }
    unread = Message.objects.filter(room=OuterRef("room_id"), **after_read).exclude(
        author_id=user.pk
    )
    named = Mention.objects.filter(
        user_id=user.pk,
        message__room=OuterRef("room_id"),
        message__number__gt=OuterRef("read_seq"),
        message__deleted__isnull=True,
    )
    memberships = Membership.objects.filter(user_id=user.pk, room__archived__isnull=True)
    if room_ids is not None:
        memberships = memberships.filter(room_id__in=room_ids)
    rows = memberships.order_by("room__title").values_list(
        "room_id",
        "room__kind",
        "room__title",
        "room__slug",
        "room__staff_only",
        "read_seq",
        "room__last_seq",
        "muted",
        count_of(unread),
        count_of(named),
    )
    rows = list(rows)
    # A direct room is named after the others in it, as its members see it.
    direct = [Room(pk=row[0], kind=row[1]) for row in rows if row[1] == RoomKind.DIRECT]
    names = direct_titles(direct, user) if direct else {}
    counts = []
    for row in rows:
        room_id, kind, title, slug, staff_only, read_seq, last_seq, muted, unread_n, named_n = row
        title = names.get(room_id, title)
        if not may_see_room(user, staff_only=staff_only, kind=kind, is_member=True):
            continue  # a staff room of a user who lost staff
        if kind == RoomKind.DIRECT:
            named_n = unread_n  # every message there is for each member
        if muted:
            unread_n = named_n
        counts.append(
            RoomCounts(room_id, kind, title, read_seq, last_seq, unread_n, named_n, muted, slug)
        )
    return counts
