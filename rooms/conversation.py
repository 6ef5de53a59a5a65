"""The commands about stored messages (a mixin of ChatConsumer): edit, delete and react,
each run through change_room (rooms/in_flight.py) like a send (checked, stored with the room's
next seq, acknowledged, then broadcast: rooms/changes.py), and `read`, which moves the
user's read position on every device (rooms/read_positions.py)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from chatapp.websocket import auser_send, per_loop

from .changes import Changed, delete_on_socket, edit_message
from .client_frames import client_id_field, int_field
from .errors import BAD_REQUEST, ChatError
from .events import encode, read_event
from .reactions import react
from .read_positions import mark_read
from .room_commit import RoomCommit


def outcome(changed: Changed) -> tuple[int, dict[str, Any] | None]:
    return changed.seq, changed.broadcast()


class ConversationCommands:
    """`{"command": "edit" | "delete" | "react", "room": R, "id": M, ...}`."""

    user: Any  # provided by the core's WebsocketConsumer
    takes_changes: bool  # provided by ChatConsumer (chat.v2)

    if TYPE_CHECKING:  # provided by ChatConsumer and the core's WebsocketConsumer

        async def send_json(self, content: Any, close: bool = False) -> None: ...

        async def send_frame(self, text: str) -> None: ...

        def read_moved(self, event: dict[str, Any]) -> bool: ...

        async def count_again(self, room_id: int) -> None: ...

        async def gated_change(
            self, commit: Any, key: Any, change: Any, handed_in: Any = None
        ) -> Any: ...

        async def change_room(
            self, room_id: int, client_id: str, change: Callable[[], tuple[int, Any]]
        ) -> None: ...

    async def cmd_edit(self, content: dict[str, Any]) -> None:
        room_id, number, client_id = self.target(content)
        text = content.get("message")
        if not isinstance(text, str):
            raise ChatError(BAD_REQUEST, room_id)
        user_id = self.user.pk
        await self.change_room(
            room_id,
            client_id,
            lambda: outcome(edit_message(user_id, room_id, number, text, client_id)),
        )

    async def cmd_delete(self, content: dict[str, Any]) -> None:
        room_id, number, client_id = self.target(content)
        user_id = self.user.pk
        await self.change_room(
            room_id,
            client_id,
            lambda: outcome(delete_on_socket(user_id, room_id, number, client_id)),
        )

    async def cmd_react(self, content: dict[str, Any]) -> None:
        room_id, number, client_id = self.target(content)
        emoji, on = content.get("emoji"), content.get("on", True)
        user_id = self.user.pk
        await self.change_room(
            room_id,
            client_id,
            lambda: outcome(react(user_id, room_id, number, emoji, on, client_id)),
        )

    async def cmd_read(self, content: dict[str, Any]) -> None:
        """`{"command": "read", "room": R, "seq": N}`: the user has read the room up to N.
        Every socket of the user, on any device, is told where it stands now; asking for
        a position already passed changes nothing and tells only this socket."""
        room_id = int_field(content, "room")
        seq = int_field(content, "seq", room=room_id)
        # With the room's other changes of this moment (rooms/room_commit.py).
        move = partial(mark_read, self.user.pk, room_id, seq)
        position = await self.gated_change(per_loop(RoomCommit), room_id, move)
        counts = position.counts
        frame = read_event(counts.room_id, counts.read_seq, counts.unread, counts.mentions)
        event = {
            "type": "chat.read",
            "room": room_id,
            "counts": [counts.read_seq, counts.last_seq, counts.unread, counts.mentions],
            "text": encode(frame),
        }
        if not position.moved:
            await self.chat_read(event)
            return
        try:
            await auser_send(self.user.pk, event)
        except Exception:
            # Stored: this socket is told now, the others when they next watch or join.
            await self.chat_read(event)

    async def chat_read(self, event: dict[str, Any]) -> None:
        """Called with the user's new read position (rooms/read_positions.py): counted
        from here on by a watching socket (rooms.watching)."""
        if not self.read_moved(event):
            await self.count_again(event["room"])
        if self.takes_changes:  # the multichat front end has no read positions
            await self.send_frame(event["text"])

    @staticmethod
    def target(content: dict[str, Any]) -> tuple[int, int, str]:
        """The room, the message id and the client_id of a change frame."""
        room_id = int_field(content, "room")
        number = int_field(content, "id", room=room_id)
        return room_id, number, client_id_field(content, room_id)
