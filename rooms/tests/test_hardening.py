"""Hostile input at the chat socket: every reply a documented code, nothing stored or leaked."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from chatapp.asgi import application
from chatapp.websocket.testing import ClientCommunicator, session_cookie
from rooms.models import Message

from .conftest import STREAM, drain, joined, stored_count

pytestmark = pytest.mark.django_db(transaction=True)

DOCUMENTED = {
    "USER_HAS_TO_LOGIN",
    "ROOM_INVALID",
    "ROOM_ACCESS_DENIED",
    "BAD_REQUEST",
    "UNKNOWN_COMMAND",
    "MESSAGE_EMPTY",
    "MESSAGE_TOO_LONG",
    "RATE_LIMITED",
}


async def test_oversized_frame_is_too_long_without_being_parsed(connect, room, alice):
    socket = await joined(connect, alice, room)
    await socket.send_to(text_data="{" + "x" * 30_000)  # not even JSON
    assert await socket.receive_json_from() == {"error": "MESSAGE_TOO_LONG"}
    assert await stored_count() == 0


async def test_binary_frame_is_bad_request(connect, alice):
    socket = await connect(STREAM, alice)
    await socket.send_to(bytes_data=b'{"command": "join", "room": 1}')
    assert await socket.receive_json_from() == {"error": "BAD_REQUEST"}


async def test_joins_are_rate_limited_per_user(connect, room, alice, settings, one_rate_window):
    settings.CHAT_MAX_JOINS_PER_MINUTE = 3
    socket = await connect(STREAM, alice)
    for _ in range(3):
        await socket.send_json_to({"command": "join", "room": room.pk})
        assert (await socket.receive_json_from())["join"] == room.pk
        await drain(socket)
    await socket.send_json_to({"command": "join", "room": room.pk})
    assert await socket.receive_json_from() == {"error": "RATE_LIMITED", "room": room.pk}


async def test_connections_are_rate_limited_per_user(connect, alice, settings):
    settings.WEBSOCKET_MAX_CONNECTIONS_PER_MINUTE = 2
    for _ in range(2):
        assert (await connect(STREAM, alice)).connected
    refused = await connect(STREAM, alice)
    assert (await refused.receive_output())["code"] == 4429


async def test_connections_are_rate_limited_per_ip(connect, settings):
    settings.WEBSOCKET_MAX_CONNECTIONS_PER_IP_PER_MINUTE = 2
    for _ in range(2):
        await connect(STREAM)
    refused = await connect(STREAM)
    assert (await refused.receive_output())["code"] == 4429


async def test_missing_origin_is_refused_at_the_handshake(connect, alice):
    socket = await connect(STREAM, alice, origin=None)
    assert not socket.connected


async def test_missing_origin_is_allowed_when_configured(connect, alice, settings):
    settings.WEBSOCKET_ALLOW_MISSING_ORIGIN = True
    socket = await connect(STREAM, alice, origin=None)
    assert socket.connected


async def test_a_member_never_learns_a_staff_rooms_title(connect, amake_room, alice):
    secret = await amake_room("Secret plans", staff_only=True)
    socket = await connect(STREAM, alice)
    for frame in (
        {"command": "join", "room": secret.pk},
        {"command": "join", "room": secret.pk, "since": 0},
        {"command": "send", "room": secret.pk, "message": "hi"},
        {"command": "typing", "room": secret.pk},
        {"command": "leave", "room": secret.pk},
    ):
        await socket.send_json_to(frame)
    frames = await drain(socket)
    assert all("Secret" not in json.dumps(f) for f in frames)
    assert {f["error"] for f in frames} == {"ROOM_ACCESS_DENIED"}


# Fuzzing -------------------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=50),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=8,
)
commands = st.sampled_from(["join", "leave", "send", "typing", "", "JOIN", "dance", "join "])
field_values = json_values | st.text(min_size=2001, max_size=3000) | st.just("\x00") | st.just(" ")


def hostile_frames(staff_room_id: int, public_room_id: int):
    """Frames a member may send but that must all be refused: the staff room (not theirs)
    and a public room they have not joined, besides garbage of every shape."""
    rooms = st.sampled_from([staff_room_id, public_room_id, True, -1, 2**63])
    refused = st.one_of(
        st.fixed_dictionaries({"command": st.just("join"), "room": st.just(staff_room_id)}),
        st.fixed_dictionaries(
            {"command": st.sampled_from(["send", "leave", "typing"]), "room": rooms},
            optional={"message": field_values, "client_id": field_values},
        ),
    )
    return st.one_of(
        json_values.map(json.dumps),
        st.fixed_dictionaries(
            {"command": commands},
            optional={
                "room": field_values,
                "message": field_values,
                "since": field_values,
                "client_id": field_values,
            },
        ).map(json.dumps),
        refused.map(json.dumps),
        st.text(max_size=200),
        st.binary(max_size=50),
    )


@pytest.mark.timeout(300)
def test_fuzzed_frames_get_documented_codes_and_change_nothing(make_user, make_room, settings):
    """Random JSON, wrong types, huge and unicode-heavy values, unknown commands: the socket
    stays open, every reply is a documented code, nothing is stored, and another member of
    the room receives nothing."""
    settings.CHAT_MAX_JOINS_PER_MINUTE = 0
    # The fuzzer joins the staff room it may not see and a room it is not in: it joins
    # nothing, so no frame of its can be a valid send.
    fuzzer, member = make_user("fuzzer"), make_user("member")
    room, staff_room = make_room("General"), make_room("Staff", staff_only=True)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    async def open_socket(user):
        headers = [
            (b"host", b"localhost"),
            (b"origin", b"http://localhost"),
            (b"cookie", f"sessionid={await sync_to_async(session_cookie)(user)}".encode()),
        ]
        socket = ClientCommunicator(application, STREAM, headers=headers)
        assert (await socket.connect())[0]
        return socket

    async def setup():
        listener = await open_socket(member)
        await listener.send_json_to({"command": "join", "room": room.pk})
        await drain(listener)
        return await open_socket(fuzzer), listener

    attacker, listener = loop.run_until_complete(setup())

    @hypothesis_settings(
        max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(frame=hostile_frames(staff_room.pk, room.pk))
    def throw(frame):
        async def attempt():
            kind = "bytes" if isinstance(frame, bytes) else "text"
            await attacker.send_input({"type": "websocket.receive", kind: frame})
            reply = await attacker.receive_json_from(timeout=5)
            assert set(reply) <= {"error", "room", "client_id"}, reply
            assert reply["error"] in DOCUMENTED, reply

        loop.run_until_complete(attempt())

    try:
        throw()
        assert Message.objects.count() == 0
        # Still open and still working after all of it.
        loop.run_until_complete(attacker.send_json_to({"command": "join", "room": room.pk}))
        assert loop.run_until_complete(attacker.receive_json_from())["join"] == room.pk
        assert staff_room.pk  # never joined: every try above was refused
        listener_frames = loop.run_until_complete(drain(listener))
        # The only thing the member saw is the fuzzer finally joining.
        assert all(f.get("username") == "fuzzer" or "presence" in f for f in listener_frames)
    finally:
        loop.run_until_complete(attacker.disconnect())
        loop.run_until_complete(listener.disconnect())
        loop.close()
        asyncio.set_event_loop(None)


async def test_a_database_outage_is_service_unavailable_and_the_socket_stays_open(
    connect, room, alice, bob, monkeypatch
):
    from django.db import OperationalError

    def database_down(*args, **kwargs):
        raise OperationalError("connection refused")

    socket = await joined(connect, alice, room)
    other = await joined(connect, bob, room)
    await drain(socket)
    await drain(other)
    monkeypatch.setattr("rooms.group_posting.store_message", database_down)
    await socket.send_json_to(
        {"command": "send", "room": room.pk, "message": "later", "client_id": "c1"}
    )
    assert await socket.receive_json_from() == {
        "error": "SERVICE_UNAVAILABLE",
        "client_id": "c1",
        "room": room.pk,
    }
    assert await other.receive_nothing(timeout=0.2)
    assert await stored_count() == 0
    monkeypatch.undo()
    await socket.send_json_to(
        {"command": "send", "room": room.pk, "message": "later", "client_id": "c1"}
    )
    assert (await socket.receive_json_from())["ack"] == "c1"
