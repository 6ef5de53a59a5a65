"""Joining and leaving rooms on a socket (a mixin of ChatConsumer): the join with its
history (replayed a page at a time, or the room's latest page as one frame), the
leave, and what others see of both: presence and the "joined"/"left" notices.

A join is stored through RoomCommit like a change (its membership of a public room,
the room's seq held still while its page is read) and has its login looked up in
that batch (the core's gated_change).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from channels.db import database_sync_to_async
from django.conf import settings

from chatapp.websocket import batch_frames, per_loop, spawn

from .client_frames import int_field
from .errors import ROOM_ACCESS_DENIED, ChatError
from .events import encode, join_reply, leave_reply, resync_reply, room_group
from .group_joining import Join
from .history import REPLAY_PAGE, Joined, missed_messages
from .in_flight import LOSES_ROOM
from .models import MessageType
from .notices import RoomNotices
from .presence import (
    announce_leave_after_grace,
    broadcast_presence,
    current_presence_event,
    presence,
)
from .room_commit import RoomCommit


class RoomMembership:
    """`{"command": "join", "room": R, "since"?: N}` and `{"command": "leave", "room": R}`."""

    user: Any  # provided by the core's WebsocketConsumer
    channel_name: str
    joined: dict[int, int]  # provided by ChatConsumer
    takes_batches: bool
    takes_changes: bool

    if TYPE_CHECKING:  # provided by ChatConsumer and the core's WebsocketConsumer

        async def send_json(self, content: Any, close: bool = False) -> None: ...

        async def send_paced(self, frames: list[str]) -> bool: ...

        async def hub_join(self, group: str) -> None: ...

        async def drop_room_group(self, room_id: int) -> None: ...

        async def room_left(self, room_id: int) -> None: ...

        async def gated_change(
            self, commit: Any, key: Any, change: Any, handed_in: Any = None
        ) -> Any: ...

        def unsent_bytes(self) -> int: ...

        def shows(self, event: dict[str, Any], since: int | None) -> bool: ...

    async def cmd_join(self, content: dict[str, Any]) -> None:
        room_id = int_field(content, "room")
        since = int_field(content, "since", required=False)
        already = room_id in self.joined
        if already and (since is None or self.unsent_bytes() > 0):
            # This socket has had the history: send only what it has not had. While
            # what it was sent is still on its way, a join asking again is collapsed
            # into this too, so repeated joins never multiply a replay.
            since = self.joined[room_id]
        if not already:
            # Join the group before reading history, so nothing stored in between is
            # missed; what arrives twice is dropped by seq in chat_event(), and nothing
            # reaches the client before the join succeeds (handlers run one at a time).
            await self.hub_join(room_group(room_id))
        try:
            # With the joins and changes of every other socket waiting at this moment.
            join = Join(self.user, room_id, since)
            joined: Joined = await self.gated_change(per_loop(RoomCommit), room_id, join)
        except ChatError as error:
            if not already:
                await self.drop_room_group(room_id)
            elif error.code in LOSES_ROOM:  # no longer allowed in: nothing more of it
                await self.leave(room_id, reply=False, explicit=True)
            raise
        except BaseException:  # a service down, logged out: not subscribed for nothing
            if not already:
                await self.drop_room_group(room_id)
            raise
        await self.send_json(join_reply(room_id, joined.title, joined.last_seq))
        if joined.resync:
            await self.send_json(resync_reply(room_id))
        if await self.replay(room_id, joined, since) is None:
            return  # closed: the client did not take the replay
        # The history showed the room at last_seq: every change up to it is in it (or
        # superseded by a later one, which comes live with a higher seq).
        self.joined[room_id] = max(joined.last_seq, self.joined.get(room_id, 0))
        if not already:
            # A join that resumes (`since`) comes from a page that had the room open on an
            # earlier socket: a reconnect, after a restart too, is not an arrival.
            await self.enter(room_id, joined.username, arriving=since is None)
        else:
            await self.send_json(await current_presence_event(room_id))

    async def replay(self, room_id: int, joined: Joined, since: int | None) -> int | None:
        """Send the join's history a page at a time, as fast as the client takes it;
        the last seq sent (0 for none), or None if the socket was closed for not
        taking it."""
        page, last = joined.history, 0
        while page:
            if joined.history_frames is not None and self.takes_changes and last == 0:
                frames = joined.history_frames  # encoded once for every join at this seq
            else:
                frames = [encode(event) for event in page if self.shows(event, since)]
            if self.takes_batches:  # one frame, not fifty: one write to the socket
                frames = batch_frames(frames)
            if not await self.send_paced(frames):
                return None  # closed, and out of every group
            last = page[-1]["seq"]
            if last >= joined.until:
                break
            page = await database_sync_to_async(missed_messages)(
                room_id, last, joined.until + 1, REPLAY_PAGE
            )
        return last

    async def cmd_leave(self, content: dict[str, Any]) -> None:
        room_id = int_field(content, "room")
        if room_id not in self.joined:
            raise ChatError(ROOM_ACCESS_DENIED, room_id)
        await self.leave(room_id, reply=True, explicit=True)

    async def enter(self, room_id: int, username: str, *, arriving: bool = True) -> None:
        # A user whose last socket just dropped is reconnecting, not arriving.
        first, returning = await presence().arrive(
            room_id, self.user.pk, username, self.channel_name
        )
        if first and arriving and not returning:
            await self.notify(room_id, username, MessageType.ENTER)
        await broadcast_presence(room_id)

    async def leave(self, room_id: int, *, reply: bool, explicit: bool) -> None:
        self.joined.pop(room_id, None)
        await self.drop_room_group(room_id)
        if reply:
            await self.send_json(leave_reply(room_id))
        store = presence()
        last = await store.leave(room_id, self.user.pk, self.channel_name)
        username = self.user.get_username()
        if last and not explicit and settings.CHAT_LEAVE_GRACE_SECONDS > 0:
            await store.mark_leaving(room_id, self.user.pk)
            spawn(announce_leave_after_grace(room_id, self.user.pk, username))
        elif last:
            await self.notify(room_id, username, MessageType.LEAVE)
        await broadcast_presence(room_id)
        if explicit:  # not at disconnect: nobody is left to tell
            await self.room_left(room_id)

    async def notify(self, room_id: int, username: str, msg_type: int) -> None:
        """ "joined" or "left", merged with others' in a crowd (rooms/notices.py)."""
        await per_loop(RoomNotices).tell(room_id, username, msg_type)
