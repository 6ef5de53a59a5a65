"""What counts as a service being down for a while (the database, Redis), not as a bad
request or a bug: the client gets SERVICE_UNAVAILABLE, keeps what it sent and sends it
again."""

from __future__ import annotations

from django.db import DatabaseError

UNAVAILABLE: tuple[type[Exception], ...] = (DatabaseError, ConnectionError)
try:  # Redis (channels-redis, the Redis cache) is optional: the in-memory layer needs none
    from redis.exceptions import RedisError

    UNAVAILABLE += (RedisError,)
except ImportError:  # pragma: no cover (installed wherever the site runs)
    pass
