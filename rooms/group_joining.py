"""Joins of many sockets read together: a crowd opening a room in the same seconds
costs a few statements per batch, not a few per socket.

A `Join` alone is `join_room` (rooms/history.py). In a batch (rooms/room_commit.py),
the joins without `since` (a page opening the room, not a resume) share their
statements: the rooms read at once, the memberships of public rooms made in one
INSERT, each room's seq held and its latest page read once. Every check of a join
alone is made for each; a resume goes alone.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.contrib.auth.models import AbstractBaseUser

from chatapp.ratelimit import within_rates
from chatapp.websocket import run_alone

from .access import become_members, join_rate, refusal_for
from .direct import shown_title
from .errors import RATE_LIMITED, ROOM_INVALID, ChatError
from .history import Joined, join_room, latest_page, seq_held_still
from .models import Room


@dataclass(frozen=True)
class Join:
    """A socket's join of a room, as RoomCommit runs it: alone, or with the batch's."""

    user: AbstractBaseUser  # as the socket's login look-up found it just now
    room_id: int
    since: int | None

    def for_user(self, user: AbstractBaseUser) -> Join:
        """The same, for the user as their login is now (it changed while this waited)."""
        return replace(self, user=user)

    def __call__(self) -> Joined:
        return join_room(self.user, self.room_id, self.since)

    @staticmethod
    def run_merged(joins: list[Join]) -> list[Joined | Exception]:
        outcomes: list[Joined | Exception | None] = [None] * len(joins)
        fresh = [i for i, join in enumerate(joins) if join.since is None]
        for index in (i for i, join in enumerate(joins) if join.since is not None):
            outcomes[index] = run_alone(joins[index])
        if fresh:
            join_together([joins[i] for i in fresh], fresh, outcomes)
        return outcomes  # type: ignore[return-value]  (every index is set)


def join_together(joins: list[Join], indexes: list[int], outcomes: list) -> None:
    rooms = Room.objects.in_bulk({join.room_id for join in joins})
    within = within_rates([join_rate(join.user.pk) for join in joins])  # one round trip
    allowed: list[tuple[int, Join, Room]] = []
    for index, join, ok in zip(indexes, joins, within, strict=True):
        try:
            if not ok:
                raise ChatError(RATE_LIMITED, join.room_id)
            room = rooms.get(join.room_id)
            if room is None:
                raise ChatError(ROOM_INVALID, join.room_id)
            if not room.is_visible_to(join.user):
                raise ChatError(refusal_for(room.kind, room.archived), join.room_id)
        except ChatError as error:
            outcomes[index] = error
            continue
        allowed.append((index, join, room))
    become_members([(join.user.pk, room) for _, join, room in allowed])
    # Each room's seq held still and its latest page read once (as join_room does).
    seqs: dict[int, int | ChatError] = {}
    for _, _, room in allowed:
        try:
            seqs.setdefault(room.pk, seq_held_still(room.pk))
        except ChatError as gone:  # deleted since it was read
            seqs[room.pk] = gone
    pages = {
        room.pk: latest_page(room, seq)
        for _, _, room in allowed
        if isinstance(seq := seqs[room.pk], int)
    }
    for index, join, room in allowed:
        if isinstance(gone := seqs[room.pk], ChatError):
            outcomes[index] = gone
            continue
        page = pages[room.pk]
        outcomes[index] = Joined(
            title=shown_title(room, join.user),
            history=page.events,
            history_frames=page.frames,
            until=0,
            resync=False,
            last_seq=seqs[room.pk],  # type: ignore[arg-type]  (an int here)
            username=join.user.get_username(),
        )
