"""Users of sockets connecting at one moment, looked up together: each as Channels'
own look-up finds it."""

from __future__ import annotations

import pytest
from channels.auth import get_user
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from chatapp.websocket.connect_auth import users_of_scopes

pytestmark = pytest.mark.django_db(transaction=True)


def session_of(user) -> SessionStore:
    client = Client()
    client.force_login(user)
    return SessionStore(client.cookies["sessionid"].value)


def scopes() -> list[dict]:
    users = get_user_model().objects
    alice = users.create_user("alice", password="pw-alice-1")
    bob = users.create_user("bob", password="pw-bob-1")
    carol = users.create_user("carol", password="pw-carol-1")
    gone = users.create_user("gone", password="pw-gone-1")
    ended = session_of(gone)
    gone_key = ended.session_key
    ended.delete()
    changed = session_of(bob)
    bob.set_password("another-password-2")
    bob.save()
    inactive = session_of(carol)
    users.filter(pk=carol.pk).update(is_active=False)
    return [
        {"session": session_of(alice)},  # a login
        {"session": changed},  # the password changed since: its hash no longer matches
        {"session": inactive},  # deactivated
        {"session": SessionStore(gone_key)},  # the session ended
        {"session": SessionStore(None)},  # no cookie
        {"session": session_of(alice)},  # another tab
    ]


async def test_users_looked_up_together_are_those_channels_finds_one_by_one():
    from asgiref.sync import sync_to_async

    together = await sync_to_async(lambda: [str(u) for u in users_of_scopes(scopes())])()
    await sync_to_async(lambda: get_user_model().objects.all().delete())()
    alone = []
    for scope in await sync_to_async(scopes)():
        alone.append(str(await get_user(scope)))
    assert (
        together
        == alone
        == ["alice", "AnonymousUser", "AnonymousUser", "AnonymousUser", "AnonymousUser", "alice"]
    )


def test_sessions_and_users_of_a_batch_cost_two_queries():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    batch = scopes()
    with CaptureQueriesContext(connection) as queries:
        users_of_scopes(batch)
    # The sessions, the users; then ending bob's session (read, delete) as Channels does.
    assert len(queries) == 4, [q["sql"][:60] for q in queries.captured_queries]
