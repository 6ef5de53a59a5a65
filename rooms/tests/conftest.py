"""Fixtures and helpers of the chat socket tests."""

import pytest
from asgiref.sync import sync_to_async

from rooms.models import Message, Room

STREAM = "/chat/stream/"

stored_count = sync_to_async(lambda: Message.objects.count())


@pytest.fixture
async def room(amake_room):
    return await amake_room("General")


@pytest.fixture
async def alice(amake_user):
    return await amake_user("alice")


@pytest.fixture
async def bob(amake_user):
    return await amake_user("bob")


async def drain(socket):
    """Everything the socket has been sent so far."""
    frames = []
    while not await socket.receive_nothing(timeout=0.2):
        frames.append(await socket.receive_json_from())
    return frames


async def joined(connect, user, *rooms):
    """A socket of `user` that has joined `rooms`, with the join replies consumed."""
    socket = await connect(STREAM, user)
    for room in rooms:
        await socket.send_json_to({"command": "join", "room": room.pk})
        reply = await socket.receive_json_from()
        last_seq = await sync_to_async(Room.objects.values_list("last_seq", flat=True).get)(
            pk=room.pk
        )
        assert reply == {"join": room.pk, "title": room.title, "seq": last_seq}
        await drain(socket)  # history and our own enter notice
    return socket
