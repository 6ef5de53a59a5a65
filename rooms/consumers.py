"""The multichat socket on /chat/stream/: one socket per tab, many rooms on it.

Protocol (docs/protocol.md): the client sends `{"command": "join"|"leave"|"send"|
"typing"|"edit"|"delete"|"react", "room": ID, ...}`; the server answers with
`{"join": ID, "title": ..., "seq": N}`, `{"leave": ID}`, message and deletion events,
acks, presence and typing events, and `{"error": CODE}`; room events that came
together may share a `{"batch": [...]}` frame. Every refusal leaves the socket
open and stores nothing.

Nothing is lost: the database is the record and every change to a room (a message,
an edit, a deletion, a reaction) takes the room's next `seq`. A join with `since`
replays what the client missed; a live event that skips seqs (the layer dropped some)
is filled from the database (rooms/delivery.py). What each frame looks like is
rooms/events.py; the error codes and what the page says for them are rooms/errors.py.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings

from chatapp.websocket import (
    SERVICE_UNAVAILABLE,
    WebsocketConsumer,
    per_loop,
)

from .access_watch import RoomAccessWatch
from .client_frames import (
    client_id_field,
    echoed_client_id,
    id_list_field,
    id_value,
    int_field,
    max_frame_length,
)
from .conversation import ConversationCommands
from .delivery import InOrderDelivery
from .errors import (
    BAD_REQUEST,
    MESSAGE_TOO_LONG,
    ROOM_ACCESS_DENIED,
    UNKNOWN_COMMAND,
    USER_HAS_TO_LOGIN,
    ChatError,
)
from .events import (
    error_reply,
    live_broadcast,
    room_group,
    typing_event,
)
from .group_posting import Send
from .in_flight import ChangesInFlight
from .membership_commands import RoomMembership
from .presence import (
    PresenceHeartbeat,
)
from .watching import RoomWatch

logger = logging.getLogger(__name__)

# The websocket subprotocol through which a client opts in to the protocol's extensions.
PROTOCOL_V2 = "chat.v2"

# The protocol's commands (docs/protocol.md, "Frames"): each is handled by cmd_<name>
# (the conversation's edit, delete and react in rooms/conversation.py).
COMMANDS = ("join", "leave", "send", "typing", "edit", "delete", "react", "read", "watch")
# The commands stored through RoomCommit, their login looked up in their batch.
COMMITTED = ("join", "send", "edit", "delete", "react", "read")


class ChatConsumer(
    RoomMembership,
    ConversationCommands,
    ChangesInFlight,
    RoomWatch,
    RoomAccessWatch,
    InOrderDelivery,
    WebsocketConsumer,
):
    """Anonymous sockets may connect, and get USER_HAS_TO_LOGIN for every command.

    The commands are here, joining and leaving in RoomMembership
    (rooms/membership_commands.py); how a socket's changes are stored and answered in order
    without waiting for each other is ChangesInFlight's (rooms/in_flight.py); how room
    broadcasts reach a joined socket (in seq order, gaps filled from the record) is
    InOrderDelivery's (rooms/delivery.py).
    """

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.joined: dict[int, int] = {}  # room id -> highest seq sent to this socket
        self.watched: dict[int, list[int]] | None = None  # after `watch` (rooms.watching)
        self.typing_sent: dict[int, float] = {}
        self.init_changes_in_flight()

    async def connect(self) -> None:
        """Called after the permission check: accept; rooms are joined by command.

        A client that offers the `chat.v2` subprotocol gets the extended protocol
        (batch frames, changes of messages it has); any other client gets the
        multichat protocol it was written for: one JSON object per frame, each
        message once.
        """
        offered = self.scope.get("subprotocols") or []
        self.takes_batches = self.takes_changes = PROTOCOL_V2 in offered
        await self.accept(subprotocol=PROTOCOL_V2 if self.takes_batches else None)
        if self.user.is_authenticated:
            per_loop(PresenceHeartbeat).add(self)

    async def disconnect(self, code: int) -> None:
        """Called when the socket closes: leave every joined room."""
        per_loop(PresenceHeartbeat).discard(self)
        await self.unwatch_all()
        for room_id in list(self.joined):
            await self.leave(room_id, reply=False, explicit=False)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Called with each frame: one too big to hold a valid message is refused unparsed.
        (Frames over 64 KiB never get here: the server closes them with 1009.) Any frame
        but a send waits for the answers of the sends still in flight (frame_decoded)."""
        if text_data is not None and len(text_data) > max_frame_length():
            await self.changes_settled()  # answered after the sends before it
            await self.send_error(MESSAGE_TOO_LONG)
            return
        await super().receive(text_data, bytes_data)

    async def frame_decoded(self, content: Any) -> None:
        """Sends overtake the answers of the sends still in flight; any other frame (a
        bad one too) waits for them, so its answer comes after theirs."""
        is_send = isinstance(content, dict) and content.get("command") == "send"
        if self.unsettled and not is_send:
            await self.changes_settled()

    def checks_login_in_batch(self, content: Any) -> bool:
        """The commands stored through RoomCommit have the login looked up in their
        batch (the core's gated_change): one hop, not a look-up and then a commit."""
        return isinstance(content, dict) and content.get("command") in COMMITTED

    def changes_state(self, content: Any) -> bool:
        """Typing, leaves, watches and bad frames change nothing stored: their login is
        looked up at most once a second (WebsocketConsumer.login_still_valid)."""
        return False

    async def send_error(self, code: str, detail: str = "", **extra: Any) -> None:
        await self.send_json(error_reply(code, **extra))

    async def send_unavailable(self, content: Any) -> None:
        """The database or Redis is down: SERVICE_UNAVAILABLE with the frame's room and
        client_id, so the page keeps the message and sends it again."""
        extra = echoed_client_id(content)
        room_id = id_value(content.get("room")) if isinstance(content, dict) else None
        if room_id is not None:
            extra["room"] = room_id
        await self.send_error(SERVICE_UNAVAILABLE, **extra)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Called with each decoded frame: route the command, turn refusals into errors."""
        extra = echoed_client_id(content)
        try:
            if not isinstance(content, dict):
                raise ChatError(BAD_REQUEST)
            if not self.user.is_authenticated:
                raise ChatError(USER_HAS_TO_LOGIN)
            command = content.get("command")
            if not isinstance(command, str):
                raise ChatError(BAD_REQUEST)
            if command not in COMMANDS:
                raise ChatError(UNKNOWN_COMMAND)
            await getattr(self, f"cmd_{command}")(content)
        except ChatError as error:
            if error.room is not None:
                extra["room"] = error.room
            await self.changes_settled()  # a refused send answered after those before it
            await self.send_error(error.code, **extra)

    # Commands -----------------------------------------------------------------------

    async def cmd_send(self, content: dict[str, Any]) -> None:
        room_id = int_field(content, "room")
        text = content.get("message")
        if not isinstance(text, str):
            raise ChatError(BAD_REQUEST, room_id)
        client_id = client_id_field(content, room_id)
        reply_to = int_field(content, "reply_to", required=False, room=room_id)
        # Uploaded beforehand (attachments/views.py): ids of the user's uploads to the room.
        limit = settings.CHAT_MAX_ATTACHMENTS_PER_MESSAGE
        files = id_list_field(content, "attachments", room_id, limit)

        send = Send(self.user, room_id, text, client_id, reply_to, tuple(files))
        # Answered once stored, in order, while the socket reads its next frames.
        await self.hand_in(room_id, client_id, send)

    async def cmd_typing(self, content: dict[str, Any]) -> None:
        room_id = int_field(content, "room")
        if room_id not in self.joined:
            raise ChatError(ROOM_ACCESS_DENIED, room_id)
        now = time.monotonic()
        if now - self.typing_sent.get(room_id, 0) < settings.CHAT_TYPING_INTERVAL:
            return  # throttled: the indicator is still showing
        self.typing_sent[room_id] = now
        event = typing_event(room_id, self.user.get_username())
        # Not back to the typist's own sockets (live_step skips `not_to_user`).
        await self.broadcast(room_id, live_broadcast(room_id, event, not_to_user=self.user.pk))

    async def broadcast(self, room_id: int, event: dict[str, Any]) -> None:
        """Send to the room; a failing layer is logged, never fatal (clients resume)."""
        await self.broadcast_all(room_id, [event])

    async def broadcast_all(self, room_id: int, events: list[dict[str, Any]]) -> None:
        """Send several events to the room, in order, as one send to the layer."""
        try:
            await self.group_send_all(room_group(room_id), events)
        except Exception:
            logger.exception("broadcast to room %s failed; clients catch up on resume", room_id)
