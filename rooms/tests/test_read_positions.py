"""`read`: the user's read position in a room, moved forward only, the same on every
device, with the count of what is unread after it."""

import pytest
from asgiref.sync import sync_to_async

from rooms.changes import delete_message
from rooms.models import Membership, RoomKind
from rooms.posting import post_message

from .conftest import STREAM, drain, joined

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def say(room, author, *texts):
    for text in texts:
        post_message(room=room, author=author, text=text)


def reads(frames):
    return [f for f in frames if "read" in f]


async def test_reading_on_one_device_moves_the_position_on_every_device(connect, room, alice, bob):
    phone, laptop = await joined(connect, alice, room), await joined(connect, alice, room)
    bobs = await joined(connect, bob, room)
    await say(room, bob, "one", "two", "three")
    await drain(phone), await drain(laptop), await drain(bobs)
    await phone.send_json_to({"command": "read", "room": room.pk, "seq": 2})
    expected = {"read": room.pk, "seq": 2, "unread": 1, "mentions": 0}
    assert reads(await drain(phone)) == [expected]
    assert reads(await drain(laptop)) == [expected]
    assert reads(await drain(bobs)) == []  # another user's position is theirs alone
    read_seq = sync_to_async(lambda: Membership.objects.get(room=room, user=alice).read_seq)
    assert await read_seq() == 2


async def test_a_position_already_passed_changes_nothing_and_tells_only_the_asker(
    connect, room, alice, bob
):
    phone, laptop = await joined(connect, alice, room), await joined(connect, alice, room)
    await say(room, bob, "one", "two")
    await phone.send_json_to({"command": "read", "room": room.pk, "seq": 2})
    await drain(phone), await drain(laptop)
    await laptop.send_json_to({"command": "read", "room": room.pk, "seq": 1})
    assert reads(await drain(laptop)) == [{"read": room.pk, "seq": 2, "unread": 0, "mentions": 0}]
    assert reads(await drain(phone)) == []


async def test_unread_counts_others_messages_not_deleted_and_stops_at_the_rooms_seq(
    connect, room, alice, bob
):
    socket = await joined(connect, alice, room)
    await say(room, alice, "mine")
    await say(room, bob, "theirs", "gone", "also theirs")
    await sync_to_async(delete_message)(bob.pk, room.pk, 3)  # seq 5
    await drain(socket)
    await socket.send_json_to({"command": "read", "room": room.pk, "seq": 1})
    assert reads(await drain(socket)) == [{"read": room.pk, "seq": 1, "unread": 2, "mentions": 0}]
    await socket.send_json_to({"command": "read", "room": room.pk, "seq": 10**9})
    assert reads(await drain(socket)) == [{"read": room.pk, "seq": 5, "unread": 0, "mentions": 0}]


@pytest.mark.parametrize("seq", [None, "x", -1, 1.5])
async def test_a_read_without_a_valid_seq_is_bad_request(connect, room, alice, seq):
    socket = await joined(connect, alice, room)
    frame = {"command": "read", "room": room.pk}
    if seq is not None:
        frame["seq"] = seq
    await socket.send_json_to(frame)
    assert await drain(socket) == [{"error": "BAD_REQUEST", "room": room.pk}]


async def test_a_read_of_a_private_room_of_others_is_answered_as_no_such_room(
    connect, amake_room, alice
):
    private = await amake_room("Plans", kind=RoomKind.PRIVATE)
    socket = await connect(STREAM, alice)
    await socket.send_json_to({"command": "read", "room": private.pk, "seq": 1})
    assert await drain(socket) == [{"error": "ROOM_INVALID", "room": private.pk}]


async def test_an_old_client_is_not_sent_read_positions(connect, room, alice, bob):
    v2 = await joined(connect, alice, room)
    old = await connect(STREAM, alice, subprotocols=())
    await old.send_json_to({"command": "join", "room": room.pk})
    await say(room, bob, "one")
    await drain(v2), await drain(old)
    await v2.send_json_to({"command": "read", "room": room.pk, "seq": 1})
    assert reads(await drain(v2)) == [{"read": room.pk, "seq": 1, "unread": 0, "mentions": 0}]
    assert reads(await drain(old)) == []
