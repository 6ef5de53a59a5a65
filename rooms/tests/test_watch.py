"""`watch`: every room of the user with its unread and mention counts, then live
`activity` for the rooms this socket has not opened, counted by the socket itself from
what each change carries; `@here`; a fresh `rooms` frame when the user's rooms change."""

import pytest
from asgiref.sync import sync_to_async
from django.test import override_settings

from rooms.changes import delete_message, edit_message
from rooms.models import MemberRole, Membership, Message, Room, RoomKind
from rooms.posting import post_message, send_room_message
from rooms.reactions import react

from .conftest import STREAM, joined

pytestmark = pytest.mark.django_db(transaction=True)


async def frames(socket):
    """Everything the socket has been sent so far, batches unpacked."""
    out = []
    while not await socket.receive_nothing(timeout=0.2):
        frame = await socket.receive_json_from()
        out.extend(frame["batch"] if "batch" in frame else [frame])
    return out


def activity(received, room=None):
    return [f for f in received if "activity" in f and (room is None or f["activity"] == room.pk)]


@sync_to_async
def member(room, user, **fields):
    return Membership.objects.update_or_create(room=room, user=user, defaults=fields)[0]


@sync_to_async
def say(room, author, text):
    """Stored and broadcast, as the staff page and commands send."""
    return send_room_message(room=room, text=text, author=author)


async def watching(connect, user):
    socket = await connect(STREAM, user)
    await socket.send_json_to({"command": "watch"})
    reply = await socket.receive_json_from()
    assert "rooms" in reply, reply
    return socket, {r["id"]: r for r in reply["rooms"]}


@pytest.fixture
async def random(amake_room):
    return await amake_room("Random")


async def test_watch_lists_the_users_rooms_with_their_counts(connect, room, random, alice, bob):
    await member(room, alice)
    await member(random, alice, read_seq=0, muted=True)
    await say(room, bob, "hello @alice")
    await say(room, bob, "plain")
    await say(room, alice, "mine")
    hidden = await sync_to_async(Room.objects.create)(title="Secret", kind=RoomKind.PRIVATE)
    await member(hidden, bob)
    _, rooms = await watching(connect, alice)
    assert set(rooms) == {room.pk, random.pk}  # not Secret, nor rooms never opened
    assert rooms[room.pk] == {
        "id": room.pk,
        "kind": "public",
        "title": "General",
        "unread": 2,
        "mentions": 1,
        "last_seq": 3,
        "read_seq": 0,
        "muted": False,
        "slug": "general",
    }
    assert rooms[random.pk]["muted"] is True


async def test_a_message_in_a_watched_room_not_open_is_activity(connect, room, random, alice, bob):
    await member(room, alice), await member(random, alice)
    socket, _ = await watching(connect, alice)
    await say(random, bob, "anyone?")
    assert activity(await frames(socket)) == [
        {"activity": random.pk, "seq": 1, "unread": 1, "mentions": 0}
    ]
    await say(random, bob, "@alice you there")
    assert activity(await frames(socket)) == [
        {
            "activity": random.pk,
            "seq": 2,
            "unread": 2,
            "mentions": 1,
            "mention": True,
            "username": "bob",
        }
    ]


async def test_the_users_own_messages_are_not_unread(connect, random, alice):
    await member(random, alice)
    socket, _ = await watching(connect, alice)
    await say(random, alice, "note to self @alice")
    assert activity(await frames(socket)) == [
        {"activity": random.pk, "seq": 1, "unread": 0, "mentions": 0}
    ]


async def test_an_open_room_sends_messages_not_activity_and_is_counted_after_closing(
    connect, room, alice, bob
):
    socket = await joined(connect, alice, room)
    await socket.send_json_to({"command": "watch"})
    await frames(socket)
    await say(room, bob, "seen in the pane")
    received = await frames(socket)
    assert activity(received) == []
    assert [f.get("message") for f in received if "id" in f] == ["seen in the pane"]
    await socket.send_json_to({"command": "leave", "room": room.pk})
    await frames(socket)
    await say(room, bob, "after closing")
    assert activity(await frames(socket)) == [
        {"activity": room.pk, "seq": 2, "unread": 2, "mentions": 0}
    ]


async def test_deleting_editing_and_reacting_move_the_counts_as_the_record_does(
    connect, random, alice, bob
):
    await member(random, alice), await member(random, bob)
    socket, _ = await watching(connect, alice)
    first = await say(random, bob, "one")
    second = await say(random, bob, "two")
    await frames(socket)
    changed = await sync_to_async(edit_message)(bob.pk, random.pk, first.number, "@alice one", "")
    await sync_to_async(send_changed)(random, changed)
    assert activity(await frames(socket))[-1] == {
        "activity": random.pk,
        "seq": 3,
        "unread": 2,
        "mentions": 1,
    }
    changed = await sync_to_async(react)(bob.pk, random.pk, second.number, "👍", True, "")
    await sync_to_async(send_changed)(random, changed)
    assert activity(await frames(socket))[-1]["mentions"] == 1
    changed = await sync_to_async(delete_message)(bob.pk, random.pk, first.number)
    await sync_to_async(send_changed)(random, changed)
    assert activity(await frames(socket))[-1] == {
        "activity": random.pk,
        "seq": 5,
        "unread": 1,
        "mentions": 0,
    }
    _, rooms = await watching(connect, alice)  # what the record says agrees
    assert (rooms[random.pk]["unread"], rooms[random.pk]["mentions"]) == (1, 0)


def send_changed(room, changed):
    from chatapp.websocket import group_send
    from rooms.events import room_group

    group_send(room_group(room.pk), changed.broadcast())


async def test_reading_on_another_device_is_counted_from(connect, random, alice, bob):
    await member(random, alice)
    watcher, _ = await watching(connect, alice)
    await say(random, bob, "one")
    await say(random, bob, "two")
    await frames(watcher)
    phone = await joined(connect, alice, random)
    await phone.send_json_to({"command": "read", "room": random.pk, "seq": 2})
    reads = [f for f in await frames(watcher) if "read" in f]
    assert reads == [{"read": random.pk, "seq": 2, "unread": 0, "mentions": 0}]
    await phone.send_json_to({"command": "leave", "room": random.pk})
    await say(random, bob, "three")
    assert activity(await frames(watcher))[-1]["unread"] == 1


async def test_a_muted_room_counts_mentions_only(connect, random, alice, bob):
    await member(random, alice, muted=True)
    socket, _ = await watching(connect, alice)
    await say(random, bob, "chatter")
    await say(random, bob, "@alice look")
    assert [(a["unread"], a["mentions"]) for a in activity(await frames(socket))] == [
        (0, 0),
        (1, 1),
    ]


async def test_every_message_of_a_direct_room_is_a_mention(connect, alice, bob):
    direct = await sync_to_async(Room.objects.create)(
        title="direct-test", kind=RoomKind.DIRECT, direct_key=f"{alice.pk}.{bob.pk}"
    )
    await member(direct, alice), await member(direct, bob)
    socket, rooms = await watching(connect, alice)
    assert (rooms[direct.pk]["kind"], rooms[direct.pk]["title"]) == ("direct", "bob")
    await say(direct, bob, "psst")
    assert activity(await frames(socket)) == [
        {
            "activity": direct.pk,
            "seq": 1,
            "unread": 1,
            "mentions": 1,
            "mention": True,
            "username": "bob",
        }
    ]


async def test_here_notifies_the_members_online(connect, room, random, alice, bob):
    await member(random, alice), await member(random, bob)
    socket, _ = await watching(connect, alice)
    sender = await joined(connect, bob, random)
    await sender.send_json_to({"command": "send", "room": random.pk, "message": "@here lunch"})
    [seen] = activity(await frames(socket))
    assert seen["mention"] is True and seen["mentions"] == 0  # live only: not a stored mention


@override_settings(CHAT_HERE_MAX_MEMBERS=2)
async def test_here_in_a_big_room_is_for_owners_only(connect, random, alice, bob, amake_user):
    carol = await amake_user("carol")
    for user in (alice, bob, carol):
        await member(random, user)
    sender = await joined(connect, bob, random)
    await sender.send_json_to(
        {"command": "send", "room": random.pk, "message": "@here all", "client_id": "h1"}
    )
    errors = [f for f in await frames(sender) if "error" in f]
    assert errors == [{"error": "PERMISSION_DENIED", "room": random.pk, "client_id": "h1"}]
    assert await sync_to_async(Message.objects.filter(room=random).count)() == 0
    await member(random, bob, role=MemberRole.OWNER)
    await sender.send_json_to({"command": "send", "room": random.pk, "message": "@here all"})
    assert any("ack" in f for f in await frames(sender))


async def test_opening_a_new_room_lists_it_on_the_users_other_sockets(connect, room, alice):
    socket, rooms = await watching(connect, alice)
    assert rooms == {}
    await joined(connect, alice, room)
    fresh = [f for f in await frames(socket) if "rooms" in f]
    assert [r["id"] for r in fresh[-1]["rooms"]] == [room.pk]


async def test_a_removed_member_hears_nothing_more_of_the_room(connect, alice, bob):
    team = await sync_to_async(Room.objects.create)(title="Team", kind=RoomKind.PRIVATE)
    await member(team, alice), await member(team, bob)
    socket, rooms = await watching(connect, alice)
    assert team.pk in rooms
    await sync_to_async(Membership.objects.filter(room=team, user=alice).delete)()
    received = await frames(socket)
    assert [r["id"] for r in [f for f in received if "rooms" in f][-1]["rooms"]] == []
    await say(team, bob, "secret plans")
    assert await frames(socket) == []


async def test_a_client_that_never_watches_gets_no_activity(connect, room, random, alice, bob):
    await member(random, alice)
    socket = await joined(connect, alice, room)
    await say(random, bob, "elsewhere")
    assert activity(await frames(socket)) == []


async def test_missed_events_are_counted_from_the_record(connect, random, alice, bob):
    await member(random, alice)
    socket, _ = await watching(connect, alice)
    await sync_to_async(post_message)(room=random, author=bob, text="never broadcast")
    await say(random, bob, "broadcast")
    assert activity(await frames(socket))[-1] == {
        "activity": random.pk,
        "seq": 2,
        "unread": 2,
        "mentions": 0,
    }


async def test_mentions_are_kept_with_the_message(connect, random, alice, bob):
    await member(random, alice), await member(random, bob)
    message = await say(random, bob, "ping @Alice and @nobody, or mail a@b.c")
    stored = await sync_to_async(Message.objects.get)(pk=message.pk)
    assert stored.mentioned == ["alice"]
    socket = await joined(connect, alice, random)
    await socket.send_json_to({"command": "join", "room": random.pk, "since": 0})
    history = [f for f in await frames(socket) if f.get("id") == message.number]
    assert history[-1]["mentions"] == ["alice"]


async def test_a_renamed_room_is_renamed_in_the_watching_sockets_list(connect, random, alice):
    await member(random, alice)
    socket, _ = await watching(connect, alice)
    random.title = "Banter"
    await sync_to_async(random.save)()
    assert [f for f in await frames(socket) if "rooms_changed" in f] == [
        {"rooms_changed": {"renamed": {"id": random.pk, "title": "Banter"}}}
    ]


async def test_a_room_brought_back_from_the_archive_is_listed_again(connect, random, alice):
    from django.utils import timezone

    await member(random, alice)
    socket, _ = await watching(connect, alice)
    random.archived = timezone.now()
    await sync_to_async(random.save)()
    listed = [f["rooms"] for f in await frames(socket) if "rooms" in f]
    assert listed and listed[-1] == []
    random.archived = None
    await sync_to_async(random.save)()
    listed = [f["rooms"] for f in await frames(socket) if "rooms" in f]
    assert [r["id"] for r in listed[-1]] == [random.pk]


async def test_here_in_a_muted_room_neither_counts_nor_notifies(connect, random, alice, bob):
    await member(random, alice, muted=True), await member(random, bob)
    socket, _ = await watching(connect, alice)
    await say(random, bob, "@here standup")
    assert activity(await frames(socket)) == [
        {"activity": random.pk, "seq": 1, "unread": 0, "mentions": 0}
    ]


async def test_muting_a_room_lists_it_anew_as_muted(connect, random, alice):
    from rooms.ownership import set_muted

    await member(random, alice)
    socket, rooms = await watching(connect, alice)
    assert rooms[random.pk]["muted"] is False
    await sync_to_async(set_muted)(alice, random, True)
    listed = [f["rooms"] for f in await frames(socket) if "rooms" in f]
    assert [(r["id"], r["muted"]) for r in listed[-1]] == [(random.pk, True)]
