"""A socket's sends in flight (rooms/in_flight.py): handed to the commit without waiting
for each other, answered in the order they came, broadcast even when the socket has
closed, and stored only while the login holds (checked in their batch)."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model

from rooms.models import Message

from .conftest import drain, joined
from .test_reliability import close_code

pytestmark = pytest.mark.django_db(transaction=True)


def flat(frames: list) -> list:
    return [item for frame in frames for item in frame.get("batch", [frame])]


def answers(frames: list) -> list:
    """The acks and errors among the frames, in order, as (kind, client_id)."""
    return [
        ("ack", f["ack"]) if "ack" in f else ("error", f["error"], f.get("client_id"))
        for f in flat(frames)
        if "ack" in f or "error" in f
    ]


stored = sync_to_async(
    lambda room: list(
        Message.objects.filter(room=room, client_id__startswith="c")
        .order_by("seq")
        .values_list("text", flat=True)
    )
)


def send(room, n: int) -> dict:
    return {"command": "send", "room": room.pk, "message": f"m{n}", "client_id": f"c{n}"}


async def test_sends_back_to_back_are_answered_in_the_order_sent_with_rising_seqs(
    connect, room, alice
):
    socket = await joined(connect, alice, room)
    for n in range(5):
        await socket.send_json_to(send(room, n))
    # Refused before it is handed in: answered after the five before it.
    await socket.send_json_to({"command": "send", "room": room.pk, "client_id": "bad"})
    for n in range(5, 10):
        await socket.send_json_to(send(room, n))
    await socket.send_to(text_data="not JSON")  # refused unparsed, after the sends too
    await socket.send_json_to({"command": "leave", "room": room.pk})
    frames = await drain(socket)
    expected = [("ack", f"c{n}") for n in range(5)] + [("error", "BAD_REQUEST", "bad")]
    expected += [("ack", f"c{n}") for n in range(5, 10)] + [("error", "BAD_REQUEST", None)]
    assert answers(frames) == expected
    # The leave is answered last, after every send it came after.
    assert flat(frames)[-1] == {"leave": room.pk}
    acks = [f for f in flat(frames) if "ack" in f]
    assert [a["seq"] for a in acks] == sorted(a["seq"] for a in acks)
    assert await stored(room) == [f"m{n}" for n in range(10)]


async def test_what_a_socket_sent_just_before_closing_still_reaches_the_room(
    connect, room, alice, bob
):
    listener = await joined(connect, bob, room)
    sender = await joined(connect, alice, room)
    await drain(listener)
    for n in range(5):
        await sender.send_json_to(send(room, n))
    await sender.disconnect()
    frames = flat(await drain(listener))
    got = [f["message"] for f in frames if f.get("username") == "alice" and "seq" in f]
    assert got == [f"m{n}" for n in range(5)]


async def test_a_user_deactivated_without_a_signal_is_closed_on_the_next_send_and_nothing_stored(
    connect, room, alice
):
    socket = await joined(connect, alice, room)
    # A queryset update sends no signal: only the look-up in the send's batch sees it.
    await sync_to_async(get_user_model().objects.filter(pk=alice.pk).update)(is_active=False)
    for n in range(3):
        await socket.send_json_to(send(room, n))
    assert await close_code(socket) == 4401
    assert await stored(room) == []


async def test_a_user_deactivated_who_sends_and_closes_at_once_has_nothing_stored(
    connect, room, alice, bob
):
    listener = await joined(connect, bob, room)
    socket = await joined(connect, alice, room)
    await sync_to_async(get_user_model().objects.filter(pk=alice.pk).update)(is_active=False)
    for n in range(3):
        await socket.send_json_to(send(room, n))
    await socket.disconnect()  # before the batch's look-up refuses them
    await drain(listener)
    assert await stored(room) == []


async def test_a_user_who_became_staff_without_a_signal_has_the_sends_stored_in_order(
    connect, room, alice
):
    socket = await joined(connect, alice, room)
    await sync_to_async(get_user_model().objects.filter(pk=alice.pk).update)(is_staff=True)
    for n in range(5):
        await socket.send_json_to(send(room, n))
    frames = await drain(socket)
    assert answers(frames) == [("ack", f"c{n}") for n in range(5)]
    acks = [f["seq"] for f in flat(frames) if "ack" in f]
    assert acks == sorted(acks)
    assert await stored(room) == [f"m{n}" for n in range(5)]
