"""Looking logins up: what a socket remembers of its login, that login as it is now
for many sockets in two queries, and the gate that checks it inside a change's batch.

A socket (login.py's LoginWatch) keeps a snapshot of its user at connect. Before it
changes anything, the snapshot is compared with the login as it is now: a session
that ended, a user deactivated, a new password or a lost staff flag all differ. A
change handed to GroupCommit with a `LoginGate` has that comparison made in its own
batch, in the same thread hop as its writes (together.py): a burst of sends is not a
hop for the look-up and another for the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.utils import timezone
from django.utils.crypto import constant_time_compare

# (user id, session key): one login of one browser.
Login = tuple[int, "str | None"]

# What a socket remembers of its login at connect: if any of it changes (the password,
# the staff or superuser flag), its session is checked again and the app told.
LoginSnapshot = tuple[str, bool, bool]


@dataclass(frozen=True)
class LoginGate:
    """A change runs only if `login` still looks as `snapshot` says."""

    login: Login
    snapshot: LoginSnapshot | None


class LoginChanged(Exception):
    """The outcome of a gated change that did not run: its socket's login is not what
    the socket knew (it looks again, and closes or tries once more)."""


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


def login_states(logins: set[Login]) -> dict[Login, LoginSnapshot | None]:
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


def login_states_in_order(logins: list[Login]) -> list[LoginSnapshot | None]:
    """`login_states` of a list, in its order (LoginChecks)."""
    states = login_states(set(logins))
    return [states[login] for login in logins]


def changed_logins(gates: list[LoginGate | None]) -> list[bool]:
    """For each gate, whether its login differs from its snapshot now (False for no
    gate): the look-ups of a whole batch in two queries. Synchronous."""
    wanted = {gate.login for gate in gates if gate is not None}
    states = login_states(wanted) if wanted else {}
    return [gate is not None and states[gate.login] != gate.snapshot for gate in gates]


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
