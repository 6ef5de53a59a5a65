"""Rate limits: a count per key in a fixed window, kept in the cache so that every
socket and (with Redis) every process shares it.

`within_rates` counts many keys at once: with Redis, in one round trip (a pipeline of
`SET key 0 EX ttl NX` and `INCR key` per key: the same two steps `within_rate` makes
through the cache's API, where `incr` alone costs two round trips), else one by one.
A crowd connecting, or a batch of sends, counts its limits together: `RateChecks`
gathers the checks of every socket waiting at one moment into one call, in a thread
of its own (not queued behind the database's batches).
"""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches

from .together import Together, lane_thread

# (key, limit, window in seconds)
Rate = tuple[str, int, int]


def _bucket(key: str, window: int) -> str:
    return f"rate:{key}:{int(time.time() // window)}"


def within_rate(key: str, limit: int, window: int = 60) -> bool:
    """Count one event for `key` in the current fixed window; False once over `limit`.
    A limit of 0 or less turns the check off. Synchronous."""
    if limit <= 0:
        return True
    bucket = _bucket(key, window)
    cache.add(bucket, 0, timeout=window * 2)
    try:
        count = cache.incr(bucket)
    except ValueError:  # expired between add and incr
        cache.set(bucket, 1, timeout=window * 2)
        count = 1
    return count <= limit


def within_rates(rates: list[Rate]) -> list[bool]:
    """`within_rate` of each, in order (the same key twice counts twice). Synchronous."""
    counted = [(index, rate) for index, rate in enumerate(rates) if rate[1] > 0]
    allowed = [True] * len(rates)
    client = _redis_client()
    if client is None:
        for index, (key, limit, window) in counted:
            allowed[index] = within_rate(key, limit, window)
        return allowed
    pipe = client.pipeline(transaction=False)
    for _, (key, _, window) in counted:
        name = cache.make_and_validate_key(_bucket(key, window))
        pipe.set(name, 0, ex=window * 2, nx=True)
        pipe.incr(name)
    counts = pipe.execute()[1::2]  # each INCR's answer
    for (index, (_, limit, _)), count in zip(counted, counts, strict=True):
        allowed[index] = int(count) <= limit
    return allowed


def _redis_client() -> Any | None:
    """The Redis client of Django's own Redis cache backend, if that is the cache (its
    integers are stored as Redis integers, so INCR counts what `cache.incr` counts)."""
    from django.core.cache.backends.redis import RedisCache

    backend = caches[DEFAULT_CACHE_ALIAS]
    if not isinstance(backend, RedisCache):
        return None
    return backend._cache.get_client(None, write=True)


class RateChecks(Together[Rate, bool]):
    """The rate checks of every socket waiting at one moment, in one call and one round
    trip, in a thread of their own (`per_loop(RateChecks)`)."""

    def __init__(self) -> None:
        super().__init__(within_rates, lane_thread(-3))


async def awithin_rate(key: str, limit: int, window: int = 60) -> bool:
    """`within_rate` for async code: counted with those of other sockets at this moment."""
    from .hub import per_loop

    if limit <= 0:
        return True
    return await per_loop(RateChecks)((key, limit, window))
