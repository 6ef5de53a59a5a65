"""Fixtures shared by every test: factories, isolation, and the service gate."""

from __future__ import annotations

import uuid

import pytest
from asgiref.sync import sync_to_async

from chatapp.testing import TEST_PASSWORD
from chatapp.websocket.testing import (
    fix_rate_window,
    isolate_layer_and_cache,
    new_key_prefix,
    open_socket,
    remove_redis_keys,
    require_service,
)


@pytest.fixture
def needs_redis():
    from django.conf import settings

    require_service(bool(settings.REDIS_URL), "Redis (REDIS_URL)")


@pytest.fixture
def needs_postgres():
    from django.db import connection

    require_service(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")


@pytest.fixture(autouse=True, scope="session")
def _remove_redis_keys_after_the_run():
    """Tests use fresh key prefixes; delete their keys when the run ends."""
    yield
    from django.conf import settings

    remove_redis_keys(getattr(settings, "REDIS_URL", ""))


@pytest.fixture(autouse=True)
def _isolated_layer_and_cache(settings):
    """Each test gets its own channel-layer prefix and cache keys, on Redis or in memory."""
    from django.apps import apps

    isolate_layer_and_cache(settings, new_key_prefix("test"))
    if not apps.is_installed("rooms"):
        return  # the websocket core's own run (chatapp/websocket/tests/settings.py)
    # Leave notices at once unless a test is about the grace period.
    settings.CHAT_LEAVE_GRACE_SECONDS = 0
    # Every member-list change is broadcast at once unless a test is about coalescing.
    settings.CHAT_PRESENCE_COALESCE_SECONDS = 0
    from rooms.history import forget_latest_pages
    from rooms.presence import reset_local_presence

    reset_local_presence()
    forget_latest_pages()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Run the browser tests last (after pytest-django's own ordering): they are the slowest,
    and the sync Playwright API they use relaxes Django's async-safety check for the process."""
    items.sort(key=lambda item: item.nodeid.startswith("e2e/"))


# Factories --------------------------------------------------------------------------


@pytest.fixture
def one_rate_window(monkeypatch):
    """The site's rate limits in one fixed window for the whole test."""
    fix_rate_window(monkeypatch)


@pytest.fixture
def make_user(db):
    from django.contrib.auth import get_user_model

    def make(username: str | None = None, *, staff: bool = False, perms=(), **fields):
        from django.contrib.auth.models import Permission

        username = username or f"user-{uuid.uuid4().hex[:8]}"
        user = get_user_model().objects.create_user(
            username=username,
            email=f"{username}@example.com",
            password=TEST_PASSWORD,
            is_staff=staff,
            **fields,
        )
        for perm in perms:
            app_label, codename = perm.split(".")
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        return user

    return make


@pytest.fixture
def make_room(db):
    from rooms.models import Room

    def make(title: str | None = None, *, staff_only: bool = False, **fields):
        return Room.objects.create(
            title=title or f"Room {uuid.uuid4().hex[:6]}", staff_only=staff_only, **fields
        )

    return make


@pytest.fixture
def amake_user(make_user):
    return sync_to_async(make_user)


@pytest.fixture
def amake_room(make_room):
    return sync_to_async(make_room)


# Websockets through the routed application ------------------------------------------


@pytest.fixture
async def connect(transactional_db):
    """Open a websocket through chatapp.asgi.application, as `user` (or anonymous):
    `.connected` and `.close_code` say how the handshake went (testing.open_socket).
    Every socket still open is disconnected after the test."""
    from chatapp.asgi import application

    opened = []

    # Offers chat.v2 as the site's own pages do; subprotocols=() for an old client.
    async def _connect(path: str, user=None, *, app=None, subprotocols=("chat.v2",), **options):
        socket = await open_socket(
            app or application, path, user, subprotocols=subprotocols, **options
        )
        opened.append(socket)
        return socket

    yield _connect
    for socket in opened:
        await socket.disconnect()


@pytest.fixture
def long_linger(settings):
    """The hub waits 0.3 s after each pass, however short: what comes meanwhile batches."""
    settings.WEBSOCKET_LINGER_SHARE = 1e9
    settings.WEBSOCKET_LINGER_MAX = 0.3
