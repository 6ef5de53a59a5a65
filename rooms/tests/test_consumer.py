"""The /chat/stream/ protocol, through the routed application."""

import pytest
from asgiref.sync import sync_to_async

from chatapp.websocket.testing import group_members
from rooms.events import room_group
from rooms.models import MessageType

from .conftest import STREAM, drain, joined, stored_count

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "frame",
    [
        {"command": "join", "room": 1},
        {"command": "leave", "room": 1},
        {"command": "send", "room": 1, "message": "hi"},
        {"command": "dance"},
    ],
)
async def test_anonymous_socket_gets_user_has_to_login_for_every_command(connect, frame):
    socket = await connect(STREAM)
    assert socket.connected
    await socket.send_json_to(frame)
    assert await socket.receive_json_from() == {"error": "USER_HAS_TO_LOGIN"}


async def test_join_replies_with_the_title_then_the_latest_history_in_order(
    connect, room, alice, settings
):
    settings.CHAT_HISTORY_ON_JOIN = 3
    from rooms.posting import post_message

    for n in range(5):
        await sync_to_async(post_message)(room=room, author=alice, text=f"m{n}")
    socket = await connect(STREAM, alice)
    await socket.send_json_to({"command": "join", "room": room.pk})
    assert await socket.receive_json_from() == {"join": room.pk, "title": "General", "seq": 5}
    history = [await socket.receive_json_from() for _ in range(3)]
    assert [(e["seq"], e["message"], e["username"]) for e in history] == [
        (3, "m2", "alice"),
        (4, "m3", "alice"),
        (5, "m4", "alice"),
    ]


async def test_join_of_a_missing_room_is_room_invalid(connect, alice):
    socket = await connect(STREAM, alice)
    await socket.send_json_to({"command": "join", "room": 999})
    assert await socket.receive_json_from() == {"error": "ROOM_INVALID", "room": 999}


async def test_join_staff_room_as_member_is_denied_without_its_title(connect, amake_room, alice):
    staff_room = await amake_room("Secret plans", staff_only=True)
    socket = await connect(STREAM, alice)
    await socket.send_json_to({"command": "join", "room": staff_room.pk})
    assert await socket.receive_json_from() == {
        "error": "ROOM_ACCESS_DENIED",
        "room": staff_room.pk,
    }
    assert await socket.receive_nothing()
    assert await group_members(room_group(staff_room.pk)) == set()


async def test_join_staff_room_as_staff_is_allowed(connect, amake_room, amake_user):
    staff_room = await amake_room("Secret plans", staff_only=True)
    admin = await amake_user(staff=True)
    await joined(connect, admin, staff_room)


async def test_send_reaches_everyone_in_the_room_and_is_stored(connect, room, alice, bob):
    sender = await joined(connect, alice, room)
    listener = await joined(connect, bob, room)
    await drain(sender)
    await drain(listener)
    await sender.send_json_to({"command": "send", "room": room.pk, "message": "hello"})
    ack = await sender.receive_json_from()
    assert ack == {"ack": None, "room": room.pk, "seq": 1}
    event = await listener.receive_json_from()
    assert {k: event[k] for k in ("room", "message", "username", "msg_type", "seq")} == {
        "room": room.pk,
        "message": "hello",
        "username": "alice",
        "msg_type": MessageType.MESSAGE,
        "seq": 1,
    }
    assert (await sender.receive_json_from())["seq"] == 1
    assert await stored_count() == 1


async def test_message_html_is_escaped(connect, room, alice):
    socket = await joined(connect, alice, room)
    await drain(socket)
    text = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    await socket.send_json_to({"command": "send", "room": room.pk, "message": text})
    frames = await drain(socket)
    event = next(f for f in frames if "html" in f)
    assert event["message"] == text
    assert "<script>" not in event["html"] and "<img" not in event["html"]
    assert "&lt;script&gt;" in event["html"]


async def test_messages_do_not_leak_to_another_room(connect, amake_room, room, alice, bob):
    other = await amake_room("Other")
    sender = await joined(connect, alice, room)
    outsider = await joined(connect, bob, other)
    await drain(outsider)
    await sender.send_json_to({"command": "send", "room": room.pk, "message": "private"})
    await sender.receive_json_from()
    assert await outsider.receive_nothing()


async def test_send_to_a_room_not_joined_is_denied_and_stores_nothing(connect, room, alice):
    socket = await connect(STREAM, alice)
    await socket.send_json_to({"command": "send", "room": room.pk, "message": "sneaky"})
    assert await socket.receive_json_from() == {"error": "ROOM_ACCESS_DENIED", "room": room.pk}
    assert await stored_count() == 0


async def test_leave_replies_and_stops_delivery(connect, room, alice, bob):
    listener = await joined(connect, bob, room)
    sender = await joined(connect, alice, room)
    await drain(listener)
    await listener.send_json_to({"command": "leave", "room": room.pk})
    assert await listener.receive_json_from() == {"leave": room.pk}
    await sender.send_json_to({"command": "send", "room": room.pk, "message": "gone?"})
    await drain(sender)
    assert await listener.receive_nothing()


async def test_leave_of_a_room_not_joined_is_denied(connect, room, alice):
    socket = await connect(STREAM, alice)
    await socket.send_json_to({"command": "leave", "room": room.pk})
    assert await socket.receive_json_from() == {"error": "ROOM_ACCESS_DENIED", "room": room.pk}


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        '"a string"',
        "[1]",
        '{"room": 1}',
        '{"command": 5}',
        '{"command": "join"}',
        '{"command": "join", "room": "1.0"}',  # strings of decimal digits only
        '{"command": "join", "room": " 1"}',
        '{"command": "join", "room": "-1"}',
        '{"command": "join", "room": "0x1"}',
        '{"command": "join", "room": "\\u0661"}',  # an Arabic-Indic digit one
        '{"command": "join", "room": "99999999999999999999"}',
        '{"command": "join", "room": true}',
        '{"command": "join", "room": -1}',
        '{"command": "join", "room": 1e400}',
        '{"command": "join", "room": 99999999999999999999999}',
        '{"command": "send", "room": 1, "message": 5}',
        '{"command": "send", "room": 1, "message": "x", "client_id": 5}',
    ],
)
async def test_malformed_frames_are_bad_request_and_keep_the_socket(connect, room, alice, frame):
    socket = await connect(STREAM, alice)
    await socket.send_to(text_data=frame)
    assert (await socket.receive_json_from())["error"] == "BAD_REQUEST"
    await socket.send_json_to({"command": "join", "room": room.pk})
    assert (await socket.receive_json_from())["join"] == room.pk
    assert await stored_count() == 0


async def test_unknown_command(connect, alice):
    socket = await connect(STREAM, alice)
    await socket.send_json_to({"command": "dance"})
    assert await socket.receive_json_from() == {"error": "UNKNOWN_COMMAND"}


@pytest.mark.parametrize("text", ["", "   \n\t "])
async def test_empty_message_is_refused(connect, room, alice, text):
    socket = await joined(connect, alice, room)
    await drain(socket)
    await socket.send_json_to({"command": "send", "room": room.pk, "message": text})
    assert await socket.receive_json_from() == {"error": "MESSAGE_EMPTY", "room": room.pk}
    assert await stored_count() == 0


async def test_too_long_message_is_refused(connect, room, alice, settings):
    settings.CHAT_MAX_MESSAGE_LENGTH = 10
    socket = await joined(connect, alice, room)
    await drain(socket)
    await socket.send_json_to(
        {"command": "send", "room": room.pk, "message": "x" * 11, "client_id": "c1"}
    )
    assert await socket.receive_json_from() == {
        "error": "MESSAGE_TOO_LONG",
        "client_id": "c1",
        "room": room.pk,
    }
    await socket.send_json_to({"command": "send", "room": room.pk, "message": "x" * 10})
    assert (await socket.receive_json_from())["ack"] is None


async def test_rate_limit_counts_all_sockets_of_a_user(
    connect, room, alice, settings, one_rate_window
):
    settings.CHAT_MAX_MESSAGES_PER_MINUTE = 2
    first = await joined(connect, alice, room)
    second = await joined(connect, alice, room)
    for socket in (first, second):
        await drain(socket)
        await socket.send_json_to({"command": "send", "room": room.pk, "message": "hi"})
        assert "ack" in await socket.receive_json_from()
    await drain(first)
    await first.send_json_to({"command": "send", "room": room.pk, "message": "too many"})
    assert await first.receive_json_from() == {"error": "RATE_LIMITED", "room": room.pk}
    assert await stored_count() == 2


async def test_rate_limit_zero_turns_it_off(connect, room, alice, settings):
    settings.CHAT_MAX_MESSAGES_PER_MINUTE = 0
    socket = await joined(connect, alice, room)
    for _ in range(5):
        await socket.send_json_to({"command": "send", "room": room.pk, "message": "hi"})
    frames = await drain(socket)
    assert [f["seq"] for f in frames if "ack" in f] == [1, 2, 3, 4, 5]


async def test_repeated_client_id_is_stored_and_broadcast_once(connect, room, alice, bob):
    sender = await joined(connect, alice, room)
    listener = await joined(connect, bob, room)
    await drain(sender)
    await drain(listener)
    frame = {"command": "send", "room": room.pk, "message": "once", "client_id": "abc"}
    await sender.send_json_to(frame)
    await sender.send_json_to(frame)
    frames = await drain(sender)
    assert [f for f in frames if "ack" in f] == [{"ack": "abc", "room": room.pk, "seq": 1}] * 2
    assert [f["seq"] for f in await drain(listener)] == [1]
    assert await stored_count() == 1


def notices(frames):
    return [(f["msg_type"], f["username"]) for f in frames if f.get("msg_type") in (4, 5)]


def presences(frames):
    return [(f["members"], f["count"]) for f in frames if "presence" in f]


async def test_enter_and_leave_notices_are_per_user_not_per_socket(connect, room, alice, bob):
    watcher = await joined(connect, bob, room)
    first_tab = await joined(connect, alice, room)
    frames = await drain(watcher)
    assert notices(frames) == [(4, "alice")]
    enter = next(f for f in frames if f.get("msg_type") == 4)
    assert enter["message"] is None and "seq" not in enter
    second_tab = await joined(connect, alice, room)
    assert notices(await drain(watcher)) == []  # a second tab says nothing
    await first_tab.disconnect()
    assert notices(await drain(watcher)) == []  # one tab still open
    await second_tab.disconnect()
    assert notices(await drain(watcher)) == [(5, "alice")]


async def test_notices_can_be_turned_off(connect, room, alice, bob, settings):
    settings.NOTIFY_USERS_ON_ENTER_OR_LEAVE_ROOMS = False
    watcher = await joined(connect, bob, room)
    await joined(connect, alice, room)
    assert notices(await drain(watcher)) == []


async def test_disconnect_leaves_every_room(connect, amake_room, room, alice):
    other = await amake_room("Other")
    socket = await joined(connect, alice, room, other)
    await socket.disconnect()
    assert await group_members(room_group(room.pk)) == set()
    assert await group_members(room_group(other.pk)) == set()


async def test_losing_staff_narrows_the_open_socket(connect, amake_room, amake_user):
    staff_room = await amake_room("Staff", staff_only=True)
    admin = await amake_user(staff=True)
    socket = await joined(connect, admin, staff_room)
    await drain(socket)
    admin.is_staff = False
    await sync_to_async(admin.save)()
    await socket.send_json_to({"command": "send", "room": staff_room.pk, "message": "still?"})
    assert await socket.receive_json_from() == {
        "error": "ROOM_ACCESS_DENIED",
        "room": staff_room.pk,
    }
    assert await group_members(room_group(staff_room.pk)) == set()
    assert await stored_count() == 0


async def test_backend_send_reaches_open_sockets_with_its_type(connect, room, alice):
    from rooms.posting import send_room_message

    socket = await joined(connect, alice, room)
    await drain(socket)
    await sync_to_async(send_room_message)(
        room=room, text="Maintenance at 5", msg_type=MessageType.WARNING
    )
    event = await socket.receive_json_from()
    assert (event["message"], event["username"], event["msg_type"], event["seq"]) == (
        "Maintenance at 5",
        None,
        1,
        1,
    )
