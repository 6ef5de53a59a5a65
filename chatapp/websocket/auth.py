"""Closing sockets whose login ended: logout, password change, deactivation.

Every authenticated socket joins its user's group. When something may have
ended a login, an `auth.changed` event goes to that group and each socket
checks its own session again (see WebsocketConsumer.auth_changed).
"""

from __future__ import annotations

import logging
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.utils.crypto import constant_time_compare

logger = logging.getLogger(__name__)


def user_group(user_id: int) -> str:
    """The group of every socket of one user."""
    return f"user.{user_id}"


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

    event: dict[str, Any] = {"type": "auth.changed"}
    if ended_session:
        event["session_key"] = ended_session
    try:
        group_send(user_group(user_id), event)
    except Exception:
        # The sockets still re-check on their next message; never fail the request.
        logger.exception("could not notify the sockets of user %s", user_id)
