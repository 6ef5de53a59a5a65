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
from collections.abc import Callable
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings

from chatapp.websocket import (
    SERVICE_UNAVAILABLE,
    WebsocketConsumer,
    batch_frames,
    per_loop,
    spawn,
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
    ROOM_INVALID,
    UNKNOWN_COMMAND,
    USER_HAS_TO_LOGIN,
    ChatError,
)
from .events import (
    ack_reply,
    encode,
    error_reply,
    join_reply,
    leave_reply,
    live_broadcast,
    resync_reply,
    room_group,
    typing_event,
)
from .group_joining import Join
from .group_posting import Send
from .history import REPLAY_PAGE, Joined, missed_messages
from .models import MessageType
from .notices import RoomNotices
from .presence import (
    PresenceHeartbeat,
    announce_leave_after_grace,
    broadcast_presence,
    current_presence_event,
    presence,
)
from .room_commit import RoomCommit
from .watching import RoomWatch

logger = logging.getLogger(__name__)

# The websocket subprotocol through which a client opts in to the protocol's extensions.
PROTOCOL_V2 = "chat.v2"


# The refusals that mean the user may no longer be in a room: a socket in it leaves it.
LOSES_ROOM = (ROOM_ACCESS_DENIED, ROOM_INVALID)

# The protocol's commands (docs/protocol.md, "Frames"): each is handled by cmd_<name>
# (the conversation's edit, delete and react in rooms/conversation.py).
COMMANDS = ("join", "leave", "send", "typing", "edit", "delete", "react", "read", "watch")


class ChatConsumer(
    ConversationCommands, RoomWatch, RoomAccessWatch, InOrderDelivery, WebsocketConsumer
):
    """Anonymous sockets may connect, and get USER_HAS_TO_LOGIN for every command.

    The commands are here; how room broadcasts reach a joined socket (in seq order,
    gaps filled from the record) is InOrderDelivery's job (rooms/delivery.py).
    """

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.joined: dict[int, int] = {}  # room id -> highest seq sent to this socket
        self.watched: dict[int, list[int]] | None = None  # after `watch` (rooms.watching)
        self.typing_sent: dict[int, float] = {}

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
        (Frames over 64 KiB never get here: the server closes them with 1009.)"""
        if text_data is not None and len(text_data) > max_frame_length():
            await self.send_error(MESSAGE_TOO_LONG)
            return
        await super().receive(text_data, bytes_data)

    def changes_state(self, content: Any) -> bool:
        """Joins and sends get the login look-up on every frame; typing, leaves and
        bad frames at most once a second (WebsocketConsumer.login_still_valid)."""
        return isinstance(content, dict) and content.get("command") in ("join", "send")

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
            await self.send_error(error.code, **extra)

    # Commands -----------------------------------------------------------------------

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
            joined: Joined = await per_loop(RoomCommit).change(room_id, join)
        except ChatError as error:
            if not already:
                await self.drop_room_group(room_id)
            elif error.code in LOSES_ROOM:  # no longer allowed in: nothing more of it
                await self.leave(room_id, reply=False, explicit=True)
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
        await self.change_room(room_id, client_id, send)

    async def change_room(
        self, room_id: int, client_id: str, change: Callable[[], tuple[int, dict[str, Any] | None]]
    ) -> None:
        """Run a change (a send, an edit, a deletion, a reaction) in a joined room:
        acknowledge it with its seq, then broadcast what it changed, if anything (a
        retried client_id changes nothing and is acknowledged again). `change` returns
        the seq and the layer event (rooms.events.room_broadcast), made in its thread."""
        if room_id not in self.joined:
            raise ChatError(ROOM_ACCESS_DENIED, room_id)
        try:
            # Committed with the changes of every other socket waiting at this moment.
            seq, event = await per_loop(RoomCommit).change(room_id, change)
        except ChatError as error:
            error.room = room_id
            if error.code in LOSES_ROOM:
                await self.leave(room_id, reply=False, explicit=True)
            raise
        # Stored: acknowledge before broadcasting, so a failing layer cannot hide it.
        await self.send_json(ack_reply(client_id, room_id, seq))
        if event is not None:
            await self.broadcast(room_id, event)

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

    # Membership and presence ----------------------------------------------------------

    async def enter(self, room_id: int, username: str, *, arriving: bool = True) -> None:
        store = presence()
        first = await store.join(room_id, self.user.pk, username, self.channel_name)
        # A user whose last socket just dropped is reconnecting, not arriving.
        returning = first and await store.take_leaving(room_id, self.user.pk)
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

    async def broadcast(self, room_id: int, event: dict[str, Any]) -> None:
        """Send to the room; a failing layer is logged, never fatal (clients resume)."""
        try:
            await self.group_send(room_group(room_id), event)
        except Exception:
            logger.exception("broadcast to room %s failed; clients catch up on resume", room_id)
