"""The base consumer every websocket endpoint of the site builds on."""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import time
import uuid
from collections import deque
from collections.abc import Coroutine, Iterable
from typing import TYPE_CHECKING, Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import AcceptConnection, DenyConnection, StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels.sessions import InstanceSessionWrapper
from django.db import DatabaseError
from redis.exceptions import RedisError

from .auth import LoginSnapshot, UserSockets, login_state, session_is_valid, snapshot_of
from .codes import (
    CLOSE_ABNORMAL,
    CLOSE_LOGGED_OUT,
    CLOSE_PERMISSION_DENIED,
    CLOSE_TOO_MANY_CONNECTIONS,
    CLOSE_TOO_SLOW,
    WRITE_BUFFER_EXTENSION,
)
from .commands import Command, batch_frames, commands_event, encode_commands
from .conf import conf
from .hub import get_hub, per_loop, spawn
from .permissions import PermSpec, fresh_user, normalize_perms, user_passes
from .security import OpenSockets, awithin_rate, client_ip
from .turns import Turns

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

logger = logging.getLogger(__name__)

# Errors of a service that is down for a while (the database, Redis), not of the
# request: the client gets SERVICE_UNAVAILABLE and may try again.
UNAVAILABLE = (DatabaseError, RedisError, ConnectionError)
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
# A login may be re-validated a moment before the view that changed it updates the
# session (password change); look again after this before closing.
AUTH_RECHECK_DELAY = 0.3

# A frame that changes nothing (typing, a bad frame) looks the login up again only
# when the last look-up is older than this: a flood of them is not a flood of queries.
LOGIN_RECHECK_IDLE = 1.0
# How often a paced send looks whether the client took what was sent.
DRAIN_POLL_SECONDS = 0.02

_REQUIRED = object()
# The channel name of a socket without a layer channel (see `layer_channel`).
LOCAL_CHANNEL_PREFIX = "socket!"


class WebsocketConsumer(AsyncJsonWebsocketConsumer):
    """A JSON consumer that checks permissions, takes client callbacks and sends commands.

    Subclasses override `receive_callback(*args)` for callback frames
    (`{"args": [...]}`) or `receive_json(content)` for a protocol of their own.

    Groups (`self.groups`, `get_groups()`, `hub_join()`) are received through
    this process's hub (one layer subscription per group per process, see
    hub.py) into a bounded inbox. Handlers run one at a time, in the order
    events arrive.
    """

    # Whether the socket has a channel of its own on the channel layer, so that
    # other processes can `channel_layer.send(consumer.channel_name, ...)` to it.
    # Off by default: everything the site sends goes to groups, and a receiving
    # channel per socket costs every idle socket a receive loop (tasks, futures, a
    # queue); channels-redis also keeps a buffer for each channel whose receive was
    # cancelled while it held the layer's read, so a server with reconnecting
    # sockets grows. Without one, `channel_name` is still unique (logs, presence).
    layer_channel = False

    # Whether the client takes `{"batch": [...]}` frames (the client runtime does). A
    # consumer whose clients may not (an older protocol) sets it per socket; they then
    # get the same frames one by one.
    takes_batches = True

    perms: tuple[str, ...] | None
    any_perm: bool
    user: AbstractBaseUser | AnonymousUser

    def __init__(self, *args: Any, perm: PermSpec, any_perm: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.perms = normalize_perms(perm)
        self.any_perm = any_perm
        self.hub_groups: set[str] = set()
        self.auth_user_id: int | None = None  # set while in UserSockets
        self.inbox: deque[dict[str, Any]] | None = None  # made when first needed
        self.inbox_task: asyncio.Task | None = None
        self.inbox_closed = False
        self.cleaned_up = False
        self.logged_out = False  # closed with 4401: no command is handled any more
        self.closing = False  # close() was called: no frame is handled any more
        self.login_checked = -LOGIN_RECHECK_IDLE  # when login_still_valid last looked
        self.login_key: tuple[int, str | None] = (0, None)  # (user id, session key)
        self.login_snapshot: LoginSnapshot | None = None
        self.open_socket_keys: list[str] = []  # counted in OpenSockets until clean-up
        # Hub events are handled in the hub's step or in a task of their own, beside
        # the consumer's main loop; this keeps every handler serial, as if all
        # events came through the consumer's one queue.
        self.turns = Turns()

    @classmethod
    def as_asgi(cls, *, perm: Any = _REQUIRED, any_perm: bool = False, **initkwargs: Any):
        """Route this consumer; `perm` is required so no endpoint is open by accident."""
        if perm is _REQUIRED:
            raise TypeError(
                f"{cls.__name__}.as_asgi() needs perm=: a permission name, a list, "
                "or NO_PERM_REQUIRED"
            )
        normalize_perms(perm)  # fail at import time, not at the first connection
        return super().as_asgi(perm=perm, any_perm=any_perm, **initkwargs)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        # Channels' session middleware wraps `send` to save sessions on HTTP
        # responses; on a websocket it only costs a session lookup per frame.
        wrapper = getattr(send, "__self__", None)
        if isinstance(wrapper, InstanceSessionWrapper):
            send = wrapper.real_send
        if self.layer_channel:
            try:
                await super().__call__(scope, receive, send)
            finally:
                await self.clean_up(CLOSE_ABNORMAL)
            return
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = f"{LOCAL_CHANNEL_PREFIX}{uuid.uuid4().hex}"
        self.base_send = send
        try:
            while True:
                await self.dispatch(await receive())
        except StopConsumer:
            pass
        finally:
            # However the socket ends (a bug, a cancelled task), leave the hub and run
            # the subclass's disconnect: a member list must not keep a dead socket.
            await self.clean_up(CLOSE_ABNORMAL)

    # Dispatch -----------------------------------------------------------------

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Called for every ASGI message and layer event; routes it to its handler by type.

        Unlike Channels' own dispatch, no thread hop to close database connections
        runs before each event: ORM work goes through database_sync_to_async,
        which closes stale connections around the work itself.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            logger.error(
                "%s has no handler for event type %r", type(self).__name__, message["type"]
            )
            return
        if not self.turns.try_take():
            await self.turns.take()
        try:
            await handler(message)
        finally:
            self.turns.give_back()

    # The hub --------------------------------------------------------------------

    async def hub_join(self, group: str) -> None:
        """Receive `group`'s events through the process's hub, from when this returns on."""
        if group not in self.hub_groups:
            self.hub_groups.add(group)
            await get_hub().subscribe(group, self)

    async def hub_leave(self, group: str) -> None:
        """Stop receiving `group`'s events (those already in the inbox are still handled)."""
        if group in self.hub_groups:
            self.hub_groups.discard(group)
            await get_hub().unsubscribe(group, self)

    @property
    def idle(self) -> bool:
        """No hub event is queued and no handler is running."""
        return self.inbox_task is None and not self.turns.taken

    def hub_deliver_batch(self, events: list[dict[str, Any]]) -> None:
        """Called by the hub with a joined group's next events, in order; never blocks.

        When the socket is idle and `frames_of()` turns every event into frames, they
        go out as one batch frame: under load, one write instead of several.
        """
        if len(events) > 1 and self.idle and not self.inbox_closed:
            frames = self.frames_of(events)
            if frames is not None:
                texts = batch_frames(frames) if self.takes_batches else frames
                self.hub_deliver({"type": "hub.frames", "texts": texts})
                return
        for event in events:
            self.hub_deliver(event)

    def frames_of(self, events: list[dict[str, Any]]) -> list[str] | None:
        """The frames that hand `events` to the client, if that is all their handlers
        would do (nothing to await); None to run the handlers one by one. Override it
        for events that carry a pre-encoded frame (the rooms consumer does)."""
        return None

    async def hub_frames(self, event: dict[str, Any]) -> None:
        """Called with the frames `hub_deliver_batch()` made of several events: batch
        frames, or one frame per event for a client that does not take batches."""
        for text in event["texts"]:
            await self.send_frame(text)

    def hub_deliver(self, event: dict[str, Any]) -> None:
        """Take one event (of a group or `channel_send`): handle it now or queue it."""
        if self.inbox_closed:
            return
        if self.inbox is not None and len(self.inbox) >= conf.WEBSOCKET_INBOX_SIZE:
            # This client does not keep up. Close it rather than buffer without bound;
            # it reconnects and catches up from the record.
            self.inbox_closed = True
            self.inbox = None
            logger.warning("closing %s: inbox overflowed", self.channel_name)
            spawn(self.close_too_slow())
            return
        if self.idle:
            # Nothing queued and no handler running: handle it right here, in the
            # hub's step. Usually the handler only writes to the socket and never
            # waits, and a task per delivery (most of the hub's cost) is saved.
            self.dispatch_eagerly(event)
            return
        if self.inbox is None:
            self.inbox = deque()
        self.inbox.append(event)
        if self.inbox_task is None:
            self.inbox_task = asyncio.get_running_loop().create_task(self.handle_inbox())

    def dispatch_eagerly(self, event: dict[str, Any]) -> None:
        """Run the handler until it first waits; if it does, finish it in a task.

        It runs in a context of its own, as a task would, and the task that finishes
        it gets that same context: context variables set on the way (asgiref marks
        a running database call in one) must not leak into the hub's context.
        """
        context = contextvars.copy_context()
        handling = self.dispatch(event)
        try:
            waiting_on = context.run(handling.send, None)
        except StopIteration:
            return
        except Exception:
            logger.exception("%s failed on a hub event", type(self).__name__)
            return
        resume = finish_suspended(handling, waiting_on)
        self.inbox_task = asyncio.get_running_loop().create_task(
            self.handle_inbox(resume), context=context
        )

    async def handle_inbox(self, resume: Coroutine[Any, Any, None] | None = None) -> None:
        """Handle queued hub events in order, then end (an idle socket holds no task)."""
        try:
            if resume is not None:
                await resume
            while self.inbox and not self.inbox_closed:
                await self.dispatch(self.inbox.popleft())
        except Exception:
            logger.exception("%s failed on a hub event", type(self).__name__)
        finally:
            self.inbox_task = None
        if not self.inbox:
            self.inbox = None  # an idle socket keeps no empty queue either
        elif not self.inbox_closed:
            self.inbox_task = asyncio.get_running_loop().create_task(self.handle_inbox())

    async def close_too_slow(self) -> None:
        """Called when the client does not keep up (its inbox is full, or it takes
        nothing of a replay): stop taking events and close with 4008 to resume."""
        await self.leave_hub()
        await self.close(code=CLOSE_TOO_SLOW)

    async def hub_recovered(self, event: dict[str, Any]) -> None:
        """Called when the hub got back a group subscription it had lost: events may
        have been missed. Override to catch up (the rooms consumer reads the record)."""

    async def leave_hub(self) -> None:
        """Leave every hub group and drop what is queued (at disconnect)."""
        self.inbox_closed = True
        self.inbox = None
        if self.auth_user_id is not None:
            user_id, self.auth_user_id = self.auth_user_id, None
            await per_loop(UserSockets).discard(user_id, self)
        for group in list(self.hub_groups):
            await self.hub_leave(group)

    # Connection -----------------------------------------------------------------

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        """Called on the handshake: check permission before joining any group."""
        from django.contrib.auth.models import AnonymousUser

        self.user = self.scope.get("user") or AnonymousUser()
        if not await self.connection_allowed():
            await self.accept()
            await self.close(code=CLOSE_TOO_MANY_CONNECTIONS)
            return
        if not await self.has_permission():
            await self.accept()
            await self.send_permission_denied()
            await self.close(code=CLOSE_PERMISSION_DENIED)
            return
        for group in [*self.groups, *await self.get_groups()]:
            await self.hub_join(group)
        if self.user.is_authenticated:
            # So that a logout or password change elsewhere can close this socket.
            session = self.scope.get("session")
            self.login_key = (self.user.pk, getattr(session, "session_key", None))
            self.login_snapshot = snapshot_of(self.user)
            self.auth_user_id = self.user.pk
            await per_loop(UserSockets).add(self.auth_user_id, self)
        try:
            await self.connect()
        except AcceptConnection:
            await self.accept()
        except DenyConnection:
            await self.close()

    async def websocket_disconnect(self, message: dict[str, Any]) -> None:
        """Called when the socket closes: leave the hub, then the subclass's disconnect.

        (Channels' own version also hops to a thread to close database connections;
        database_sync_to_async already does that around each piece of ORM work.)
        """
        await self.clean_up(message["code"])
        raise StopConsumer()

    async def clean_up(self, code: int) -> None:
        """Leave the hub and run `disconnect(code)`, once, however the socket ended."""
        if self.cleaned_up:
            return
        self.cleaned_up = True
        per_loop(OpenSockets).give_back(self.open_socket_keys)
        self.open_socket_keys = []
        try:
            await self.leave_hub()
            await self.disconnect(code)
        except Exception:
            logger.exception("%s failed to clean up", type(self).__name__)

    async def connection_allowed(self) -> bool:
        """Called first at connect: sockets open at once per user and client IP, and
        connection attempts per client IP and per user and minute."""
        ip = client_ip(self.scope)
        caps = [(f"ip:{ip}", conf.WEBSOCKET_MAX_SOCKETS_PER_IP)]
        if self.user.is_authenticated:
            caps.append((f"user:{self.user.pk}", conf.WEBSOCKET_MAX_SOCKETS_PER_USER))
        if not per_loop(OpenSockets).take(caps):
            return False
        self.open_socket_keys = [key for key, _ in caps]
        ip_ok = await awithin_rate(
            f"ws-connect-ip:{ip}", conf.WEBSOCKET_MAX_CONNECTIONS_PER_IP_PER_MINUTE
        )
        if not ip_ok:
            return False
        if self.user.is_authenticated:
            return await awithin_rate(
                f"ws-connect-user:{self.user.pk}", conf.WEBSOCKET_MAX_CONNECTIONS_PER_MINUTE
            )
        return True

    async def get_groups(self) -> list[str]:
        """Called at connect after the permission check: the groups this socket joins
        (through the hub)."""
        return []

    async def has_permission(self) -> bool:
        """Called at connect and before every message: reloads the user and checks `perm`.

        Reloading makes a revoked permission, a deactivation or a lost staff flag
        count from the next message on, not from the next connection.
        """
        if self.perms is None:
            return True
        user_id = getattr(self.user, "pk", None)
        self.user = await database_sync_to_async(fresh_user)(user_id)
        return await database_sync_to_async(user_passes)(self.user, self.perms, self.any_perm)

    # Receiving --------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Called with each frame: decode, re-check permission, hand over, never crash."""
        if text_data is None:
            await self.send_error("BAD_REQUEST", "binary frames are not accepted")
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):
            # RecursionError: nesting deeper than Python's stack ("[" * 6000).
            await self.send_error("BAD_REQUEST", "frame is not JSON")
            return
        try:
            if self.gone or self.logged_out or not await self.login_still_valid(content):
                return
            if not await self.has_permission():
                await self.send_permission_denied()
                return
            await self.receive_json(content)
        except UNAVAILABLE as error:
            # The database or Redis is down for a moment: say so, keep the socket.
            logger.warning("%s: a service is unavailable: %r", type(self).__name__, error)
            await self.send_unavailable(content)
        except Exception:
            # A bug must not close the socket with 1011.
            logger.exception("%s failed on a client frame", type(self).__name__)
            await self.send_error("SERVER_ERROR", "the server could not handle this message")

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Called with a decoded frame: callback frames are `{"args": [...]}`."""
        if not isinstance(content, dict) or not isinstance(content.get("args"), list):
            await self.send_error("BAD_REQUEST", 'a callback frame is {"args": [...]}')
            return
        await self.receive_callback(*content["args"])

    async def receive_callback(self, *args: Any) -> None:
        """Called with the arguments of a client callback. Override it."""
        await self.send_error("BAD_REQUEST", "this socket takes no callbacks")

    # Sending ----------------------------------------------------------------------

    async def send_error(self, code: str, detail: str = "") -> None:
        """Called on bad input: tell the client as an error command."""
        await self.channel_send_commands([["error", code, detail]])

    async def send_unavailable(self, content: Any) -> None:
        """Called when a frame failed because the database or Redis is unreachable;
        the client may send it again later."""
        await self.send_error(SERVICE_UNAVAILABLE, "a service is briefly unavailable; try again")

    async def send_permission_denied(self) -> None:
        """Tell the client it may not use this socket (the runtime shows it)."""
        await self.channel_send_commands([["permission_denied", self.scope.get("path", "")]])

    async def channel_send(self, event: dict[str, Any]) -> None:
        """Queue an event for this socket's own handlers (handled like a group event)."""
        if self.layer_channel:
            await self.channel_layer.send(self.channel_name, event)
        else:
            self.hub_deliver(event)

    async def group_send(self, group: str, event: dict[str, Any]) -> None:
        """Send a layer event to every socket of `group`."""
        await self.channel_layer.group_send(group, event)

    async def channel_send_commands(self, commands: list[Command]) -> None:
        """Send commands straight down this socket."""
        await self.send(text_data=encode_commands(commands))

    async def group_send_commands(self, group: str, commands: list[Command]) -> None:
        """Send commands to every socket of `group`, encoded once."""
        await self.group_send(group, commands_event(commands))

    async def login_still_valid(self, content: Any) -> bool:
        """Called before every frame of a logged-in socket: one cheap look-up of its
        session and user (for a frame that changes nothing, at most one a second). If
        anything changed, the full check of `auth_changed` runs (False once it closed
        the socket with 4401)."""
        if self.auth_user_id is None:
            return True
        now = time.monotonic()
        if not self.changes_state(content) and now - self.login_checked < LOGIN_RECHECK_IDLE:
            return True
        state = await database_sync_to_async(login_state)(*self.login_key)
        if state != self.login_snapshot:
            await self.auth_changed({"user": self.auth_user_id})
        self.login_checked = now
        return not self.logged_out

    def changes_state(self, content: Any) -> bool:
        """Whether a client frame may store or change something (its login is then
        checked whatever the last check said). Override for a protocol of your own:
        by default every frame does."""
        return True

    async def auth_changed(self, event: dict[str, Any]) -> None:
        """Called when the user's login may have ended or changed: close (4401) if it
        ended, else take the user as it is now and call `user_changed()`."""
        if self.logged_out or self.auth_user_id is None:
            return
        session_key = self.login_key[1]
        if event.get("session_key") and event["session_key"] != session_key:
            return  # another session of the same user ended
        if not event.get("session_key"):
            if await self.login_holds():
                return
            await asyncio.sleep(AUTH_RECHECK_DELAY)
            if await self.login_holds():
                return
        self.logged_out = True
        await self.leave_hub()  # from now on nothing more reaches this socket
        await self.close(code=CLOSE_LOGGED_OUT)

    async def login_holds(self) -> bool:
        """If the session is still valid, reload the user, remember its snapshot and
        call `user_changed()`; False if the login has ended."""
        user_id, session_key = self.login_key
        if not await database_sync_to_async(session_is_valid)(session_key, user_id):
            return False
        self.user = await database_sync_to_async(fresh_user)(user_id)
        self.login_snapshot = snapshot_of(self.user)
        await self.user_changed()
        return True

    async def user_changed(self) -> None:
        """Called when the user changed but is still logged in (e.g. lost a flag). Override."""

    async def client_commands(self, event: dict[str, Any]) -> None:
        """Called for a `client.commands` event: forward the pre-encoded frame."""
        await self.send_frame(event["text"])

    @property
    def write_buffer(self) -> dict[str, Any]:
        """The server's write-buffer extension (chatapp/serve.py, chatapp/uvicorn_ws.py),
        or nothing from a server without it."""
        return (self.scope.get("extensions") or {}).get(WRITE_BUFFER_EXTENSION) or {}

    def unsent_bytes(self) -> int:
        """Bytes sent to this socket that the client has not taken yet, where the server
        says; 0 where it does not."""
        unsent = self.write_buffer.get("unsent")
        return unsent() if unsent else 0

    @property
    def gone(self) -> bool:
        """We closed the socket, or the server closed it for not reading (4008), before
        its disconnect reached us: frames still queued are dropped unhandled, no
        database work for a client that will never see the answer. (A client that
        closes by itself still has the frames it sent before handled.)"""
        too_slow = self.write_buffer.get("too_slow")
        return self.closing or bool(too_slow and too_slow())

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        """Close the socket; frames that still come before the disconnect are dropped."""
        self.closing = True
        await super().close(code, reason)

    async def send_paced(self, frames: Iterable[str]) -> bool:
        """Send frames as the client takes them: while more than a quarter of
        WEBSOCKET_MAX_BUFFERED_BYTES is unsent, wait. A client that takes nothing for
        WEBSOCKET_DRAIN_TIMEOUT seconds is closed with 4008 (False): a long replay
        costs the server a bounded buffer, never the whole replay at once."""
        high = conf.WEBSOCKET_MAX_BUFFERED_BYTES // 4
        for text in frames:
            await self.send_frame(text)
            unsent = self.unsent_bytes()
            waited = 0.0
            while high and unsent > high:
                if self.gone:
                    return False
                await asyncio.sleep(DRAIN_POLL_SECONDS)
                now = self.unsent_bytes()
                waited = 0.0 if now < unsent else waited + DRAIN_POLL_SECONDS
                unsent = now
                if waited >= conf.WEBSOCKET_DRAIN_TIMEOUT:
                    logger.warning("closing %s: it takes nothing", self.channel_name)
                    await self.close_too_slow()
                    return False
        return True

    async def send_frame(self, text: str) -> None:
        """Send an encoded text frame: the fan-out path, without Channels' layers of send."""
        await self.base_send({"type": "websocket.send", "text": text})


async def finish_suspended(coroutine: Coroutine[Any, Any, None], waiting_on: Any) -> None:
    """Drive a coroutine started by hand (`send(None)`) that suspended on `waiting_on`
    (an asyncio future, or None for a bare yield) to its end, inside a task."""
    try:
        while True:
            if waiting_on is None:
                await asyncio.sleep(0)
            else:
                await asyncio.wait([waiting_on])
            try:
                waiting_on = coroutine.send(None)
            except StopIteration:
                return
    except asyncio.CancelledError:
        coroutine.close()  # runs its finally blocks (gives back the handler's turn)
        raise
