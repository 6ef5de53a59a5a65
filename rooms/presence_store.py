"""Where presence is kept: who is in each room, counted per connection so that many
tabs make one user.

Each socket in a room is an entry that expires unless its consumer renews it
(a heartbeat, rooms.presence.PresenceHeartbeat), so a process killed with `kill -9`
leaves no ghosts for longer than CHAT_PRESENCE_TTL. With REDIS_URL the entries live in
Redis (a sorted set per room scored by expiry time, shared by every process); without
it, in this process's memory, which is all there is with the in-memory channel layer.

Import it through rooms.presence, which also tells rooms who is in them.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from dataclasses import dataclass, field

from django.conf import settings


def _now() -> float:
    return time.time()


def _member(user_id: int, connection: str) -> str:
    return f"{user_id}:{connection}"


def _user_of(member: str) -> int:
    return int(member.split(":", 1)[0])


# Whether a join is the user's first socket in the room, and a leave their last, is
# counted in Redis, from a small sorted set of the user's own connections in the room
# (scored by expiry, like the room's): reading the room's thousand entries for every
# join made a crowd of n joins cost n squared entries, first in the server, then (a
# scan) in Redis.
# KEYS: the room's entries, its names, the user's "leaving" mark, the user's entries.
# ARGV: now, member, expiry, username, user id, ttl, connection. The user's entries
# now, and whether a first entry took a pending "left" back (one round trip).
JOIN_SCRIPT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[5], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('EXPIRE', KEYS[2], ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[7])
redis.call('EXPIRE', KEYS[4], ARGV[6])
local count = redis.call('ZCARD', KEYS[4])
local returning = 0
if count == 1 then
  returning = redis.call('DEL', KEYS[3])
end
return {count, returning}
"""
# KEYS: the room's entries, the user's entries. ARGV: now, member, connection. The
# user's entries left.
LEAVE_SCRIPT = """
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
return redis.call('ZCARD', KEYS[2])
"""


class RedisPresence:
    """Presence in Redis, shared by every process of the site."""

    def __init__(self, url: str):
        self.url = url
        self._clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._scripts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _client(self):
        import redis.asyncio as redis

        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            # A blocking pool: when thousands of sockets join at once, commands
            # wait for a free connection instead of failing ("Too many connections").
            pool = redis.BlockingConnectionPool.from_url(self.url, max_connections=50, timeout=20)
            client = self._clients[loop] = redis.Redis(connection_pool=pool)
        return client

    def _key(self, room_id: int, suffix: str = "") -> str:
        prefix = settings.CACHES["default"].get("KEY_PREFIX") or "chatapp"
        return f"{prefix}:presence:{room_id}{suffix}"

    async def join(self, room_id: int, user_id: int, username: str, connection: str) -> bool:
        return (await self.arrive(room_id, user_id, username, connection))[0]

    async def arrive(
        self, room_id: int, user_id: int, username: str, connection: str
    ) -> tuple[bool, bool]:
        """`join`, and for a first socket `take_leaving` too, in one round trip."""
        keys = [
            self._key(room_id),
            self._key(room_id, ":names"),
            self._leaving(room_id, user_id),
            self._users_entries(room_id, user_id),
        ]
        ttl = settings.CHAT_PRESENCE_TTL
        script = self._script(JOIN_SCRIPT)
        now = _now()
        member = _member(user_id, connection)
        args = [now, member, now + ttl, username, user_id, ttl * 2, connection]
        count, returning = await script(keys=keys, args=args)
        return count == 1, bool(returning)

    async def leave(self, room_id: int, user_id: int, connection: str) -> bool:
        script = self._script(LEAVE_SCRIPT)
        keys = [self._key(room_id), self._users_entries(room_id, user_id)]
        args = [_now(), _member(user_id, connection), connection]
        return await script(keys=keys, args=args) == 0

    def _script(self, source: str):
        """A Lua script on this loop's client (sent once, then run by its hash)."""
        client = self._client()
        scripts = self._scripts.setdefault(client, {})
        if source not in scripts:
            scripts[source] = client.register_script(source)
        return scripts[source]

    async def renew(self, entries: list[tuple[int, int, str]]) -> None:
        ttl = settings.CHAT_PRESENCE_TTL
        async with self._client().pipeline(transaction=False) as pipe:
            for room_id, user_id, connection in entries:
                expires = _now() + ttl
                pipe.zadd(self._key(room_id), {_member(user_id, connection): expires}, xx=True)
                pipe.expire(self._key(room_id), ttl * 2)
                pipe.expire(self._key(room_id, ":names"), ttl * 2)
                users = self._users_entries(room_id, user_id)
                pipe.zadd(users, {connection: expires}, xx=True)
                pipe.expire(users, ttl * 2)
            await pipe.execute()

    async def prune(self, room_id: int) -> int:
        """Drop expired entries (crashed processes); return how many went."""
        return await self._client().zremrangebyscore(self._key(room_id), "-inf", _now())

    async def members(self, room_id: int) -> list[str]:
        client = self._client()
        await client.zremrangebyscore(self._key(room_id), "-inf", _now())
        user_ids = sorted(
            {_user_of(m.decode()) for m in await client.zrange(self._key(room_id), 0, -1)}
        )
        if not user_ids:
            return []
        names = await client.hmget(self._key(room_id, ":names"), [str(u) for u in user_ids])
        return sorted((n.decode() for n in names if n), key=str.casefold)

    async def mark_leaving(self, room_id: int, user_id: int) -> None:
        grace = settings.CHAT_LEAVE_GRACE_SECONDS
        await self._client().set(self._leaving(room_id, user_id), 1, ex=int(grace) + 10)

    async def take_leaving(self, room_id: int, user_id: int) -> bool:
        """True if a leave was pending for the user (and is now cancelled)."""
        return bool(await self._client().delete(self._leaving(room_id, user_id)))

    def _users_entries(self, room_id: int, user_id: int) -> str:
        return self._key(room_id, f":user:{user_id}")

    def _leaving(self, room_id: int, user_id: int) -> str:
        return self._key(room_id, f":leaving:{user_id}")


@dataclass
class LocalPresence:
    """Presence in this process's memory: exact for a single process."""

    entries: dict[int, dict[str, float]] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)
    leaving: set[tuple[int, int]] = field(default_factory=set)

    def _room(self, room_id: int) -> dict[str, float]:
        room = self.entries.setdefault(room_id, {})
        now = _now()
        for member in [m for m, expires in room.items() if expires <= now]:
            del room[member]
        return room

    async def join(self, room_id: int, user_id: int, username: str, connection: str) -> bool:
        room = self._room(room_id)
        room[_member(user_id, connection)] = _now() + settings.CHAT_PRESENCE_TTL
        self.names[user_id] = username
        return sum(_user_of(m) == user_id for m in room) == 1

    async def arrive(
        self, room_id: int, user_id: int, username: str, connection: str
    ) -> tuple[bool, bool]:
        first = await self.join(room_id, user_id, username, connection)
        return first, first and await self.take_leaving(room_id, user_id)

    async def leave(self, room_id: int, user_id: int, connection: str) -> bool:
        room = self._room(room_id)
        room.pop(_member(user_id, connection), None)
        return not any(_user_of(m) == user_id for m in room)

    async def renew(self, entries: list[tuple[int, int, str]]) -> None:
        for room_id, user_id, connection in entries:
            room = self._room(room_id)
            if _member(user_id, connection) in room:
                room[_member(user_id, connection)] = _now() + settings.CHAT_PRESENCE_TTL

    async def prune(self, room_id: int) -> int:
        before = len(self.entries.get(room_id, {}))
        return before - len(self._room(room_id))

    async def members(self, room_id: int) -> list[str]:
        user_ids = {_user_of(m) for m in self._room(room_id)}
        return sorted((self.names[u] for u in user_ids), key=str.casefold)

    async def mark_leaving(self, room_id: int, user_id: int) -> None:
        self.leaving.add((room_id, user_id))

    async def take_leaving(self, room_id: int, user_id: int) -> bool:
        if (room_id, user_id) in self.leaving:
            self.leaving.discard((room_id, user_id))
            return True
        return False


_local = LocalPresence()
_redis: dict[str, RedisPresence] = {}


def presence() -> RedisPresence | LocalPresence:
    """The presence store for the current settings."""
    if settings.REDIS_URL:
        if settings.REDIS_URL not in _redis:
            _redis[settings.REDIS_URL] = RedisPresence(settings.REDIS_URL)
        return _redis[settings.REDIS_URL]
    return _local


def reset_local_presence() -> None:
    """Forget the in-process entries (tests start each case from nothing)."""
    global _local
    _local = LocalPresence()
