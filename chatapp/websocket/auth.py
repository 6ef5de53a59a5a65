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
from importlib import import_module
from typing import Any, Protocol, TypeVar

from channels.db import database_sync_to_async
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from .backend import agroup_send, group_send
from .conf import conf
from .hub import RECOVERED, get_hub, spawn
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
            user_id: int | None = event.get("user")
            if user_id is None:
                continue  # names no user: none of the sockets is its user's
            # auth.changed is every socket's; an event of the app's own (auser_send) goes
            # to the user's sockets that handle it, not to, say, a page's stream socket.
            handler = event.get("type", "").replace(".", "_")
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


# What a socket remembers of its login at connect: if any of it changes (the password,
# the staff or superuser flag), its session is checked again and the app told.
LoginSnapshot = tuple[str, bool, bool]


def snapshot_of(user: Any) -> LoginSnapshot | None:
    """The parts of a logged-in user whose change a socket must notice."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (user.password, user.is_staff, user.is_superuser)


def _sessions_in_database() -> bool:
    return settings.SESSION_ENGINE in (
        "django.contrib.sessions.backends.db",
        "django.contrib.sessions.backends.cached_db",
    )


def login_states(
    logins: set[tuple[int, str | None]],
) -> dict[tuple[int, str | None], LoginSnapshot | None]:
    """The snapshot of each login now, or None if its session ended or its user is
    gone or inactive: two queries for any number of logins (a pair per 500: SQLite
    allows 999 parameters a query), no session decoding, no password hashing; a
    changed snapshot is what calls for the full check (session_is_valid).
    Synchronous."""
    users: dict[int, LoginSnapshot] = {}
    for ids in chunks({user_id for user_id, _ in logins}):
        rows = get_user_model().objects.filter(pk__in=ids, is_active=True)
        for pk, password, staff, superuser in rows.values_list(
            "pk", "password", "is_staff", "is_superuser"
        ):
            users[pk] = (password, staff, superuser)
    keys = {key for _, key in logins if key}
    if _sessions_in_database():
        from django.contrib.sessions.models import Session

        alive: set[str] = set()
        for some in chunks(keys):
            sessions = Session.objects.filter(session_key__in=some, expire_date__gt=timezone.now())
            alive.update(sessions.values_list("session_key", flat=True))
    else:
        store = import_module(settings.SESSION_ENGINE).SessionStore()
        alive = {key for key in keys if store.exists(key)}
    return {(user_id, key): users.get(user_id) if key in alive else None for user_id, key in logins}


def login_states_in_order(
    logins: list[tuple[int, str | None]],
) -> list[LoginSnapshot | None]:
    """`login_states` of a list, in its order (LoginChecks)."""
    states = login_states(set(logins))
    return [states[login] for login in logins]


class LoginChecks(Together[tuple[int, str | None], "LoginSnapshot | None"]):
    """The look-ups of every socket checking its login at the same moment, in two
    queries and one thread hop (`per_loop(LoginChecks)`): a burst of sends is not a
    query and a hop per send. Where the database takes concurrent connections
    (WEBSOCKET_WRITE_LANES > 1), in a thread of their own: not queued behind the
    session look-ups of sockets connecting at the same moment."""

    def __init__(self) -> None:
        own = lane_thread(-1) if conf.WEBSOCKET_WRITE_LANES > 1 else None
        super().__init__(login_states_in_order, own)


T = TypeVar("T")


def chunks(items: set[T], size: int = 500) -> list[list[T]]:
    """`items` in lists of at most `size`."""
    ordered = list(items)
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]


def session_is_valid(session_key: str | None, user_id: int) -> bool:
    """True if the session still logs in this active user with their current password.

    Synchronous: call through database_sync_to_async.
    """
    if not session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    if str(store.get(SESSION_KEY)) != str(user_id):
        return False
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    session_hash = store.get(HASH_SESSION_KEY) or ""
    return constant_time_compare(session_hash, user.get_session_auth_hash())


async def auser_send(user_id: int, event: dict[str, Any]) -> None:
    """Send a layer event to every socket of one user, in every process (its `type`
    names the handler, as for a group). It rides AUTH_GROUP: one subscription per
    process, handed to the user's sockets only, not a group per user."""
    await agroup_send(AUTH_GROUP, {**event, "user": user_id})


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
