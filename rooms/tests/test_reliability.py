"""Nothing lost, nothing stale: resume, gaps, acks, presence, typing, forced logout."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.test import Client

from chatapp.websocket.testing import frames_in, group_members
from rooms.events import message_event, room_broadcast, room_group
from rooms.models import Message
from rooms.posting import post_message

from .conftest import STREAM, drain, joined
from .test_consumer import notices, presences

pytestmark = pytest.mark.django_db(transaction=True)


async def close_code(socket, timeout=3):
    """The code the server closes the socket with, skipping frames sent before it."""
    while True:
        output = await socket.receive_output(timeout=timeout)
        if output["type"] == "websocket.close":
            return output["code"]


async def post(room, author, count, start=1):
    for n in range(start, start + count):
        await sync_to_async(post_message)(room=room, author=author, text=f"m{n}")


def seqs(frames):
    return [f["seq"] for f in frames if "html" in f and f.get("seq") is not None]


# Resume ---------------------------------------------------------------------------


async def test_join_since_replays_every_later_message_in_order(connect, room, alice):
    await post(room, alice, 80)
    socket = await connect(STREAM, alice)
    await socket.send_json_to({"command": "join", "room": room.pk, "since": 10})
    assert await socket.receive_json_from() == {"join": room.pk, "title": "General", "seq": 80}
    assert seqs(await drain(socket)) == list(range(11, 81))


async def test_join_since_the_latest_replays_nothing_and_live_follows(connect, room, alice, bob):
    await post(room, alice, 3)
    socket = await connect(STREAM, alice)
    await socket.send_json_to({"command": "join", "room": room.pk, "since": 3})
    await socket.receive_json_from()
    assert seqs(await drain(socket)) == []
    sender = await joined(connect, bob, room)
    await sender.send_json_to({"command": "send", "room": room.pk, "message": "live"})
    assert seqs(await drain(socket)) == [4]


async def test_resume_over_the_cap_sends_a_resync_and_the_newest_as_a_join_shows_them(
    connect, room, alice, settings
):
    settings.CHAT_RESUME_LIMIT = 5
    settings.CHAT_HISTORY_ON_JOIN = 5
    await post(room, alice, 20)
    socket = await connect(STREAM, alice)
    await socket.send_json_to({"command": "join", "room": room.pk, "since": 2})
    frames = await drain(socket)
    assert frames[0] == {"join": room.pk, "title": "General", "seq": 20}
    assert frames[1] == {"resync": room.pk}
    assert seqs(frames) == [16, 17, 18, 19, 20]


async def test_no_message_is_sent_twice_when_history_and_live_overlap(connect, room, alice):
    socket = await joined(connect, alice, room)
    message = await sync_to_async(post_message)(room=room, author=alice, text="x")
    event = room_broadcast(await sync_to_async(message_event)(message.message))
    layer = get_channel_layer()
    await layer.group_send(room_group(room.pk), event)
    await layer.group_send(room_group(room.pk), event)
    assert seqs(await drain(socket)) == [1]


async def test_live_gap_is_filled_from_the_database(connect, room, alice):
    socket = await joined(connect, alice, room)
    await post(room, alice, 5)  # stored, but the layer "dropped" 1..4
    latest = await sync_to_async(Message.objects.get)(room=room, seq=5)
    event = room_broadcast(await sync_to_async(message_event)(latest))
    await get_channel_layer().group_send(room_group(room.pk), event)
    assert seqs(await drain(socket)) == [1, 2, 3, 4, 5]


async def test_every_later_gap_is_filled_too(connect, room, alice):
    """Gap fills run database work from the hub's step; the second must work like the
    first (a context leaked from the first once made every later one fail)."""
    socket = await joined(connect, alice, room)
    for start in (1, 4, 7):
        await post(room, alice, 3, start=start)  # the layer "dropped" all but the last
        latest = await sync_to_async(Message.objects.get)(room=room, seq=start + 2)
        event = room_broadcast(await sync_to_async(message_event)(latest))
        await get_channel_layer().group_send(room_group(room.pk), event)
        assert seqs(await drain(socket)) == [start, start + 1, start + 2]


async def broadcast_stored(room, seq):
    """Broadcast the stored message `seq` to the room, as its sender would."""
    message = await sync_to_async(Message.objects.get)(room=room, seq=seq)
    event = room_broadcast(await sync_to_async(message_event)(message))
    await get_channel_layer().group_send(room_group(room.pk), event)


async def test_messages_that_come_together_arrive_as_one_frame_in_order(
    connect, room, alice, bob, long_linger
):
    watcher = await joined(connect, bob, room)
    await asyncio.sleep(0.4)  # the join's own events are out
    sender = await joined(connect, alice, room)
    await asyncio.sleep(0.4)
    for text in ("one", "two", "three"):
        await sender.send_json_to({"command": "send", "room": room.pk, "message": text})
    messages_per_frame = []
    while sum(map(len, messages_per_frame)) < 3:
        frame = frames_in(await watcher.receive_from(timeout=2))
        if messages := [f for f in frame if f.get("message")]:  # not presence
            messages_per_frame.append(messages)
    # The first may go alone (the room was quiet); what came together shares a frame.
    assert [m["message"] for frame in messages_per_frame for m in frame] == ["one", "two", "three"]
    assert len(messages_per_frame) < 3
    assert seqs([m for frame in messages_per_frame for m in frame]) == [1, 2, 3]


async def test_a_gap_inside_a_batch_is_filled_from_the_database_in_order(
    connect, room, alice, long_linger
):
    socket = await joined(connect, alice, room)
    await post(room, alice, 5)
    await broadcast_stored(room, 1)
    assert seqs(await drain(socket)) == [1]
    for seq in (2, 5):  # the layer "dropped" 3 and 4
        await broadcast_stored(room, seq)
    assert seqs(await drain(socket)) == [2, 3, 4, 5]


async def test_socket_too_far_behind_is_closed_with_4008(connect, room, alice, settings):
    settings.CHAT_GAP_FILL_LIMIT = 2
    socket = await joined(connect, alice, room)
    await post(room, alice, 10)
    latest = await sync_to_async(Message.objects.get)(room=room, seq=10)
    await get_channel_layer().group_send(
        room_group(room.pk), room_broadcast(await sync_to_async(message_event)(latest))
    )
    assert await close_code(socket) == 4008
    # It resumes without loss.
    again = await connect(STREAM, alice)
    await again.send_json_to({"command": "join", "room": room.pk, "since": 0})
    assert seqs(await drain(again)) == list(range(1, 11))


async def test_failed_broadcast_still_acks_and_the_message_is_resumed(
    connect, room, alice, bob, monkeypatch
):
    sender = await joined(connect, alice, room)
    layer = get_channel_layer()
    real_group_send = layer.group_send

    async def broken(group, message):
        if message.get("seq"):
            raise ConnectionError("redis is down")
        await real_group_send(group, message)

    monkeypatch.setattr(layer, "group_send", broken)
    await sender.send_json_to(
        {"command": "send", "room": room.pk, "message": "stored", "client_id": "k"}
    )
    assert {"ack": "k", "room": room.pk, "seq": 1} in await drain(sender)
    monkeypatch.setattr(layer, "group_send", real_group_send)
    late = await connect(STREAM, bob)
    await late.send_json_to({"command": "join", "room": room.pk, "since": 0})
    assert seqs(await drain(late)) == [1]


# Presence and typing ------------------------------------------------------------------


async def test_presence_counts_users_not_sockets(connect, room, alice, bob):
    watcher = await joined(connect, bob, room)
    await joined(connect, alice, room)
    await joined(connect, alice, room)
    assert presences(await drain(watcher))[-1] == (["alice", "bob"], 2)


async def test_a_burst_of_joins_is_one_presence_update_now_and_one_with_the_latest_state(
    connect, room, alice, amake_user, settings
):
    settings.CHAT_PRESENCE_COALESCE_SECONDS = 0.5
    watcher = await joined(connect, alice, room)
    others = [await connect(STREAM, await amake_user(f"user{n}")) for n in range(5)]
    for socket in others:
        await socket.send_json_to({"command": "join", "room": room.pk})
    await asyncio.sleep(0.7)
    updates = presences(await drain(watcher))
    assert 1 <= len(updates) <= 2
    assert updates[-1][1] == 6


async def test_presence_names_are_capped_but_the_count_is_exact(
    connect, room, alice, bob, settings
):
    settings.CHAT_PRESENCE_NAMES_LIMIT = 1
    watcher = await joined(connect, alice, room)
    await joined(connect, bob, room)
    assert presences(await drain(watcher))[-1] == (["alice"], 2)


async def test_presence_drops_a_user_when_their_last_socket_closes(connect, room, alice, bob):
    watcher = await joined(connect, bob, room)
    tabs = [await joined(connect, alice, room) for _ in range(2)]
    await drain(watcher)
    await tabs[0].disconnect()
    assert presences(await drain(watcher))[-1] == (["alice", "bob"], 2)
    await tabs[1].disconnect()
    assert presences(await drain(watcher))[-1] == (["bob"], 1)


async def test_presence_of_a_crashed_process_expires(connect, room, alice, bob, settings):
    from rooms.presence import presence

    settings.CHAT_PRESENCE_TTL = 1
    # A socket of a process that died: joined, never renewed, never left.
    await presence().join(room.pk, alice.pk, "alice", "ghost-channel")
    assert await presence().members(room.pk) == ["alice"]
    await asyncio.sleep(1.2)
    assert await presence().members(room.pk) == []


async def test_heartbeat_keeps_a_live_socket_present(connect, room, alice, settings):
    from rooms.presence import presence

    settings.CHAT_PRESENCE_TTL = 1
    settings.CHAT_PRESENCE_HEARTBEAT = 0.3
    await joined(connect, alice, room)
    await asyncio.sleep(1.5)
    assert await presence().members(room.pk) == ["alice"]


async def test_typing_reaches_the_room_throttled(connect, room, alice, bob):
    typist = await joined(connect, alice, room)
    watcher = await joined(connect, bob, room)
    await drain(watcher)
    for _ in range(3):
        await typist.send_json_to({"command": "typing", "room": room.pk})
    frames = await drain(watcher)
    assert [f for f in frames if "typing" in f] == [{"typing": room.pk, "username": "alice"}]


async def test_typing_in_a_room_not_joined_is_denied(connect, room, alice):
    socket = await connect(STREAM, alice)
    await socket.send_json_to({"command": "typing", "room": room.pk})
    assert await socket.receive_json_from() == {"error": "ROOM_ACCESS_DENIED", "room": room.pk}


async def test_reconnect_within_the_grace_period_says_nothing(connect, room, alice, bob, settings):
    settings.CHAT_LEAVE_GRACE_SECONDS = 2
    watcher = await joined(connect, bob, room)
    tab = await joined(connect, alice, room)
    await drain(watcher)
    await tab.disconnect()
    await joined(connect, alice, room)  # the page reconnects and rejoins
    await asyncio.sleep(2.2)
    assert notices(await drain(watcher)) == []


async def test_a_page_resuming_after_a_restart_is_no_arrival(connect, room, alice, bob):
    """The grace's record went with the process (here: no grace at all), but the page's
    join resumes (`since`): it was in the room, so nobody is told it joined."""
    watcher = await joined(connect, bob, room)
    tab = await joined(connect, alice, room)
    await tab.disconnect()
    await drain(watcher)
    resumed = await connect(STREAM, alice)
    await resumed.send_json_to({"command": "join", "room": room.pk, "since": 0})
    await drain(resumed)
    assert notices(await drain(watcher)) == []
    await resumed.disconnect()
    await drain(watcher)
    await joined(connect, alice, room)  # a fresh open of the room: an arrival
    assert notices(await drain(watcher)) == [(4, "alice")]


async def test_leaving_for_good_is_announced_after_the_grace_period(
    connect, room, alice, bob, settings
):
    settings.CHAT_LEAVE_GRACE_SECONDS = 1.5
    watcher = await joined(connect, bob, room)
    tab = await joined(connect, alice, room)
    await drain(watcher)
    await tab.disconnect()
    assert notices(await drain(watcher)) == []
    await asyncio.sleep(1.6)
    assert notices(await drain(watcher)) == [(5, "alice")]


# Forced logout -----------------------------------------------------------------------


def logout(session_key):
    client = Client()
    client.cookies["sessionid"] = session_key
    assert client.post("/accounts/logout/").status_code == 302


async def test_logout_closes_the_sockets_of_that_session_with_4401(connect, room, alice):
    socket = await joined(connect, alice, room)
    await sync_to_async(logout)(socket.session_key)
    assert await close_code(socket) == 4401


async def test_logout_leaves_other_sessions_of_the_user_open(connect, room, alice):
    here = await joined(connect, alice, room)
    elsewhere = await joined(connect, alice, room)
    await sync_to_async(logout)(here.session_key)
    assert await close_code(here) == 4401
    await drain(elsewhere)
    await elsewhere.send_json_to({"command": "send", "room": room.pk, "message": "still here"})
    assert "ack" in await elsewhere.receive_json_from()


async def test_a_password_change_closes_only_that_users_sockets(connect, room, alice, amake_user):
    """Every user's login changes reach this process through one layer subscription."""
    from chatapp.websocket.auth import AUTH_GROUP

    bob = await amake_user("bob")
    alices, bobs = await joined(connect, alice, room), await joined(connect, bob, room)
    assert len(await group_members(AUTH_GROUP)) == 1
    await drain(alices)

    def change_password():
        bob.set_password("a-brand-new-password-123")
        bob.save()

    await sync_to_async(change_password)()
    assert await close_code(bobs) == 4401
    await drain(alices)  # bob's leaving
    await alices.send_json_to({"command": "send", "room": room.pk, "message": "still here"})
    assert any("ack" in frame for frame in await drain(alices))


async def test_password_changed_elsewhere_closes_the_socket(connect, room, alice):
    socket = await joined(connect, alice, room)

    def change_password():
        alice.set_password("a-brand-new-password-123")
        alice.save()

    await sync_to_async(change_password)()
    assert await close_code(socket) == 4401


async def test_deactivation_closes_the_socket(connect, room, alice):
    socket = await joined(connect, alice, room)
    alice.is_active = False
    await sync_to_async(alice.save)()
    assert await close_code(socket) == 4401


async def test_losing_staff_removes_the_socket_from_staff_rooms_at_once(
    connect, amake_room, amake_user, room
):
    staff_room = await amake_room("Staff", staff_only=True)
    admin = await amake_user(staff=True)
    socket = await joined(connect, admin, staff_room, room)
    admin.is_staff = False
    await sync_to_async(admin.save)()
    frames = []
    while {"error": "ROOM_ACCESS_DENIED", "room": staff_room.pk} not in frames:
        frames.append(await socket.receive_json_from(timeout=3))
    assert await group_members(room_group(staff_room.pk)) == set()
    assert len(await group_members(room_group(room.pk))) == 1  # public room kept


async def test_repeated_join_without_since_sends_nothing_twice(connect, room, alice):
    await post(room, alice, 3)
    socket = await connect(STREAM, alice)
    await socket.send_json_to({"command": "join", "room": room.pk})
    assert seqs(await drain(socket)) == [1, 2, 3]
    await post(room, alice, 1, start=4)
    await socket.send_json_to({"command": "join", "room": room.pk})
    assert seqs(await drain(socket)) == [4]
