"""The base consumer every websocket endpoint of the site builds on."""

from __future__ import annotations

import json
import logging
import uuid
from typing import TYPE_CHECKING, Any, cast

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import AcceptConnection, DenyConnection, StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels.sessions import InstanceSessionWrapper

from .auth import UserSockets
from .codes import (
    BAD_REQUEST,
    CLOSE_ABNORMAL,
    CLOSE_PERMISSION_DENIED,
    CLOSE_TOO_MANY_CONNECTIONS,
    SERVER_ERROR,
)
from .conf import conf
from .delivery import HubDelivery
from .hub import per_loop
from .login import LoggedOut, LoginWatch
from .logins import snapshot_of
from .outages import UNAVAILABLE
from .pacing import PacedSends
from .permissions import PermSpec, fresh_user, normalize_perms, user_passes
from .rates import awithin_rate
from .security import OpenSockets, client_ip
from .sending import Sends

if TYPE_CHECKING:
    from .permissions import AnyUser

logger = logging.getLogger(__name__)

_REQUIRED = object()
# The channel name of a socket without a layer channel (see `layer_channel`).
LOCAL_CHANNEL_PREFIX = "socket!"


# channels ships no type information: to mypy its consumer is Any.
class WebsocketConsumer(Sends, LoginWatch, HubDelivery, PacedSends, AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """A JSON consumer that checks permissions, takes client callbacks and sends commands.

    Subclasses override `receive_callback(*args)` for callback frames
    (`{"args": [...]}`) or `receive_json(content)` for a protocol of their own.

    Groups (`self.groups`, `get_groups()`, `hub_join()`) are received through
    this process's hub (one layer subscription per group per process, see
    hub.py) into a bounded inbox. Handlers run one at a time, in the order
    events arrive. The plumbing lives in mixins: the hub's inbox in delivery.py,
    the login watch in login.py, paced sends in pacing.py.
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
    user: AnyUser

    def __init__(self, *args: Any, perm: PermSpec, any_perm: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.perms = normalize_perms(perm)
        self.any_perm = any_perm
        self.init_delivery()
        self.init_login_watch()
        self.cleaned_up = False
        self.closing = False  # close() was called: no frame is handled any more
        self.open_socket_keys: list[str] = []  # counted in OpenSockets until clean-up

    @classmethod
    def as_asgi(cls, *, perm: Any = _REQUIRED, any_perm: bool = False, **initkwargs: Any) -> Any:
        """Route this consumer; `perm` is required so no endpoint is open by accident.

        (Typed Any: an ASGI application, which Django's URL patterns take though
        django-stubs' `path()` only knows views.)"""
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
            user_id = cast(int, self.user.pk)  # a logged-in user's, not AnonymousUser's None
            self.login_key = (user_id, getattr(session, "session_key", None))
            self.login_snapshot = snapshot_of(self.user)
            self.auth_user_id = user_id
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
        # Each counted with the other sockets connecting at this moment (rates.RateChecks);
        # an address over its limit is not counted against the user too.
        ip_limit = conf.WEBSOCKET_MAX_CONNECTIONS_PER_IP_PER_MINUTE
        if not await awithin_rate(f"ws-connect-ip:{ip}", ip_limit):
            return False
        if self.user.is_authenticated:
            user_limit = conf.WEBSOCKET_MAX_CONNECTIONS_PER_MINUTE
            return await awithin_rate(f"ws-connect-user:{self.user.pk}", user_limit)
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
        passes: bool = await database_sync_to_async(user_passes)(
            self.user, self.perms, self.any_perm
        )
        return passes

    # Receiving --------------------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """Called with each frame: decode, re-check permission, hand over, never crash."""
        if text_data is None:
            await self.frame_decoded(None)
            await self.send_error(BAD_REQUEST, "binary frames are not accepted")
            return
        try:
            content = json.loads(text_data)
        except (ValueError, RecursionError):
            # RecursionError: nesting deeper than Python's stack ("[" * 6000).
            await self.frame_decoded(None)
            await self.send_error(BAD_REQUEST, "frame is not JSON")
            return
        await self.frame_decoded(content)
        try:
            if self.gone or self.logged_out or not await self.login_still_valid(content):
                return
            if not await self.has_permission():
                await self.send_permission_denied()
                return
            await self.receive_json(content)
        except LoggedOut:
            pass  # closed (4401) while its change waited: nothing more is said on it
        except UNAVAILABLE as error:
            # The database or Redis is down for a moment: say so, keep the socket.
            logger.warning("%s: a service is unavailable: %r", type(self).__name__, error)
            await self.send_unavailable(content)
        except Exception:
            # A bug must not close the socket with 1011.
            logger.exception("%s failed on a client frame", type(self).__name__)
            await self.send_error(SERVER_ERROR, "the server could not handle this message")

    async def frame_decoded(self, content: Any) -> None:
        """Called with each client frame as decoded (None if it is not JSON), before it
        is checked, handled or refused: a protocol that answers frames out of their
        turn (rooms/in_flight.py) waits here. By default nothing."""

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Called with a decoded frame: callback frames are `{"args": [...]}`."""
        if not isinstance(content, dict) or not isinstance(content.get("args"), list):
            await self.send_error(BAD_REQUEST, 'a callback frame is {"args": [...]}')
            return
        await self.receive_callback(*content["args"])

    async def receive_callback(self, *args: Any) -> None:
        """Called with the arguments of a client callback. Override it."""
        await self.send_error(BAD_REQUEST, "this socket takes no callbacks")
