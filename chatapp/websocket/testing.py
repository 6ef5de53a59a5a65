"""Helpers for testing websocket consumers, as `channels.testing` is for Channels.

Tests import them from here (not from conftest files), so the core's tests and the
site's use the same ones:

    socket = await open_socket(application, "/ws/x/", user=alice)
    assert (await socket.receive_json_from())["ack"] == "1"
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict, deque
from typing import Any

from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from .hub import get_hub


def frames_in(text: str) -> list[Any]:
    """The JSON frames a text frame carries: itself, or the items of a batch frame."""
    data = json.loads(text)
    if isinstance(data, dict) and isinstance(data.get("batch"), list):
        return data["batch"]
    return [data]


class ClientCommunicator(WebsocketCommunicator):
    """Reads JSON frames as the client runtime does: a batch frame's items one by one,
    as if each had come alone (`receive_from` still gives the raw frame).

    After `open_socket`, `.connected`, `.close_code`, `.subprotocol` and `.session_key`
    say how the handshake went and which session the socket holds.
    """

    connected: bool
    close_code: Any
    subprotocol: str | None
    session_key: str | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unread: deque[Any] = deque()

    async def receive_json_from(self, timeout: float = 1) -> Any:  # noqa: ASYNC109
        if not self.unread:
            self.unread.extend(frames_in(await self.receive_from(timeout)))
        return self.unread.popleft()

    async def receive_nothing(self, timeout: float = 0.1, interval: float = 0.01) -> bool:  # noqa: ASYNC109
        return not self.unread and await super().receive_nothing(timeout, interval)


def session_cookie(user: Any) -> str:
    """A real session for `user`, as the browser holds it after logging in. Synchronous."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


async def open_socket(
    application: Any,
    path: str,
    user: Any = None,
    *,
    origin: str | None = "http://localhost",
    session: str | None = None,
    subprotocols: tuple[str, ...] | list[str] = (),
    headers: list[tuple[bytes, bytes]] | None = None,
) -> ClientCommunicator:
    """Connect to `path` through `application` as a browser on http://localhost would
    (Host and Origin headers, the session cookie of `user`), and return the socket
    whatever the handshake gave: `.connected` says whether it was accepted."""
    from asgiref.sync import sync_to_async
    from django.conf import settings

    sent = [(b"host", b"localhost"), *(headers or [])]
    if origin:
        sent.append((b"origin", origin.encode()))
    if user is not None:
        session = session or await sync_to_async(session_cookie)(user)
    if session is not None:
        sent.append((b"cookie", f"{settings.SESSION_COOKIE_NAME}={session}".encode()))
    socket = ClientCommunicator(application, path, headers=sent, subprotocols=list(subprotocols))
    socket.session_key = session
    # connect() gives (True, the accepted subprotocol) or (False, the close code).
    socket.connected, socket.close_code = await socket.connect()
    socket.subprotocol = socket.close_code if socket.connected else None
    return socket


def hub_channel(group: str) -> str | None:
    """The layer channel this process's hub receives `group` on; None when the hub
    holds no subscription of it (no socket of the process is in the group)."""
    entry = get_hub().groups.get(group)
    return entry.channel if entry is not None else None


class GroupLedger:
    """The group memberships the code gave the channel layer: every `group_add` and
    `group_discard` that reached the layer and returned, per group. Layers have no
    public way to list a group; this records what was asked of the layer instead of
    reading its storage (channels-redis's keys are private)."""

    def __init__(self) -> None:
        self.groups: dict[str, set[str]] = defaultdict(set)

    def watch(self, layer: Any) -> None:
        """Record the memberships `layer` is given from now on."""
        add, discard = layer.group_add, layer.group_discard

        async def group_add(group: str, channel: str) -> None:
            await add(group, channel)
            self.groups[group].add(channel)

        async def group_discard(group: str, channel: str) -> None:
            await discard(group, channel)
            self.groups[group].discard(channel)

        layer.group_add, layer.group_discard = group_add, group_discard


_ledger = GroupLedger()


async def group_members(group: str) -> set[str]:
    """The channels in a layer group, as the layer was told since the test began
    (`isolate_layer_and_cache` starts the record)."""
    return set(_ledger.groups.get(group, ()))


def new_key_prefix(kind: str) -> str:
    """A fresh prefix for a test's channel-layer and cache keys (remembered for clean-up)."""
    prefix = f"{kind}-{uuid.uuid4().hex[:12]}"
    _used_prefixes.add(prefix)
    return prefix


_used_prefixes: set[str] = set()


def remove_redis_keys(redis_url: str) -> None:
    """Delete the keys of every prefix `new_key_prefix` gave out, from the Redis at `redis_url`."""
    if not redis_url or not _used_prefixes:
        return
    import redis

    client = redis.Redis.from_url(redis_url)
    for prefix in list(_used_prefixes):
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    _used_prefixes.clear()


def isolate_layer_and_cache(settings: Any, prefix: str) -> None:
    """Give a test its own channel-layer prefix and cache keys, on Redis or in memory
    (`settings` is pytest-django's fixture, which puts everything back afterwards)."""
    layers = {alias: dict(conf) for alias, conf in settings.CHANNEL_LAYERS.items()}
    if "CONFIG" in layers["default"]:
        layers["default"]["CONFIG"] = {**layers["default"]["CONFIG"], "prefix": prefix}
    settings.CHANNEL_LAYERS = layers  # also resets Channels' cached layer instances
    global _ledger
    _ledger = GroupLedger()
    _ledger.watch(get_channel_layer())  # the instance every consumer and hub will use
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": prefix}}
    if "locmem" in settings.CACHES["default"]["BACKEND"]:
        from django.core.cache import cache

        cache.clear()  # a process-local cache culls when full: start each test empty


def require_service(available: bool, what: str) -> None:
    """Skip a test that needs a service (Redis, PostgreSQL) that is not configured, or
    fail it when REQUIRE_SERVICES=1 says the services are there (as in CI)."""
    import os

    import pytest

    if available:
        return
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{what} is required (REQUIRE_SERVICES=1) but not configured")
    pytest.skip(f"{what} not configured")


def fix_rate_window(monkeypatch: Any) -> None:
    """Rate limits count in fixed one-minute windows: a test that fills one must not
    straddle two (a minute boundary would reset the count mid-test). Stops the clock
    the limits read, for the test (the `one_rate_window` fixtures)."""
    from types import SimpleNamespace

    from . import rates

    monkeypatch.setattr(rates, "time", SimpleNamespace(time=lambda: 1_000_000 * 60.0))
