"""Handshake checks: the Origin header, and how often one client may connect."""

from __future__ import annotations

import time
from typing import Any

from channels.security.websocket import OriginValidator
from django.conf import settings
from django.core.cache import cache


class SiteOriginValidator(OriginValidator):
    """Channels' ALLOWED_HOSTS origin check; a missing Origin (a native client, a script)
    is refused too unless WEBSOCKET_ALLOW_MISSING_ORIGIN is on."""

    def __init__(self, application: Any):
        super().__init__(application, settings.ALLOWED_HOSTS)

    def valid_origin(self, parsed_origin) -> bool:
        if parsed_origin is None:
            return settings.WEBSOCKET_ALLOW_MISSING_ORIGIN
        return self.validate_origin(parsed_origin)


def within_rate(key: str, limit: int, window: int = 60) -> bool:
    """Count one event for `key` in the current fixed window; False once over `limit`.

    In the cache, so every socket and (with Redis) every process shares the count.
    A limit of 0 or less turns the check off.
    """
    if limit <= 0:
        return True
    bucket = f"rate:{key}:{int(time.time() // window)}"
    cache.add(bucket, 0, timeout=window * 2)
    try:
        count = cache.incr(bucket)
    except ValueError:  # expired between add and incr
        cache.set(bucket, 1, timeout=window * 2)
        count = 1
    return count <= limit


async def awithin_rate(key: str, limit: int, window: int = 60) -> bool:
    """`within_rate` for async code (the cache call runs off the event loop)."""
    from asgiref.sync import sync_to_async

    return await sync_to_async(within_rate)(key, limit, window)


def client_ip(scope: dict[str, Any]) -> str:
    """The client address (daphne --proxy-headers puts the forwarded one here)."""
    client = scope.get("client") or ("unknown", 0)
    return str(client[0])
