"""A socket that loses the right to be in a room leaves it at once (a mixin of
ChatConsumer): when its user changes (lost staff, left or was removed from a room: the
core's login watch calls `user_changed`), and when a room's kind or staff flag changes
(rooms/signals.py sends `room.access_changed` to the room's group)."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async

from .access import visible_room_ids
from .errors import ROOM_ACCESS_DENIED


class RoomAccessWatch:
    # Provided by ChatConsumer and the core's WebsocketConsumer (leave and send_error
    # are not declared here: a mixin's stub would shadow them).
    joined: dict[int, int]
    watched: dict[int, list[int]] | None  # (rooms.watching, as is chat_rooms_changed)
    user: Any

    async def user_changed(self) -> None:
        """Called when the user changed: leave the rooms no longer allowed (and list the
        rooms anew for a watching socket: staff rooms may have gone)."""
        await self.leave_rooms_not_allowed(list(self.joined))
        await self.chat_rooms_changed({})

    async def room_access_changed(self, event: dict[str, Any]) -> None:
        """Called when a room's access (or name) changed: may this socket's user still be
        in it? A watching socket lists its rooms anew."""
        if event["room"] in self.joined:
            await self.leave_rooms_not_allowed([event["room"]])
        if self.watched is not None and event["room"] in self.watched:
            await self.chat_rooms_changed({})

    async def leave_rooms_not_allowed(self, room_ids: list[int]) -> None:
        allowed = await database_sync_to_async(visible_room_ids)(self.user.pk, room_ids)
        for room_id in [r for r in room_ids if r not in allowed and r in self.joined]:
            await self.leave(room_id, reply=False, explicit=True)
            await self.send_error(ROOM_ACCESS_DENIED, room=room_id)
