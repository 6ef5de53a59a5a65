"""Old clients: the multichat document's protocol, unchanged, on /chat/stream/.

Its client reads room ids from `data-room-id` attributes and sends them as strings,
offers no websocket subprotocol, and handles one JSON object per frame. The
extensions (batch frames) go only to clients that offer `chat.v2`.
"""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async

from chatapp.websocket import group_send
from rooms.changes import edit_message
from rooms.events import message_event, room_broadcast, room_group
from rooms.posting import post_message, send_room_message

from .conftest import STREAM, drain

pytestmark = pytest.mark.django_db(transaction=True)


async def old_client(connect, user):
    return await connect(STREAM, user, subprotocols=())


async def test_a_client_offering_chat_v2_is_accepted_with_it(connect, alice):
    assert (await connect(STREAM, alice)).subprotocol == "chat.v2"


@pytest.mark.parametrize("offered", [(), ("chat.v1", "graphql-ws")])
async def test_a_client_offering_no_known_subprotocol_is_accepted_without_one(
    connect, alice, offered
):
    socket = await connect(STREAM, alice, subprotocols=offered)
    assert socket.connected and socket.subprotocol is None


async def test_string_room_ids_join_send_and_leave_and_replies_keep_integers(connect, room, alice):
    socket = await old_client(connect, alice)
    await socket.send_json_to({"command": "join", "room": str(room.pk)})
    assert await socket.receive_json_from() == {"join": room.pk, "title": room.title, "seq": 0}
    await drain(socket)
    await socket.send_json_to({"command": "send", "room": str(room.pk), "message": "hi"})
    frames = await drain(socket)
    assert {"ack": None, "room": room.pk, "seq": 1} in frames
    assert any(f.get("message") == "hi" and f["room"] == room.pk for f in frames)
    await socket.send_json_to({"command": "leave", "room": str(room.pk)})
    assert {"leave": room.pk} in await drain(socket)


async def test_a_string_since_resumes(connect, room, alice):
    for n in range(3):
        await sync_to_async(send_room_message)(room=room, text=f"m{n}")
    socket = await old_client(connect, alice)
    await socket.send_json_to({"command": "join", "room": str(room.pk), "since": "2"})
    frames = await drain(socket)
    assert [f["seq"] for f in frames if "id" in f] == [3]


async def test_an_old_client_in_a_busy_room_gets_every_message_once_in_order_never_a_batch(
    connect, room, alice, amake_user, long_linger, settings
):
    settings.WEBSOCKET_MAX_SOCKETS_PER_USER = 0
    settings.WEBSOCKET_MAX_SOCKETS_PER_IP = 0
    settings.CHAT_MAX_JOINS_PER_MINUTE = 0
    settings.WEBSOCKET_MAX_CONNECTIONS_PER_MINUTE = 0
    settings.WEBSOCKET_MAX_CONNECTIONS_PER_IP_PER_MINUTE = 0
    crowd_user = await amake_user("crowd")
    crowd = []
    for _ in range(300):  # the room as a busy one: its hub passes are long
        socket = await connect(STREAM, crowd_user)
        await socket.send_json_to({"command": "join", "room": room.pk})
        crowd.append(socket)
    old = await old_client(connect, alice)
    await old.send_json_to({"command": "join", "room": str(room.pk)})
    new = await connect(STREAM, alice)
    await new.send_json_to({"command": "join", "room": room.pk})
    await asyncio.sleep(0.5)
    for socket in (*crowd, old, new):
        await drain(socket)
    for n in range(40):  # quick messages from another user
        await sync_to_async(send_room_message)(room=room, text=f"burst {n}")
    raw_old = await raw_frames(old, 40)
    assert not [f for f in raw_old if "batch" in f]
    assert [f["message"] for f in raw_old if "id" in f] == [f"burst {n}" for n in range(40)]
    raw_new = await raw_frames(new, 40)
    assert any("batch" in f for f in raw_new)  # the same room batches for chat.v2


async def raw_frames(socket, messages: int) -> list[dict]:
    """Frames as they came (a batch frame stays one), until `messages` messages came."""
    frames, seen = [], 0
    while seen < messages:
        frame = json.loads(await socket.receive_from(timeout=10))
        frames.append(frame)
        seen += len([f for f in frame.get("batch", [frame]) if "id" in f])
    return frames


async def test_an_old_client_gets_each_message_once_and_never_a_change(connect, room, alice, bob):
    """Edits, reactions and deletions have no frame in the multichat protocol (a message
    there has no id to be replaced by): an old client sees each message once, and a
    later message still reaches it at once (its seq is passed, not a gap)."""
    mine = await connect(STREAM, alice)
    await mine.send_json_to({"command": "join", "room": room.pk})
    theirs = await old_client(connect, bob)
    await theirs.send_json_to({"command": "join", "room": room.pk})
    await drain(theirs)
    for frame in (
        {"command": "send", "room": room.pk, "message": "first"},
        {"command": "edit", "room": room.pk, "id": 1, "message": "first, edited"},
        {"command": "react", "room": room.pk, "id": 1, "emoji": "👍", "on": True},
        {"command": "delete", "room": room.pk, "id": 1},
        {"command": "send", "room": room.pk, "message": "second"},
    ):
        await mine.send_json_to(frame)
        assert any("ack" in f for f in await drain(mine))
    messages = [f for f in await drain(theirs) if "id" in f or "deleted" in f]
    assert [(f["id"], f["seq"], f["message"]) for f in messages] == [
        (1, 1, "first"),
        (5, 5, "second"),
    ]


async def test_an_old_client_resuming_gets_only_the_messages_it_has_not_had(connect, room, alice):
    mine = await connect(STREAM, alice)
    await mine.send_json_to({"command": "join", "room": room.pk})
    for frame in (
        {"command": "send", "room": room.pk, "message": "had"},
        {"command": "send", "room": room.pk, "message": "missed"},
        {"command": "edit", "room": room.pk, "id": 1, "message": "had, edited"},
        {"command": "send", "room": room.pk, "message": "gone"},
        {"command": "delete", "room": room.pk, "id": 4},
    ):
        await mine.send_json_to(frame)
        await drain(mine)
    socket = await old_client(connect, alice)
    await socket.send_json_to({"command": "join", "room": room.pk, "since": 1})
    frames = await drain(socket)
    assert frames[0] == {"join": room.pk, "title": room.title, "seq": 5}
    assert [(f["id"], f["message"]) for f in frames if "id" in f] == [(2, "missed")]


async def test_an_old_clients_gap_fill_brings_a_message_edited_after_the_gap(connect, room, alice):
    """Message 1 is stored, message 2 too, then message 1 is edited (seq 3), and only
    message 2's broadcast reaches the socket: the gap before it holds message 1, though
    its seq is now 3. A client that takes no changes must still get it."""
    socket = await old_client(connect, alice)
    await socket.send_json_to({"command": "join", "room": room.pk})
    await drain(socket)

    @sync_to_async
    def store_quietly_then_broadcast_the_second():
        first = post_message(room=room, author=alice, text="helo").message
        second = post_message(room=room, author=alice, text="second").message
        edit_message(alice.pk, room.pk, first.number, "hello", "")
        group_send(room_group(room.pk), room_broadcast(message_event(second)))

    await store_quietly_then_broadcast_the_second()
    messages = [f for f in await drain(socket) if "id" in f]
    assert [(f["id"], f["message"]) for f in messages] == [(1, "hello"), (2, "second")]
