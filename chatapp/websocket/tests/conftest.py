"""Fixtures of the core's tests: they need nothing of the site (tests/settings.py)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from asgiref.sync import sync_to_async

from chatapp.websocket.testing import (
    fix_rate_window,
    isolate_layer_and_cache,
    new_key_prefix,
    open_socket,
    remove_redis_keys,
    require_service,
)

TEST_PASSWORD = "correct-horse-battery-staple-42"
TEMPLATES = Path(__file__).parent / "templates"


@pytest.fixture(autouse=True, scope="session")
def _remove_redis_keys_after_the_run():
    yield
    from django.conf import settings

    remove_redis_keys(getattr(settings, "REDIS_URL", ""))


@pytest.fixture(autouse=True)
def _isolated(settings):
    """A layer prefix and cache keys of the test's own; the test consumers' templates."""
    isolate_layer_and_cache(settings, new_key_prefix("core"))
    engines = [dict(engine) for engine in settings.TEMPLATES]
    engines[0]["DIRS"] = [*engines[0].get("DIRS", []), TEMPLATES]
    settings.TEMPLATES = engines


@pytest.fixture
def one_rate_window(monkeypatch):
    """The core's rate limits in one fixed window for the whole test."""
    fix_rate_window(monkeypatch)


@pytest.fixture
def needs_redis():
    from django.conf import settings

    require_service(bool(getattr(settings, "REDIS_URL", "")), "Redis (REDIS_URL)")


@pytest.fixture
def make_user(db):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    def make(username: str | None = None, *, staff: bool = False, perms=()):
        username = username or f"user-{uuid.uuid4().hex[:8]}"
        user = get_user_model().objects.create_user(
            username=username, password=TEST_PASSWORD, is_staff=staff
        )
        for perm in perms:
            app_label, codename = perm.split(".")
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        return user

    return make


@pytest.fixture
def amake_user(make_user):
    return sync_to_async(make_user)


@pytest.fixture
async def connect(transactional_db):
    """Open a websocket through the core's test application (or `app=`), as `user` or
    anonymous; every socket still open is disconnected after the test."""
    from chatapp.websocket.tests.asgi import application

    opened = []

    async def _connect(path: str, user=None, *, app=None, **options):
        socket = await open_socket(app or application, path, user, **options)
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
