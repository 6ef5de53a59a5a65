"""Who is in each room, counted per connection so that many tabs make one user.

Each socket in a room is an entry that expires unless its consumer renews it
(a heartbeat), so a process killed with `kill -9` leaves no ghosts for longer
than CHAT_PRESENCE_TTL. With REDIS_URL the entries live in Redis (a sorted set
per room scored by expiry time, shared by every process); without it, in this
process's memory, which is all there is with the in-memory channel layer.

A user's last socket leaving by disconnect is only announced after
CHAT_LEAVE_GRACE_SECONDS, so that a reconnect says neither "left" nor "joined".

The second half tells rooms who is in them: member lists coalesced per room and
process (PresenceCoalescer), one heartbeat per process (PresenceHeartbeat), and the
delayed "left" notice.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from dataclasses import dataclass, field
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings

from chatapp.websocket import per_loop

from .events import live_broadcast, presence_event, room_group
from .models import MessageType
from .notices import RoomNotices

logger = logging.getLogger(__name__)


def _now() -> float:
    return time.time()


def _member(user_id: int, connection: str) -> str:
    return f"{user_id}:{connection}"


def _user_of(member: str) -> int:
    return int(member.split(":", 1)[0])


# Whether a join is the user's first socket in the room, and a leave their last, is
# counted in Redis: reading a crowded room's thousand entries back for every join
# made a crowd of n joins cost n squared entries parsed in the server.
# KEYS: the room's entries, its names. ARGV: now, member, expiry, username, user id, ttl.
JOIN_SCRIPT = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[5], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[6])
redis.call('EXPIRE', KEYS[2], ARGV[6])
local found = redis.call('ZSCAN', KEYS[1], 0, 'MATCH', ARGV[5] .. ':*', 'COUNT', 1000000)
return #found[2] / 2
"""
# KEYS: the room's entries. ARGV: now, member, user id. The user's entries left.
LEAVE_SCRIPT = """
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local found = redis.call('ZSCAN', KEYS[1], 0, 'MATCH', ARGV[3] .. ':*', 'COUNT', 1000000)
return #found[2] / 2
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
        key, names = self._key(room_id), self._key(room_id, ":names")
        ttl = settings.CHAT_PRESENCE_TTL
        script = self._script(JOIN_SCRIPT)
        now = _now()
        args = [now, _member(user_id, connection), now + ttl, username, user_id, ttl * 2]
        return await script(keys=[key, names], args=args) == 1

    async def leave(self, room_id: int, user_id: int, connection: str) -> bool:
        script = self._script(LEAVE_SCRIPT)
        args = [_now(), _member(user_id, connection), user_id]
        return await script(keys=[self._key(room_id)], args=args) == 0

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
                pipe.zadd(self._key(room_id), {_member(user_id, connection): _now() + ttl}, xx=True)
                pipe.expire(self._key(room_id), ttl * 2)
                pipe.expire(self._key(room_id, ":names"), ttl * 2)
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
        await self._client().set(self._key(room_id, f":leaving:{user_id}"), 1, ex=int(grace) + 10)

    async def take_leaving(self, room_id: int, user_id: int) -> bool:
        """True if a leave was pending for the user (and is now cancelled)."""
        return bool(await self._client().delete(self._key(room_id, f":leaving:{user_id}")))


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


# Telling rooms who is in them -----------------------------------------------------------


async def current_presence_event(room_id: int) -> dict[str, Any]:
    """Who is in the room now, as clients get it (rooms.events.presence_event)."""
    return presence_event(room_id, await presence().members(room_id))


class PresenceCoalescer:
    """At most one presence broadcast per room and window from this process.

    Every join and leave changes the member list, and each broadcast goes to the
    whole room: a thousand sockets joining would be a million deliveries. The
    first change in a window goes out at once; later ones are merged into one
    broadcast of the latest state at the window's end.
    """

    def __init__(self) -> None:
        self.quiet_until: dict[int, float] = {}
        self.scheduled: dict[int, asyncio.Task] = {}

    async def broadcast(self, room_id: int) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        if settings.CHAT_PRESENCE_COALESCE_SECONDS <= 0 or now >= self.quiet_until.get(room_id, 0):
            await self.send(room_id)
        elif room_id not in self.scheduled:
            delay = self.quiet_until[room_id] - now
            self.scheduled[room_id] = loop.create_task(self.send_later(room_id, delay))

    async def send_later(self, room_id: int, delay: float) -> None:
        await asyncio.sleep(delay)
        self.scheduled.pop(room_id, None)
        await self.send(room_id)

    async def send(self, room_id: int) -> None:
        """Broadcast the room's member list now; the next window starts here."""
        now = asyncio.get_running_loop().time()
        self.quiet_until[room_id] = now + settings.CHAT_PRESENCE_COALESCE_SECONDS
        try:
            carried = live_broadcast(room_id, await current_presence_event(room_id))
            await get_channel_layer().group_send(room_group(room_id), carried)
        except Exception:
            logger.exception("presence broadcast to room %s failed", room_id)


class PresenceHeartbeat:
    """Renews the presence entries of every socket of this process, in one pipeline
    per beat (not a task and a round trip per socket), and prunes the entries of
    processes that died without saying so."""

    def __init__(self) -> None:
        self.sockets: set[Any] = set()  # ChatConsumers, with .user and .joined
        self.task: asyncio.Task | None = None

    def add(self, socket: Any) -> None:
        self.sockets.add(socket)
        if self.task is None:
            self.task = asyncio.get_running_loop().create_task(self.beat())

    def discard(self, socket: Any) -> None:
        self.sockets.discard(socket)
        if not self.sockets and self.task is not None:
            self.task.cancel()
            self.task = None

    async def beat(self) -> None:
        while True:
            await asyncio.sleep(settings.CHAT_PRESENCE_HEARTBEAT)
            try:
                entries = [
                    (room_id, socket.user.pk, socket.channel_name)
                    for socket in list(self.sockets)
                    for room_id in socket.joined
                ]
                store = presence()
                if entries:
                    await store.renew(entries)
                for room_id in {entry[0] for entry in entries}:
                    if await store.prune(room_id):
                        await broadcast_presence(room_id)
            except Exception:
                logger.exception("presence heartbeat failed; retrying")


async def broadcast_presence(room_id: int) -> None:
    """Tell the room who is in it now (coalesced per process, see PresenceCoalescer)."""
    await per_loop(PresenceCoalescer).broadcast(room_id)


async def announce_leave_after_grace(room_id: int, user_id: int, username: str) -> None:
    """Say "left" if the user has not come back within the grace period."""
    await asyncio.sleep(settings.CHAT_LEAVE_GRACE_SECONDS)
    try:
        store = presence()
        if not await store.take_leaving(room_id, user_id):
            return  # they came back
        await per_loop(RoomNotices).tell(room_id, username, MessageType.LEAVE)
        await broadcast_presence(room_id)
    except Exception:
        # Only the notice is lost: presence entries expire by themselves.
        logger.exception("could not announce that user %s left room %s", user_id, room_id)
