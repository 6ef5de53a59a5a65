"""Closing sockets whose login ended: logout, password change, deactivation.

When something may have ended a login, an `auth.changed` event naming the user
goes to one group, AUTH_GROUP. Each process takes it once through its hub and
hands it to that user's sockets, which check their own session again (see
WebsocketConsumer.auth_changed). A group per user would cost each process a
layer subscription and a receive loop for every user connected to it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Protocol

from channels.db import database_sync_to_async

from .backend import agroup_send, group_send
from .conf import conf
from .hub import RECOVERED, get_hub, spawn
from .logins import Login, LoginSnapshot, login_states, login_states_in_order
from .together import Together, lane_thread

logger = logging.getLogger(__name__)


class Socket(Protocol):
    login_key: tuple[int, str | None]  # (user id, session key)
    login_snapshot: LoginSnapshot | None  # as last checked

    def hub_deliver(self, event: dict[str, Any]) -> None:
        """Take one event for this socket; must not block."""


AUTH_GROUP = "auth.changes"


class UserSockets:
    """This event loop's logged-in sockets by user, fed by one hub subscription.

    Layer events can be lost (a Redis blip), and some changes send none (a queryset
    update(), a password set in the shell). So every WEBSOCKET_AUTH_RECHECK_SECONDS,
    and at once when the hub gets its subscription back after an outage, the logins
    of all its sockets are read again in two queries, and the sockets whose login
    changed are told, as an `auth.changed` event would have told them.
    """

    def __init__(self) -> None:
        self.by_user: dict[int, set[Socket]] = {}
        self.rechecker: asyncio.Task[None] | None = None

    async def add(self, user_id: int, socket: Socket) -> None:
        """Hand `socket` its user's auth events from when this returns on."""
        # Registered first, so that the last socket leaving meanwhile does not
        # unsubscribe the process under it.
        self.by_user.setdefault(user_id, set()).add(socket)
        if self.rechecker is None and conf.WEBSOCKET_AUTH_RECHECK_SECONDS > 0:
            self.rechecker = asyncio.get_running_loop().create_task(self.recheck_every())
        try:
            # The first socket subscribes the process; later ones return at once.
            await get_hub().subscribe(AUTH_GROUP, self)
        except BaseException:
            await self.discard(user_id, socket)
            raise

    async def discard(self, user_id: int, socket: Socket) -> None:
        """Stop handing `socket` events; the last socket out unsubscribes the process."""
        sockets = self.by_user.get(user_id)
        if sockets is not None:
            sockets.discard(socket)
            if not sockets:
                del self.by_user[user_id]
        if not self.by_user:
            if self.rechecker is not None:
                self.rechecker.cancel()
                self.rechecker = None
            await get_hub().unsubscribe(AUTH_GROUP, self)

    def hub_deliver_batch(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            if event.get("type") == RECOVERED:
                # Auth events sent during the outage are lost: look at every login.
                spawn(self.recheck_logged())
                continue
            # One user's (`user`), or the same news for many (`users`: ausers_send).
            users = event.get("users")
            user_ids: list[int] = users if isinstance(users, list) else [event.get("user", 0)]
            # auth.changed is every socket's; an event of the app's own (auser_send) goes
            # to the user's sockets that handle it, not to, say, a page's stream socket.
            handler = event.get("type", "").replace(".", "_")
            for user_id in user_ids:  # one that names no user (0) reaches none
                for socket in list(self.by_user.get(user_id, ())):
                    if getattr(socket, handler, None) is not None:
                        socket.hub_deliver(event)

    async def recheck_every(self) -> None:
        while True:
            await asyncio.sleep(conf.WEBSOCKET_AUTH_RECHECK_SECONDS)
            await self.recheck_logged()

    async def recheck_logged(self) -> None:
        try:
            await self.recheck()
        except Exception:
            # A database outage: the sockets' own commands still check.
            logger.warning("could not re-check the logins of open sockets", exc_info=True)

    async def recheck(self) -> None:
        """Tell every socket whose login changed since it connected (or was last told)."""
        sockets = [socket for group in list(self.by_user.values()) for socket in group]
        logins = {socket.login_key for socket in sockets}
        if not logins:
            return
        states = await database_sync_to_async(login_states)(logins)
        for socket in sockets:
            if states.get(socket.login_key) != socket.login_snapshot:
                socket.hub_deliver({"type": "auth.changed", "user": socket.login_key[0]})


class LoginChecks(Together[Login, "LoginSnapshot | None"]):
    """The look-ups of every socket checking its login at the same moment, in two
    queries and one thread hop (`per_loop(LoginChecks)`): a burst of frames is not a
    query and a hop per frame (changes have theirs in their own batch: logins.py).
    Where the database takes concurrent connections
    (WEBSOCKET_WRITE_LANES > 1), in a thread of their own: not queued behind the
    session look-ups of sockets connecting at the same moment."""

    def __init__(self) -> None:
        own = lane_thread(-1) if conf.WEBSOCKET_WRITE_LANES > 1 else None
        super().__init__(login_states_in_order, own)


async def auser_send(user_id: int, event: dict[str, Any]) -> None:
    """Send a layer event to every socket of one user, in every process (its `type`
    names the handler, as for a group). It rides AUTH_GROUP: one subscription per
    process, handed to the user's sockets only, not a group per user."""
    await agroup_send(AUTH_GROUP, {**event, "user": user_id})


async def ausers_send(user_ids: list[int], event: dict[str, Any]) -> None:
    """`auser_send` of the same event to many users, as one layer event (a crowd's
    news is one send and one receive per process, not one per user)."""
    await agroup_send(AUTH_GROUP, {**event, "users": list(user_ids)})


def user_send(user_id: int, event: dict[str, Any]) -> None:
    """`auser_send` from synchronous code (signals, views, services)."""
    group_send(AUTH_GROUP, {**event, "user": user_id})


def notify_auth_changed(user_id: int, *, ended_session: str | None = None) -> None:
    """Tell the user's sockets to check their login (sync; from signals and views)."""
    event: dict[str, Any] = {"type": "auth.changed", "user": user_id}
    if ended_session:
        event["session_key"] = ended_session
    try:
        group_send(AUTH_GROUP, event)
    except Exception:
        # The sockets still re-check on their next message; never fail the request.
        logger.exception("could not notify the sockets of user %s", user_id)
