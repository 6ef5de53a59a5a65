"""What a socket sees of the rooms it has not opened (a mixin of ChatConsumer): `watch`.

`{"command": "watch"}` lists the user's rooms with their counts (`{"rooms": [...]}`)
and subscribes the socket to each room's group, through the process's hub like a
join: a message in a room of N watching members costs the layer one event per
process, not N. Each socket then keeps the counts itself from the `tally` every
stored change carries (rooms.events.room_broadcast) and tells its client
`{"activity": R, "seq": N, "unread": U, "mentions": K}` for each change in a room it
has not joined. Counting needs no query; a gap in seq (events the layer dropped) or a
read position that moved under it is counted again from the record.

A fresh `rooms` frame follows when the user gains or loses a room, a room's access or
name changes, or the user changes (rooms.signals, `chat.rooms_changed`).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from channels.db import database_sync_to_async
from django.conf import settings

from accounts.services import active_user
from chatapp.ratelimit import within_rate

from .errors import RATE_LIMITED, ChatError
from .events import encode, room_group
from .models import Membership, Room, RoomKind
from .unread import RoomCounts, counts_of

# A watched room's state, a list (thousands of sockets watch tens of rooms each).
READ, LAST, UNREAD, MENTIONS, FLAGS = range(5)
MUTED, DIRECT = 1, 2


def state_of(counts: RoomCounts) -> list[int]:
    flags = (MUTED if counts.muted else 0) | (DIRECT if counts.kind == RoomKind.DIRECT else 0)
    return [counts.read_seq, counts.last_seq, counts.unread, counts.mentions, flags]


def weight(state: list[int], names: list[str] | None, me: str) -> tuple[int, int]:
    """What one message by someone else, after the read position, adds to (unread,
    mentions); `names` are the members it names (None: deleted, it adds nothing)."""
    if names is None:
        return 0, 0
    mention = 1 if state[FLAGS] & DIRECT or me in names else 0
    return (mention if state[FLAGS] & MUTED else 1), mention


def apply_tally(state: list[int], seq: int, tally: dict[str, Any] | None, me: str) -> bool:
    """Count one stored change (its seq follows the state's); True if it notifies the
    user (a new message naming them, any in a direct room, an `@here`)."""
    state[LAST] = seq
    if tally is None or tally["by"] == me or tally["id"] <= state[READ]:
        return False
    now = weight(state, tally["now"], me)
    if tally["id"] == seq:  # a new message
        was = (0, 0)
    else:  # an edit, a deletion (with what it was) or a reaction (nothing changes)
        was = weight(state, tally.get("was", tally["now"]), me)
    state[UNREAD] += now[0] - was[0]
    state[MENTIONS] += now[1] - was[1]
    here = bool(tally.get("here")) and not state[FLAGS] & MUTED
    return tally["id"] == seq and (now[1] > 0 or here)


def activity_frame(room_id: int, state: list[int]) -> dict[str, Any]:
    return {
        "activity": room_id,
        "seq": state[LAST],
        "unread": state[UNREAD],
        "mentions": state[MENTIONS],
    }


class RoomWatch:
    """`watched`: room id -> state (the READ … FLAGS list); None until `watch`."""

    watched: dict[int, list[int]] | None = None
    joined: dict[int, int]
    user: Any
    username: str  # the user's, read once (every counted event compares it)

    if TYPE_CHECKING:  # provided by ChatConsumer and the core's WebsocketConsumer

        async def send_json(self, content: Any, close: bool = False) -> None: ...
        async def send_frame(self, text: str) -> None: ...
        async def hub_join(self, group: str) -> None: ...
        async def hub_leave(self, group: str) -> None: ...
        async def hub_follow(self, group: str) -> None: ...
        async def hub_unfollow(self, group: str) -> None: ...

    async def cmd_watch(self, content: dict[str, Any]) -> None:
        # Watching reads every room of the user: bounded like joins.
        if not within_rate(f"chat-watch:{self.user.pk}", settings.CHAT_MAX_WATCHES_PER_MINUTE):
            raise ChatError(RATE_LIMITED)
        await self.watch_rooms()

    async def watch_rooms(self) -> None:
        """Subscribe to every room of the user (first, so nothing stored meanwhile is
        missed: the counts read after it hold it, and its event is skipped by seq),
        leave the groups of rooms no longer theirs, and send the `rooms` frame."""
        ids = await database_sync_to_async(member_room_ids)(self.user.pk)
        try:
            # At once, not one after the other: the rooms' events queue meanwhile.
            # Straight at the hub, not in the socket's set of joined groups
            # (`hub_groups`): a watched room is known by `watched` already, and thousands
            # of sockets watch tens of rooms each. `unwatch_all` ends them at disconnect.
            follows = (self.hub_follow(room_group(room_id)) for room_id in ids)
            for outcome in await asyncio.gather(*follows, return_exceptions=True):
                if isinstance(outcome, BaseException):
                    raise outcome
            counts = await database_sync_to_async(counts_of)(self.user.pk, ids)
        except BaseException:
            await self.unfollow_unrecorded(ids)
            raise
        if getattr(self, "cleaned_up", False):  # closed meanwhile: keep nothing followed
            await self.unfollow_unrecorded(ids)
            return
        self.username = self.user.get_username()
        previous, self.watched = self.watched or {}, {c.room_id: state_of(c) for c in counts}
        for room_id in set(previous) | set(ids):
            if room_id not in self.watched:
                await self.drop_room_group(room_id)
        await self.send_json({"rooms": [c.frame() for c in counts]})

    async def unfollow_unrecorded(self, ids: list[int]) -> None:
        """Out of the groups of `ids` that neither `joined` nor `watched` records (a
        watch that failed or came too late): the hub must not keep the socket in a
        group nothing of it knows about, or it would outlive the socket."""
        for room_id in ids:
            if room_id not in self.joined and room_id not in (self.watched or {}):
                await self.hub_unfollow(room_group(room_id))

    async def drop_room_group(self, room_id: int) -> None:
        """Leave a room's group, unless the socket still needs it (joined or watched)."""
        if room_id in self.joined or room_id in (self.watched or {}):
            return
        await self.hub_leave(room_group(room_id))  # joined through hub_join
        await self.hub_unfollow(room_group(room_id))  # or watched

    async def unwatch_all(self) -> None:
        """At disconnect: out of every watched room's group."""
        watched, self.watched = self.watched or {}, None
        for room_id in watched:
            await self.hub_unfollow(room_group(room_id))

    def count_step(self, event: dict[str, Any]) -> dict[str, Any] | bool | None:
        """Count the broadcast of a room watched and not joined: the activity frame for
        the client (None if there is nothing to count), or False when seqs are missing
        before it (count the room again first). A joined room is not counted while the
        client shows it (a burst in a big room costs nothing more): it is counted again
        from the record when its pane closes (`room_left`)."""
        state = (self.watched or {}).get(event["room"])
        seq = event.get("seq")
        if state is None or seq is None or seq <= state[LAST]:
            return None
        if seq != state[LAST] + 1:
            return False
        notifies = apply_tally(state, seq, event.get("tally"), self.username)
        frame = activity_frame(event["room"], state)
        if notifies:
            frame["mention"] = True
            frame["username"] = event["tally"]["by"]
        return frame

    def count_gaps(self, events: list[dict[str, Any]]) -> bool:
        """Whether counting these events (in order) meets a gap in the seq of a room
        watched and not joined (a joined room is counted again when it is left)."""
        watched, last = self.watched or {}, {}
        for event in events:
            room_id, seq = event["room"], event.get("seq")
            if room_id not in watched or room_id in self.joined or seq is None:
                continue
            before = last.get(room_id, watched[room_id][LAST])
            if seq > before + 1:
                return True
            last[room_id] = max(seq, before)
        return False

    async def room_left(self, room_id: int) -> None:
        """The socket left a room it watches: its counts, as they stand now."""
        if self.watched is not None and room_id in self.watched:
            await self.count_again(room_id)

    async def count_again(self, room_id: int) -> None:
        """Read a watched room's counts anew (events were missed, or the read position
        moved under them); tell the client if it does not have the room open."""
        counts = await database_sync_to_async(counts_of)(self.user.pk, [room_id])
        if self.watched is None:
            return
        if not counts:  # lost meanwhile (the event that said so may have been lost too)
            await self.watch_rooms()  # out of its group, and a `rooms` frame without it
            return
        self.watched[room_id] = state = state_of(counts[0])
        if room_id not in self.joined:
            await self.send_json(activity_frame(room_id, state))

    async def watched_event(self, event: dict[str, Any]) -> None:
        """A broadcast of a room this socket watches and has not joined."""
        frame = self.count_step(event)
        if frame is False:
            await self.count_again(event["room"])
            frame = self.count_step(event)  # counted already if seq <= the new last
        if frame:
            await self.send_frame(encode(frame))

    def read_moved(self, event: dict[str, Any]) -> bool:
        """The user's read position moved (this device or another): take its counts;
        False if they stand before what this socket counted (count again)."""
        state = (self.watched or {}).get(event["room"])
        if state is None:
            return True
        read_seq, last_seq, unread, mentions = event["counts"]
        if last_seq < state[LAST]:
            return False
        state[READ], state[LAST], state[UNREAD], state[MENTIONS] = (
            read_seq,
            last_seq,
            unread,
            mentions,
        )
        return True

    async def room_renamed(self, event: dict[str, Any]) -> None:
        """Called when a room of the user was renamed: its new name, no query."""
        if self.watched is not None and event["room"] in self.watched:
            renamed = {"id": event["room"], "title": event["title"]}
            await self.send_json({"rooms_changed": {"renamed": renamed}})

    async def chat_rooms_changed(self, event: dict[str, Any]) -> None:
        """Called when the user gained or lost a room (rooms.signals)."""
        if self.watched is not None:
            await self.watch_rooms()


def member_room_ids(user_id: int) -> list[int]:
    """The rooms the user is a member of and may see (the counts read after check
    again: they are the record)."""
    user = active_user(user_id)
    if not user.is_authenticated:
        return []
    visible = Room.objects.visible_to(user)
    memberships = Membership.objects.filter(user=user, room__in=visible).order_by("room_id")
    return list(memberships.values_list("room_id", flat=True)[: settings.CHAT_WATCH_MAX_ROOMS])
