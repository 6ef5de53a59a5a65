"""The chat consumer through the process's hub: catching up after a lost subscription,
and no subscription for a refused join."""

import pytest
from asgiref.sync import sync_to_async

from chatapp.websocket.hub import get_hub
from chatapp.websocket.testing import group_members

pytestmark = pytest.mark.django_db(transaction=True)


async def test_the_room_consumer_catches_up_from_the_record_after_the_hub_recovers(
    connect, amake_user, amake_room
):
    from rooms.consumers import ChatConsumer
    from rooms.events import room_group
    from rooms.posting import post_message

    alice, room = await amake_user("alice"), await amake_room("General")
    socket = await connect("/chat/stream/", alice)
    await socket.send_json_to({"command": "join", "room": room.pk})
    while "presence" not in await socket.receive_json_from():
        pass
    # Stored while this process's subscription was gone: no broadcast reached it.
    await sync_to_async(post_message)(room=room, author=alice, text="stored meanwhile")
    consumer = next(iter(get_hub().groups[room_group(room.pk)].members))
    assert isinstance(consumer, ChatConsumer)
    consumer.hub_deliver({"type": "hub.recovered", "group": room_group(room.pk)})
    event = await socket.receive_json_from()
    assert (event["room"], event["seq"], event["message"]) == (room.pk, 1, "stored meanwhile")


async def test_a_refused_join_leaves_no_subscription(connect, amake_user, amake_room):
    from rooms.events import room_group

    alice, staff_room = await amake_user("alice"), await amake_room("Staff", staff_only=True)
    socket = await connect("/chat/stream/", alice)
    await socket.send_json_to({"command": "join", "room": staff_room.pk})
    refusal = await socket.receive_json_from()
    assert refusal == {"error": "ROOM_ACCESS_DENIED", "room": staff_room.pk}
    assert get_hub().local_count(room_group(staff_room.pk)) == 0
    assert await group_members(room_group(staff_room.pk)) == set()
