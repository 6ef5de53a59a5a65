"""Fixtures shared by every test: factories, isolation, and the service gate."""

from __future__ import annotations

import json
import os
import uuid
from collections import deque

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
TEST_PASSWORD = "correct-horse-battery-staple-42"  # noqa: S105 (test accounts only)


def require_service(available: bool, what: str) -> None:
    """Skip a test that needs a service, or fail it when CI says the services are there."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (REQUIRE_SERVICES=1) but not configured")
    pytest.skip(f"{what} not configured")


@pytest.fixture
def needs_redis():
    from django.conf import settings

    require_service(bool(settings.REDIS_URL), "Redis (REDIS_URL)")


@pytest.fixture
def needs_postgres():
    from django.db import connection

    require_service(connection.vendor == "postgresql", "PostgreSQL (DATABASE_URL)")


_used_prefixes: set[str] = set()


@pytest.fixture(autouse=True, scope="session")
def _remove_redis_keys_after_the_run():
    """Tests use fresh key prefixes; delete their keys when the run ends."""
    yield
    from django.conf import settings

    if not settings.REDIS_URL or not _used_prefixes:
        return
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    for prefix in _used_prefixes:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)


def new_prefix(kind: str) -> str:
    prefix = f"{kind}-{uuid.uuid4().hex[:12]}"
    _used_prefixes.add(prefix)
    return prefix


@pytest.fixture(autouse=True)
def _isolated_layer_and_cache(settings):
    """Each test gets its own channel-layer prefix and cache keys, on Redis or in memory."""
    from django.core.cache import cache

    run = new_prefix("test")
    layers = {alias: dict(conf) for alias, conf in settings.CHANNEL_LAYERS.items()}
    if "CONFIG" in layers["default"]:
        layers["default"]["CONFIG"] = {**layers["default"]["CONFIG"], "prefix": run}
    settings.CHANNEL_LAYERS = layers  # also resets Channels' cached layer instances
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": run}}
    # Leave notices at once unless a test is about the grace period.
    settings.CHAT_LEAVE_GRACE_SECONDS = 0
    # Every member-list change is broadcast at once unless a test is about coalescing.
    settings.CHAT_PRESENCE_COALESCE_SECONDS = 0
    from rooms.presence import reset_local_presence

    reset_local_presence()
    yield
    cache.clear() if "locmem" in settings.CACHES["default"]["BACKEND"] else None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Run the browser tests last (after pytest-django's own ordering): they are the slowest,
    and the sync Playwright API they use relaxes Django's async-safety check for the process."""
    items.sort(key=lambda item: item.nodeid.startswith("e2e/"))


# Factories --------------------------------------------------------------------------


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


def session_cookie(user) -> str:
    """A real session for `user`, as the browser would hold it after logging in."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@pytest.fixture
async def connect(transactional_db):
    """Open a websocket through chatapp.asgi.application, as `user` (or anonymous).

    Returns the communicator with `.connected` and `.close_code` from the handshake.
    Every socket still open is disconnected after the test.
    """
    from chatapp.asgi import application

    opened = []

    async def _connect(
        path: str,
        user=None,
        *,
        origin: str | None = "http://localhost",
        app=None,
        session=None,
        subprotocols=("chat.v2",),  # as the site's own pages; () for an old client
    ):
        # The Host a browser on http://localhost sends: the origin check compares them.
        headers = [(b"host", b"localhost")]
        if origin:
            headers.append((b"origin", origin.encode()))
        if user is not None:
            session = session or await sync_to_async(session_cookie)(user)
            headers.append((b"cookie", f"sessionid={session}".encode()))
        communicator = ClientCommunicator(
            app or application, path, headers=headers, subprotocols=list(subprotocols)
        )
        communicator.session_key = session
        # connect() gives (True, the accepted subprotocol) or (False, the close code).
        communicator.connected, communicator.close_code = await communicator.connect()
        communicator.subprotocol = communicator.close_code if communicator.connected else None
        opened.append(communicator)
        return communicator

    yield _connect
    for communicator in opened:
        await communicator.disconnect()


def frames_in(text: str) -> list:
    """The JSON frames a text frame carries: itself, or the items of a batch frame."""
    data = json.loads(text)
    if isinstance(data, dict) and isinstance(data.get("batch"), list):
        return data["batch"]
    return [data]


class ClientCommunicator(WebsocketCommunicator):
    """Reads JSON frames as the client runtime does: a batch frame's items one by one,
    as if each had come alone (`receive_from` still gives the raw frame)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.unread: deque = deque()

    async def receive_json_from(self, timeout=1):  # noqa: ASYNC109 (Channels signature)
        if not self.unread:
            self.unread.extend(frames_in(await self.receive_from(timeout)))
        return self.unread.popleft()

    async def receive_nothing(self, timeout=0.1, interval=0.01):  # noqa: ASYNC109
        return not self.unread and await super().receive_nothing(timeout, interval)


@pytest.fixture
def long_linger(settings):
    """The hub waits 0.3 s after each pass, however short: what comes meanwhile batches."""
    settings.WEBSOCKET_LINGER_SHARE = 1e9
    settings.WEBSOCKET_LINGER_MAX = 0.3


async def group_members(group: str) -> set[str]:
    """The channel names in a layer group, for the in-memory and the Redis layer alike."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if hasattr(layer, "groups"):  # InMemoryChannelLayer
        return set(layer.groups.get(group, {}))
    connection = layer.connection(layer.consistent_hash(group))
    return {m.decode() for m in await connection.zrange(layer._group_key(group), 0, -1)}
