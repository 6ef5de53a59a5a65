"""Who is connecting: Channels' AuthMiddleware, with the look-ups of every socket
connecting at the same moment made together.

Channels resolves each connecting socket's user in a database hop of its own: its
session, then its user. When a thousand sockets connect in the same seconds, those
hops queue one behind the other in the database thread, and the last handshakes wait
long enough for the server to drop them. Here the scopes waiting at one moment go in
one hop (`Together`): the sessions read in one query (database sessions), the users
of the model backends in one more, and each then checked as Channels checks it (the
backend named in the session, the session's hash of the password).
"""

from __future__ import annotations

import copy
from typing import Any, cast

from channels.auth import AuthMiddleware
from channels.sessions import CookieMiddleware, SessionMiddleware
from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
    load_backend,
)
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from .conf import conf
from .hub import per_loop
from .together import Together, lane_thread


def preload_sessions(sessions: list[Any]) -> None:
    """Read database sessions not read yet in one query (other engines read their own)."""
    from django.contrib.sessions.backends.db import SessionStore

    waiting = {
        s.session_key: s
        for s in sessions
        if isinstance(s, SessionStore) and s.session_key and not hasattr(s, "_session_cache")
    }
    if not waiting:
        return
    model = next(iter(waiting.values())).model
    found = dict(
        model.objects.filter(
            session_key__in=list(waiting), expire_date__gt=timezone.now()
        ).values_list("session_key", "session_data")
    )
    for key, store in waiting.items():
        if key in found:
            setattr(store, "_session_cache", store.decode(found[key]))  # noqa: B010
        else:  # as SessionStore.load does for a session that is gone
            store._session_key = None
            setattr(store, "_session_cache", {})  # noqa: B010 (what load() would set)


def users_of_scopes(scopes: list[dict[str, Any]]) -> list[Any]:
    """The user of each scope (AnonymousUser if none), as Channels' get_user finds it."""
    from django.contrib.auth.backends import ModelBackend  # (imports the models)

    sessions = [scope["session"] for scope in scopes]
    preload_sessions(sessions)
    model = get_user_model()
    wanted: dict[int, Any] = {}  # scope index -> user pk, for the model backends
    for index, session in enumerate(sessions):
        backend_path = session.get(BACKEND_SESSION_KEY)
        if backend_path in settings.AUTHENTICATION_BACKENDS and session.get(SESSION_KEY):
            backend = load_backend(backend_path)
            if type(backend).get_user is ModelBackend.get_user:
                try:
                    wanted[index] = model._meta.pk.to_python(session[SESSION_KEY])
                except ValidationError:  # not a key of the model: nobody (alone, below)
                    continue
    loaded = model._default_manager.in_bulk(set(wanted.values())) if wanted else {}
    return [
        user_of(session, loaded.get(wanted[i]) if i in wanted else None, i in wanted)
        for i, session in enumerate(sessions)
    ]


def user_of(session: Any, loaded: Any, preloaded: bool) -> Any:
    """One scope's user: the backend's, if the session's hash still matches."""
    from django.contrib.auth.backends import ModelBackend
    from django.contrib.auth.models import AnonymousUser

    backend_path = session.get(BACKEND_SESSION_KEY)
    if backend_path not in settings.AUTHENTICATION_BACKENDS or not session.get(SESSION_KEY):
        return AnonymousUser()
    backend = load_backend(backend_path)
    if preloaded:
        # A copy for each scope: two tabs of one user are two sockets, not one object.
        model_backend = cast(ModelBackend, backend)  # (checked in users_of_scopes)
        can = loaded is not None and model_backend.user_can_authenticate(loaded)
        user = copy.copy(loaded) if can else None
    else:
        try:
            user = backend.get_user(get_user_model()._meta.pk.to_python(session[SESSION_KEY]))
        except ValidationError:
            user = None
    if user is not None and hasattr(user, "get_session_auth_hash"):
        session_hash = session.get(HASH_SESSION_KEY)
        if not (session_hash and constant_time_compare(session_hash, user.get_session_auth_hash())):
            session.flush()
            user = None
    return user or AnonymousUser()


class ConnectingUsers(Together[dict[str, Any], Any]):
    """The users of the scopes connecting at one moment (`per_loop(ConnectingUsers)`),
    in a thread of their own where the database takes concurrent connections."""

    def __init__(self) -> None:
        own = lane_thread(-2) if conf.WEBSOCKET_WRITE_LANES > 1 else None
        super().__init__(users_of_scopes, own)


class TogetherAuthMiddleware(AuthMiddleware):  # type: ignore[misc]  # Channels is untyped
    """Channels' AuthMiddleware, resolving users with the others connecting now."""

    async def resolve_scope(self, scope: dict[str, Any]) -> None:
        scope["user"]._wrapped = await per_loop(ConnectingUsers)(scope)


def AuthMiddlewareTogetherStack(inner: Any) -> Any:
    """Channels' AuthMiddlewareStack (cookies, sessions, user), users looked up together."""
    return CookieMiddleware(SessionMiddleware(TogetherAuthMiddleware(inner)))
