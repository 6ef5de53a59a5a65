"""The commands that change stored messages: edit, delete and react (a mixin of
ChatConsumer). Each runs through ChatConsumer.change_room like a send: checked, stored
with the room's next seq, acknowledged, then broadcast (rooms/changes.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .changes import Changed, delete_on_socket, edit_message
from .client_frames import client_id_field, int_field
from .errors import BAD_REQUEST, ChatError
from .reactions import react


def outcome(changed: Changed) -> tuple[int, dict[str, Any] | None]:
    return changed.seq, changed.event


class ConversationCommands:
    """`{"command": "edit" | "delete" | "react", "room": R, "id": M, ...}`."""

    user: Any  # provided by the core's WebsocketConsumer

    if TYPE_CHECKING:  # provided by ChatConsumer

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

    @staticmethod
    def target(content: dict[str, Any]) -> tuple[int, int, str]:
        """The room, the message id and the client_id of a change frame."""
        room_id = int_field(content, "room")
        try:
            number = int_field(content, "id")
        except ChatError as error:
            error.room = room_id
            raise
        return room_id, number, client_id_field(content, room_id)
