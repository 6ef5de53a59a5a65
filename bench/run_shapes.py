"""The parts of `python -m bench.run` for many small rooms and flash crowds (bench.shapes),
one user per socket, the tutorial consumer first on the same server, layer and client."""

from __future__ import annotations

import asyncio
import uuid

from .client import Result, Target
from .servers import Server
from .shapes import Crowd, ManyRooms

# What the history of a crowd's room holds (the site sends the latest 50 on a join).
CROWD_HISTORY = 50
CROWD_EXPLAINED = (
    "crowd rows: deliveries/s = sockets in per second; p50/p99/max ms = from the common "
    "start until a socket is connected (tutorial) or has its join reply and history "
    "(site); lost = handshakes or joins that failed"
)


def one_session_per_user(count: int) -> list[str]:
    """Session ids of `count` distinct users (benchuser0…), made in bulk once and kept."""
    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone

    User = get_user_model()
    names = [f"benchuser{n}" for n in range(count)]
    have = set(User.objects.filter(username__in=names).values_list("username", flat=True))
    unusable = make_password(None)
    User.objects.bulk_create(
        [User(username=name, password=unusable) for name in names if name not in have],
        batch_size=1000,
    )
    users = sorted(User.objects.filter(username__in=names), key=lambda u: int(u.username[9:]))
    backend = settings.AUTHENTICATION_BACKENDS[0]
    expires = timezone.now() + timezone.timedelta(days=1)
    store, sessions = SessionStore(), []
    for user in users:
        data = {
            SESSION_KEY: str(user.pk),
            BACKEND_SESSION_KEY: backend,
            HASH_SESSION_KEY: user.get_session_auth_hash(),
        }
        sessions.append(
            Session(
                session_key=uuid.uuid4().hex, session_data=store.encode(data), expire_date=expires
            )
        )
    Session.objects.bulk_create(sessions, batch_size=1000)
    return [s.session_key for s in sessions]


def room_with_history(messages: int) -> int:
    """A fresh public room holding `messages` messages of one author."""
    from django.contrib.auth import get_user_model

    from rooms.models import Room
    from rooms.posting import post_message

    author, _ = get_user_model().objects.get_or_create(username="benchauthor")
    room = Room.objects.create(title=f"Crowd {uuid.uuid4().hex[:6]}")
    for n in range(messages):
        post_message(room=room, author=author, text=f"history {n}: " + "words " * 8)
    return room.pk


class ShapeParts:
    """Mixed into bench.run.Bench (self.args, self.env, self.new_room, self.add, Row)."""

    def shape_env(self) -> dict[str, str]:
        """The server's settings: the layer's queue bound raised for both consumers. With
        the core Redis layer all of a process's channels share one queue, bounded by
        `capacity` (1,000 here): the tutorial's thousand sockets overflow it in these
        shapes and it drops half of what it should deliver (the site's sockets share one
        layer member per room and process, and never come near the bound)."""
        return self.env(self.args.layer) | {"CHANNEL_LAYER_CAPACITY": "100000"}

    async def part_rooms(self) -> None:
        """100 rooms x 10 sockets (--rooms, --per-room): one sender per room sends
        --room-messages back to back, every room at once."""
        from .run import Row

        rooms, per_room = self.args.rooms, self.args.per_room
        cookies = await asyncio.to_thread(one_session_per_user, rooms * per_room)
        for consumer in self.args.consumers:
            server = Server("daphne", self.shape_env())
            targets = [
                Target(
                    kind=consumer,
                    bases=[server.base],
                    room_id=await self.new_room() if consumer == "rooms" else 0,
                    room_name=uuid.uuid4().hex[:8],
                    cookies=cookies[r * per_room : (r + 1) * per_room],
                )
                for r in range(rooms)
            ]
            shape = ManyRooms(targets)
            try:
                await shape.open(per_room)
                await asyncio.sleep(1.0)  # join-time traffic settles
                server.start_profile(f"rooms-{consumer}")
                result = await shape.burst(self.args.room_messages)
                server.stop_profile()
            finally:
                await shape.close()
                server.stop()
            self.add(Row("rooms", consumer, "daphne", self.args.layer, 1, result))

    async def part_crowd(self) -> None:
        """--crowd sockets (one user each) open one room with 50 messages of history at
        the same moment; with the server's RSS per socket once they are in."""
        from .run import Row

        for count in self.args.crowd:
            cookies = await asyncio.to_thread(one_session_per_user, count)
            for consumer in self.args.consumers:
                result, note = await self.crowd_once(consumer, count, cookies)
                self.add(Row("crowd", consumer, "daphne", self.args.layer, 1, result))
                self.add(Row("crowd-memory", consumer, "daphne", self.args.layer, 1, result, note))
        print(CROWD_EXPLAINED, flush=True)

    async def crowd_once(self, consumer: str, count: int, cookies: list[str]) -> tuple[Result, str]:
        server = Server("daphne", self.shape_env())
        room_id = 0
        if consumer == "rooms":
            room_id = await asyncio.to_thread(room_with_history, CROWD_HISTORY)
        target = Target(
            kind=consumer,
            bases=[server.base],
            room_id=room_id,
            room_name=uuid.uuid4().hex[:8],
            cookies=cookies,
        )
        crowd = Crowd(target, CROWD_HISTORY if consumer == "rooms" else 0)
        try:
            await self.warm_up(consumer, server)
            before = server.rss_bytes()
            server.start_profile(f"crowd-{count}-{consumer}")
            result = await crowd.arrive(count)
            server.stop_profile()
            for error, times in crowd.errors.most_common(6):
                print(f"{consumer}: {times} x {error}", flush=True)
            await asyncio.sleep(3.0)
            after = server.rss_bytes()
        finally:
            await crowd.close()
            server.stop()
        per_socket = (after - before) / max(1, result.deliveries) / 1024  # those that got in
        return result, f"{per_socket:.1f} KB RSS per socket in the crowd ({after / 2**20:.0f} MB)"

    async def warm_up(self, consumer: str, server: Server) -> None:
        """One socket in and out of another room: imports, pools and caches are made
        before the crowd, as on a server that has been up a while."""
        from .client import Load

        target = Target(
            kind=consumer,
            bases=[server.base],
            room_id=await self.new_room() if consumer == "rooms" else 0,
            room_name=uuid.uuid4().hex[:8],
            cookies=self.cookies,
        )
        load = Load(target)
        await load.open(2)
        await load.close()
        await asyncio.sleep(0.5)
