"""Closing sockets whose login ended: logout, password change, deactivation.

When something may have ended a login, an `auth.changed` event naming the user
goes to one group, AUTH_GROUP. Each process takes it once through its hub and
hands it to that user's sockets, which check their own session again (see
WebsocketConsumer.auth_changed). A group per user would cost each process a
layer subscription and a receive loop for every user connected to it.
"""

from __future__ import annotations

import logging
from importlib import import_module
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.utils.crypto import constant_time_compare

from .hub import get_hub

logger = logging.getLogger(__name__)


class Socket(Protocol):
    def hub_deliver(self, event: dict[str, Any]) -> None:
        """Take one event for this socket; must not block."""


AUTH_GROUP = "auth.changes"


class UserSockets:
    """This event loop's logged-in sockets by user, fed by one hub subscription."""

    def __init__(self) -> None:
        self.by_user: dict[int, set[Socket]] = {}

    async def add(self, user_id: int, socket: Socket) -> None:
        """Hand `socket` its user's auth events from when this returns on."""
        # Registered first, so that the last socket leaving meanwhile does not
        # unsubscribe the process under it.
        self.by_user.setdefault(user_id, set()).add(socket)
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
            await get_hub().unsubscribe(AUTH_GROUP, self)

    def hub_deliver_batch(self, events: list[dict[str, Any]]) -> None:
        for event in events:
            for socket in list(self.by_user.get(event.get("user"), ())):
                socket.hub_deliver(event)


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


def notify_auth_changed(user_id: int, *, ended_session: str | None = None) -> None:
    """Tell the user's sockets to check their login (sync; from signals and views)."""
    from .backend import group_send

    event: dict[str, Any] = {"type": "auth.changed", "user": user_id}
    if ended_session:
        event["session_key"] = ended_session
    try:
        group_send(AUTH_GROUP, event)
    except Exception:
        # The sockets still re-check on their next message; never fail the request.
        logger.exception("could not notify the sockets of user %s", user_id)
