"""The multichat socket on /chat/stream/: one socket per tab, many rooms on it.

Protocol (README, "The socket protocol"): the client sends
`{"command": "join"|"leave"|"send", "room": ID, ...}`; the server answers with
`{"join": ID, "title": ...}`, `{"leave": ID}`, message events, acks and
`{"error": CODE}`. Every refusal leaves the socket open and stores nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

from chatapp.websocket import WebsocketConsumer
from chatapp.websocket.permissions import fresh_user

from . import presence
from .services import (
    BAD_REQUEST,
    ROOM_ACCESS_DENIED,
    UNKNOWN_COMMAND,
    USER_HAS_TO_LOGIN,
    ChatError,
    check_rate_limit,
    clean_text,
    encode,
    get_room_for,
    message_event,
    notice_event,
    post_message,
    recent_messages,
    room_broadcast,
    room_group,
)

logger = logging.getLogger(__name__)

MAX_CLIENT_ID_LENGTH = 64
MAX_ID = 2**63 - 1  # the database's integer range


def _int_field(content: dict[str, Any], name: str, *, required: bool = True) -> int | None:
    """An integer field of a client frame (bools are not integers here)."""
    value = content.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_ID:
        raise ChatError(BAD_REQUEST)
    return value


@dataclass
class Joined:
    title: str
    history: list[dict[str, Any]]
    first_socket: bool
    username: str


# Database work, one thread hop per command --------------------------------------


def join_room(user_id: int, room_id: int, *, count_socket: bool) -> Joined:
    user = fresh_user(user_id)
    room = get_room_for(user, room_id)
    history = [message_event(m) for m in recent_messages(room)]
    first = presence.socket_joined(room.pk, user_id) if count_socket else False
    return Joined(room.title, history, first, user.get_username())


def leave_room(user_id: int, room_id: int) -> bool:
    return presence.socket_left(room_id, user_id)


def store_message(user_id: int, room_id: int, text: str, client_id: str) -> tuple[dict, bool]:
    """Check the user may still post here, then store. Returns (event, newly stored)."""
    user = fresh_user(user_id)
    room = get_room_for(user, room_id)  # re-checked: staff may have lost the flag
    text = clean_text(text)
    check_rate_limit(user_id)
    posted = post_message(room=room, author=user, text=text, client_id=client_id)
    return message_event(posted.message), posted.created


class ChatConsumer(WebsocketConsumer):
    """Anonymous sockets may connect, and get USER_HAS_TO_LOGIN for every command."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.joined: dict[int, int] = {}  # room id -> highest seq this socket has been sent

    async def connect(self) -> None:
        """Called after the permission check: accept; rooms are joined by command."""
        await self.accept()

    async def disconnect(self, code: int) -> None:
        """Called when the socket closes: leave every joined room."""
        for room_id in list(self.joined):
            await self.leave(room_id, reply=False)

    async def send_error(self, code: str, detail: str = "", **extra: Any) -> None:
        await self.send_json({"error": code, **extra})

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Called with each decoded frame: route the command, turn refusals into errors."""
        extra: dict[str, Any] = {}
        try:
            if not isinstance(content, dict):
                raise ChatError(BAD_REQUEST)
            if isinstance(content.get("client_id"), str):
                extra["client_id"] = content["client_id"]
            if not self.user.is_authenticated:
                raise ChatError(USER_HAS_TO_LOGIN)
            command = content.get("command")
            if not isinstance(command, str):
                raise ChatError(BAD_REQUEST)
            handler = {"join": self.cmd_join, "leave": self.cmd_leave, "send": self.cmd_send}.get(
                command
            )
            if handler is None:
                raise ChatError(UNKNOWN_COMMAND)
            await handler(content)
        except ChatError as error:
            if error.room is not None:
                extra["room"] = error.room
            await self.send_error(error.code, **extra)

    # Commands -----------------------------------------------------------------------

    async def cmd_join(self, content: dict[str, Any]) -> None:
        room_id = _int_field(content, "room")
        already = room_id in self.joined
        if not already:
            # Join the group before reading history, so nothing stored in between is
            # missed; what arrives twice is dropped by seq in chat_event(), and nothing
            # reaches the client before the join succeeds (chat_event checks `joined`).
            await self.channel_layer.group_add(room_group(room_id), self.channel_name)
        try:
            # A repeated join re-sends the history but is still one socket in the room.
            joined = await database_sync_to_async(join_room)(
                self.user.pk, room_id, count_socket=not already
            )
        except ChatError:
            if not already:
                await self.channel_layer.group_discard(room_group(room_id), self.channel_name)
            raise
        await self.send_json({"join": room_id, "title": joined.title})
        last_seq = 0
        for event in joined.history:
            await self.send(text_data=encode(event))
            last_seq = event["seq"]
        self.joined[room_id] = max(last_seq, self.joined.get(room_id, 0))
        if joined.first_socket:
            await self.notify(room_id, joined.username, settings.MSG_TYPE_ENTER)

    async def cmd_leave(self, content: dict[str, Any]) -> None:
        room_id = _int_field(content, "room")
        if room_id not in self.joined:
            raise ChatError(ROOM_ACCESS_DENIED, room_id)
        await self.leave(room_id, reply=True)

    async def cmd_send(self, content: dict[str, Any]) -> None:
        room_id = _int_field(content, "room")
        text = content.get("message")
        client_id = content.get("client_id", "")
        if not isinstance(text, str) or not isinstance(client_id, str):
            raise ChatError(BAD_REQUEST, room_id)
        if len(client_id) > MAX_CLIENT_ID_LENGTH:
            raise ChatError(BAD_REQUEST, room_id)
        if room_id not in self.joined:
            raise ChatError(ROOM_ACCESS_DENIED, room_id)
        try:
            event, created = await database_sync_to_async(store_message)(
                self.user.pk, room_id, text, client_id
            )
        except ChatError as error:
            error.room = room_id
            if error.code == ROOM_ACCESS_DENIED:
                await self.leave(room_id, reply=False)
            raise
        await self.send_json({"ack": client_id or None, "room": room_id, "seq": event["seq"]})
        if created:
            await self.group_send(room_group(room_id), room_broadcast(event))

    # Helpers ------------------------------------------------------------------------

    async def leave(self, room_id: int, *, reply: bool) -> None:
        self.joined.pop(room_id, None)
        await self.channel_layer.group_discard(room_group(room_id), self.channel_name)
        last = await database_sync_to_async(leave_room)(self.user.pk, room_id)
        if reply:
            await self.send_json({"leave": room_id})
        if last:
            await self.notify(room_id, self.user.get_username(), settings.MSG_TYPE_LEAVE)

    async def notify(self, room_id: int, username: str, msg_type: int) -> None:
        if settings.NOTIFY_USERS_ON_ENTER_OR_LEAVE_ROOMS:
            await self.group_send(
                room_group(room_id), room_broadcast(notice_event(room_id, username, msg_type))
            )

    # Layer events -------------------------------------------------------------------

    async def chat_event(self, event: dict[str, Any]) -> None:
        """Called for each room broadcast: forward it once, in seq order, if still joined."""
        room_id = event["room"]
        if room_id not in self.joined:
            return
        seq = event.get("seq")
        if seq is not None:
            if seq <= self.joined[room_id]:
                return  # already sent with the join history
            self.joined[room_id] = seq
        await self.send(text_data=event["text"])
