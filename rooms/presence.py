"""Telling rooms who is in them: member lists coalesced per room and process
(PresenceCoalescer), one heartbeat per process (PresenceHeartbeat), and the delayed
"left" notice.

A user's last socket leaving by disconnect is only announced after
CHAT_LEAVE_GRACE_SECONDS, so that a reconnect says neither "left" nor "joined".

The entry point for presence: the store itself (who is in each room, per connection,
in Redis or in memory) is rooms.presence_store, re-exported here.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings

from chatapp.websocket import per_loop

from .events import live_broadcast, presence_event, room_group
from .models import MessageType
from .notices import RoomNotices, news_window
from .presence_store import LocalPresence, RedisPresence, presence, reset_local_presence

# The store's names too: the rest of the site (and the tests) import presence from here.
__all__ = [
    "LocalPresence",
    "PresenceCoalescer",
    "PresenceHeartbeat",
    "RedisPresence",
    "announce_leave_after_grace",
    "broadcast_presence",
    "current_presence_event",
    "presence",
    "reset_local_presence",
]

logger = logging.getLogger(__name__)


async def current_presence_event(room_id: int) -> dict[str, Any]:
    """Who is in the room now, as clients get it (rooms.events.presence_event)."""
    return presence_event(room_id, await presence().members(room_id))


class PresenceCoalescer:
    """At most one presence broadcast per room and window (notices.news_window: longer
    in a big room) from this process.

    Every join and leave changes the member list, and each broadcast goes to the
    whole room: a thousand sockets joining would be a million deliveries. The
    first change in a window goes out at once; later ones are merged into one
    broadcast of the latest state at the window's end.
    """

    def __init__(self) -> None:
        self.quiet_until: dict[int, float] = {}
        self.scheduled: dict[int, asyncio.Task] = {}

    async def broadcast(self, room_id: int) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if news_window(room_id) <= 0 or now >= self.quiet_until.get(room_id, 0):
            await self.send(room_id)
        elif room_id not in self.scheduled:
            delay = self.quiet_until[room_id] - now
            self.scheduled[room_id] = loop.create_task(self.send_later(room_id, delay))

    async def send_later(self, room_id: int, delay: float) -> None:
        await asyncio.sleep(delay)
        self.scheduled.pop(room_id, None)
        await self.send(room_id)

    async def send(self, room_id: int) -> None:
        """Broadcast the room's member list now; the next window starts here."""
        now = asyncio.get_running_loop().time()
        self.quiet_until[room_id] = now + news_window(room_id)
        try:
            carried = live_broadcast(room_id, await current_presence_event(room_id))
            await get_channel_layer().group_send(room_group(room_id), carried)
        except Exception:
            logger.exception("presence broadcast to room %s failed", room_id)


class PresenceHeartbeat:
    """Renews the presence entries of every socket of this process, in one pipeline
    per beat (not a task and a round trip per socket), and prunes the entries of
    processes that died without saying so."""

    def __init__(self) -> None:
        self.sockets: set[Any] = set()  # ChatConsumers, with .user and .joined
        self.task: asyncio.Task | None = None

    def add(self, socket: Any) -> None:
        self.sockets.add(socket)
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self.beat())

    def discard(self, socket: Any) -> None:
        self.sockets.discard(socket)
        if not self.sockets and self.task is not None:
            self.task.cancel()
            self.task = None

    async def beat(self) -> None:
        while True:
            await asyncio.sleep(settings.CHAT_PRESENCE_HEARTBEAT)
            try:
                entries = [
                    (room_id, socket.user.pk, socket.channel_name)
                    for socket in list(self.sockets)
                    for room_id in socket.joined
                ]
                store = presence()
                if entries:
                    await store.renew(entries)
                for room_id in {entry[0] for entry in entries}:
                    if await store.prune(room_id):
                        await broadcast_presence(room_id)
            except Exception:
                logger.exception("presence heartbeat failed; retrying")


async def broadcast_presence(room_id: int) -> None:
    """Tell the room who is in it now (coalesced per process, see PresenceCoalescer)."""
    await per_loop(PresenceCoalescer).broadcast(room_id)


async def announce_leave_after_grace(room_id: int, user_id: int, username: str) -> None:
    """Say "left" if the user has not come back within the grace period."""
    await asyncio.sleep(settings.CHAT_LEAVE_GRACE_SECONDS)
    try:
        store = presence()
        if not await store.take_leaving(room_id, user_id):
            return  # they came back
        await per_loop(RoomNotices).tell(room_id, username, MessageType.LEAVE)
        await broadcast_presence(room_id)
    except Exception:
        # Only the notice is lost: presence entries expire by themselves.
        logger.exception("could not announce that user %s left room %s", user_id, room_id)
