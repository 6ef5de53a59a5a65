"""Per-key rate limits of the site's own actions (joins, sends): a fixed window in the cache.

The websocket core counts its own limits (connections, callbacks) itself, so that it
can be lifted into another project alone; this is the one the chat's domain uses.
"""

from __future__ import annotations

import time

from django.core.cache import cache


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
