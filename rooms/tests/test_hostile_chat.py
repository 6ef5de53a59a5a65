"""Hostile-testing defects of the chat socket: each answered as documented, nothing leaked."""

import pytest
from asgiref.sync import sync_to_async

from chatapp.asgi import application
from chatapp.websocket.codes import WRITE_BUFFER_EXTENSION
from rooms.models import Message
from rooms.posting import post_message

from .conftest import STREAM, drain, joined, stored_count

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "fields",
    [
        {"message": "hi \ud800 there"},  # a lone surrogate: not encodable as UTF-8
        {"message": "hi", "client_id": "c-\ud800"},
        {"message": "hi", "client_id": "c-\x00"},  # PostgreSQL refuses it, SQLite keeps it
    ],
)
async def test_unstorable_text_is_bad_request_and_stores_nothing(connect, room, alice, fields):
    socket = await joined(connect, alice, room)
    await socket.send_json_to({"command": "send", "room": room.pk, **fields})
    reply = await socket.receive_json_from()
    assert reply["error"] == "BAD_REQUEST" and reply["room"] == room.pk
    assert await stored_count() == 0
    await socket.send_json_to({"command": "send", "room": room.pk, "message": "still here"})
    assert (await socket.receive_json_from())["ack"] is None


async def test_a_client_id_reused_in_another_room_stores_a_message_there(
    connect, room, amake_room, alice
):
    other = await amake_room("Other")
    socket = await joined(connect, alice, room, other)
    for target in (room, other):
        await socket.send_json_to(
            {"command": "send", "room": target.pk, "message": "hi", "client_id": "same"}
        )
        frames = await drain(socket)
        assert {"ack": "same", "room": target.pk, "seq": 1} in frames
    stored = await sync_to_async(lambda: sorted(Message.objects.values_list("room_id", "seq")))()
    assert stored == sorted([(room.pk, 1), (other.pk, 1)])


async def test_typing_reaches_others_but_not_the_typists_own_sockets(connect, room, alice, bob):
    typist = await joined(connect, alice, room)
    typists_other_tab = await joined(connect, alice, room)
    reader = await joined(connect, bob, room)
    for socket in (typist, typists_other_tab, reader):
        await drain(socket)  # the member lists
    await typist.send_json_to({"command": "typing", "room": room.pk})
    assert await reader.receive_json_from() == {"typing": room.pk, "username": "alice"}
    assert await typists_other_tab.receive_nothing()
    assert await typist.receive_nothing()


async def test_staff_removed_by_a_queryset_update_stops_getting_the_staff_room(
    connect, amake_room, amake_user, settings
):
    from django.contrib.auth import get_user_model

    settings.WEBSOCKET_AUTH_RECHECK_SECONDS = 0.2
    staff_room = await amake_room("Staff", staff_only=True)
    staff = await amake_user("root", staff=True)
    socket = await joined(connect, staff, staff_room)
    users = get_user_model().objects.filter(pk=staff.pk)
    await sync_to_async(users.update)(is_staff=False)  # no signal, no event
    frames = [await socket.receive_json_from(timeout=3)]
    frames += await drain(socket)
    assert {"error": "ROOM_ACCESS_DENIED", "room": staff_room.pk} in frames
    await sync_to_async(post_message)(room=staff_room, author=None, text="staff only")
    from rooms.posting import send_room_message

    await sync_to_async(send_room_message)(room=staff_room, text="after")
    assert await socket.receive_nothing(timeout=0.3)


# Replays, paced by what the client takes --------------------------------------------------------


def with_unsent(unsent):
    """The application, with the write-buffer extension chatapp/serve.py adds, reporting
    `unsent()` bytes not yet taken by the client."""

    async def app(scope, receive, send):
        scope = {**scope, "extensions": {WRITE_BUFFER_EXTENSION: {"unsent": unsent}}}
        return await application(scope, receive, send)

    return app


async def add_messages(room, count):
    for n in range(count):
        await sync_to_async(post_message)(room=room, author=None, text=f"m{n}")


async def test_a_client_that_takes_nothing_of_a_replay_is_closed_to_resume(
    connect, room, alice, settings
):
    settings.WEBSOCKET_MAX_BUFFERED_BYTES = 4096
    settings.WEBSOCKET_DRAIN_TIMEOUT = 0.3
    await add_messages(room, 120)
    socket = await connect(STREAM, alice, app=with_unsent(lambda: 10_000))
    await socket.send_json_to({"command": "join", "room": room.pk, "since": 0})
    frames = []
    while True:
        output = await socket.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            break
        frames.append(output)
    assert output["code"] == 4008
    assert len(frames) <= 3  # the join reply and the first frame or two: nothing more


async def test_a_replay_goes_on_as_the_client_takes_it(connect, room, alice, settings):
    settings.WEBSOCKET_MAX_BUFFERED_BYTES = 4096
    await add_messages(room, 120)
    unsent = iter([10_000] * 5 + [0] * 10_000)  # busy for a moment, then it reads
    socket = await connect(STREAM, alice, app=with_unsent(lambda: next(unsent)))
    await socket.send_json_to({"command": "join", "room": room.pk, "since": 0})
    frames = await drain(socket)
    assert [f["seq"] for f in frames if "id" in f] == list(range(1, 121))


async def test_a_join_repeated_while_the_replay_is_unsent_is_collapsed(connect, room, alice):
    await add_messages(room, 30)
    socket = await connect(STREAM, alice, app=with_unsent(lambda: 100))
    await socket.send_json_to({"command": "join", "room": room.pk, "since": 0})
    first = await drain(socket)
    assert len([f for f in first if "id" in f]) == 30
    for _ in range(3):
        await socket.send_json_to({"command": "join", "room": room.pk, "since": 0})
    again = await drain(socket)
    assert [f for f in again if "id" in f] == []  # no second replay
    assert [f["join"] for f in again if "join" in f] == [room.pk] * 3


async def test_the_longest_emoji_message_is_stored_even_sent_ascii_escaped(connect, room, alice):
    import json

    socket = await joined(connect, alice, room)
    frame = {"command": "send", "room": room.pk, "message": "😀" * 2000, "client_id": "e"}
    await socket.send_to(text_data=json.dumps(frame))  # 12 characters an emoji
    assert await socket.receive_json_from() == {"ack": "e", "room": room.pk, "seq": 1}
