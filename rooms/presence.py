"""Who is in a room, counted per connection so that many tabs make one user.

The counts live in the cache (Redis in production, so every daphne process
shares them). Enter and leave notices go out only when a user's first socket
joins a room and when their last one leaves it.
"""

from __future__ import annotations

from django.core.cache import cache

# Refreshed on every join; bounds how long a crashed process can leave a count behind.
PRESENCE_TTL = 60 * 60


def _key(room_id: int, user_id: int) -> str:
    return f"chat:presence:{room_id}:{user_id}"


def socket_joined(room_id: int, user_id: int) -> bool:
    """Count one more socket of the user in the room; True if it is their first."""
    key = _key(room_id, user_id)
    cache.add(key, 0, timeout=PRESENCE_TTL)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=PRESENCE_TTL)
        count = 1
    cache.touch(key, PRESENCE_TTL)
    return count == 1


def socket_left(room_id: int, user_id: int) -> bool:
    """Count one socket of the user fewer; True if it was their last."""
    key = _key(room_id, user_id)
    try:
        count = cache.decr(key)
    except ValueError:  # expired or never counted: treat as the last one
        return True
    if count <= 0:
        cache.delete(key)
        return True
    return False
