"""The "joined" and "left" notices of a room, merged when many come at once.

Each notice goes to every socket in the room: a thousand people opening a room in
the same seconds would be half a million deliveries of "x joined". Per room, kind
and process, the first notice of a window goes at once; the names that come later
in the window go out together at its end: "ann, bob and 998 others joined".
"""

from __future__ import annotations

import asyncio
import logging

from channels.layers import get_channel_layer
from django.conf import settings

from chatapp.websocket import local_sockets, spawn

from .events import notice_event, room_broadcast, room_group

logger = logging.getLogger(__name__)

# A merged notice names this many people, then counts the rest.
NAMED = 2


def news_window(room_id: int) -> float:
    """How long a room's news (member lists, joined/left notices) is merged here:
    CHAT_PRESENCE_COALESCE_SECONDS, and in a big room long enough that telling its
    sockets in this process costs at most CHAT_PRESENCE_DELIVERIES_PER_SECOND (either
    0 turns its part off)."""
    window = settings.CHAT_PRESENCE_COALESCE_SECONDS
    budget = settings.CHAT_PRESENCE_DELIVERIES_PER_SECOND
    if window <= 0 or budget <= 0:  # 0: no merging, or no budget (the window as set)
        return max(0.0, window)
    # The room's sockets in this process (watchers of the room included: an upper bound).
    return max(window, local_sockets(room_group(room_id)) / budget)


def names_together(names: list[str]) -> str:
    """ "ann", "ann and bob", "ann, bob and cid", "ann, bob and 3 others"."""
    if len(names) == 1:
        return names[0]
    if len(names) <= NAMED + 1:
        return f"{', '.join(names[:-1])} and {names[-1]}"
    others = len(names) - NAMED
    return f"{', '.join(names[:NAMED])} and {others:,} others"


class RoomNotices:
    """This process's notices, merged per room and kind within the room's
    `news_window` (`per_loop(RoomNotices)`)."""

    def __init__(self) -> None:
        self.quiet_until: dict[tuple[int, int], float] = {}
        self.waiting: dict[tuple[int, int], list[str]] = {}

    async def tell(self, room_id: int, username: str, msg_type: int) -> None:
        """Tell the room that `username` joined or left (MessageType.ENTER, LEAVE)."""
        if not settings.NOTIFY_USERS_ON_ENTER_OR_LEAVE_ROOMS:
            return
        loop = asyncio.get_running_loop()
        key, now = (room_id, msg_type), loop.time()
        window = news_window(room_id)
        if window <= 0 or now >= self.quiet_until.get(key, 0):
            self.quiet_until[key] = now + window
            await self.send(key, [username])
            return
        names = self.waiting.setdefault(key, [])
        if not names:
            spawn(self.send_later(key, self.quiet_until[key] - now))
        if username not in names:
            names.append(username)

    async def send_later(self, key: tuple[int, int], delay: float) -> None:
        await asyncio.sleep(delay)
        names = self.waiting.pop(key, [])
        self.quiet_until[key] = asyncio.get_running_loop().time() + news_window(key[0])
        if names:
            await self.send(key, names)

    async def send(self, key: tuple[int, int], names: list[str]) -> None:
        room_id, msg_type = key
        event = notice_event(room_id, names_together(names), msg_type)
        try:
            await get_channel_layer().group_send(room_group(room_id), room_broadcast(event))
        except Exception:  # live-only: nothing to catch up on
            logger.exception("could not tell room %s who joined or left", room_id)
