"""Edit, delete, react and reply on /chat/stream/: every change the room's next seq."""

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Permission

from rooms.models import Message, MessageChange, Reaction, Room
from rooms.posting import post_message

from .conftest import STREAM, drain, joined

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def stored(room, author, text="hello", **fields):
    return post_message(room=room, author=author, text=text, **fields).message


@sync_to_async
def message_row(room, number):
    return Message.objects.get(room=room, number=number)


def events_of(frames, room):
    return [f for f in frames if f.get("room") == room.pk and "id" in f]


async def command(socket, frame):
    """Send a command; the frames it got back (its ack or error first)."""
    await drain(socket)  # e.g. the enter notice of a socket joined after this one
    await socket.send_json_to(frame)
    return await drain(socket)


async def test_an_edit_reaches_every_socket_as_the_whole_message_with_the_next_seq(
    connect, room, alice, bob
):
    message = await stored(room, alice, "helo")
    mine, theirs = await joined(connect, alice, room), await joined(connect, bob, room)
    frames = await command(
        mine, {"command": "edit", "room": room.pk, "id": message.number, "message": "hello"}
    )
    assert frames[0] == {"ack": None, "room": room.pk, "seq": 2}
    (edited,) = events_of(await drain(theirs), room)
    assert (edited["id"], edited["seq"], edited["message"]) == (1, 2, "hello")
    assert edited["edited"] is not None and "(edited)" in edited["html"]
    assert events_of(frames, room) == [edited]


async def test_an_edit_of_someone_elses_message_is_permission_denied(connect, room, alice, bob):
    message = await stored(room, alice)
    socket = await joined(connect, bob, room)
    frame = {"command": "edit", "room": room.pk, "id": message.number, "message": "mine now"}
    assert await command(socket, frame) == [{"error": "PERMISSION_DENIED", "room": room.pk}]
    assert (await message_row(room, 1)).text == "hello"


async def test_an_edit_after_the_window_is_permission_denied(connect, room, alice, settings):
    settings.CHAT_EDIT_WINDOW_SECONDS = 60
    message = await stored(room, alice)
    await sync_to_async(Message.objects.filter(pk=message.pk).update)(
        created=message.created.replace(year=2000)
    )
    socket = await joined(connect, alice, room)
    frame = {"command": "edit", "room": room.pk, "id": 1, "message": "too late"}
    assert await command(socket, frame) == [{"error": "PERMISSION_DENIED", "room": room.pk}]


async def test_a_server_notice_cannot_be_edited(connect, room, alice):
    await stored(room, None, "maintenance at noon")
    socket = await joined(connect, alice, room)
    frame = {"command": "edit", "room": room.pk, "id": 1, "message": "no"}
    assert await command(socket, frame) == [{"error": "PERMISSION_DENIED", "room": room.pk}]


@pytest.mark.parametrize("number", [2, 99])
async def test_a_change_of_a_missing_message_is_message_invalid(connect, room, alice, number):
    await stored(room, alice)
    socket = await joined(connect, alice, room)
    for frame in (
        {"command": "edit", "room": room.pk, "id": number, "message": "x"},
        {"command": "delete", "room": room.pk, "id": number},
        {"command": "react", "room": room.pk, "id": number, "emoji": "👍", "on": True},
        {"command": "send", "room": room.pk, "message": "re", "reply_to": number},
    ):
        assert await command(socket, frame) == [{"error": "MESSAGE_INVALID", "room": room.pk}]
    assert await sync_to_async(Room.objects.values_list("last_seq", flat=True).get)(pk=room.pk) == 1


async def test_a_deletion_wipes_the_message_and_tells_every_socket(connect, room, alice, bob):
    message = await stored(room, alice, "oops")
    await sync_to_async(Reaction.objects.create)(message=message, user=bob, emoji="😀")
    mine, theirs = await joined(connect, alice, room), await joined(connect, bob, room)
    frames = await command(mine, {"command": "delete", "room": room.pk, "id": 1})
    assert frames[0] == {"ack": None, "room": room.pk, "seq": 2}
    assert events_of(await drain(theirs), room) == [
        {"room": room.pk, "seq": 2, "id": 1, "deleted": True}
    ]
    row = await message_row(room, 1)
    assert (row.text, row.html, row.deleted is not None) == ("", "", True)
    assert not await sync_to_async(Reaction.objects.filter(message=row).exists)()


async def test_a_member_cannot_delete_someone_elses_message(connect, room, alice, bob):
    await stored(room, alice)
    socket = await joined(connect, bob, room)
    frame = {"command": "delete", "room": room.pk, "id": 1}
    assert await command(socket, frame) == [{"error": "PERMISSION_DENIED", "room": room.pk}]


async def test_staff_delete_any_message_in_a_staff_room(connect, amake_room, amake_user, alice):
    staff_room = await amake_room("Staff", staff_only=True)
    author, moderator = await amake_user(staff=True), await amake_user(staff=True)
    await stored(staff_room, author)
    socket = await joined(connect, moderator, staff_room)
    frames = await command(socket, {"command": "delete", "room": staff_room.pk, "id": 1})
    assert frames[0]["ack"] is None and frames[0]["seq"] == 2
    log = await sync_to_async(MessageChange.objects.select_related("actor").get)()
    assert (log.kind, log.actor, log.seq) == ("delete", moderator, 2)


async def test_the_moderate_room_permission_lets_a_member_delete_others(
    connect, room, alice, amake_user
):
    await stored(room, alice)
    moderator = await amake_user(perms=["rooms.moderate_room"])
    assert await sync_to_async(Permission.objects.filter(codename="moderate_room").exists)()
    socket = await joined(connect, moderator, room)
    frames = await command(socket, {"command": "delete", "room": room.pk, "id": 1})
    assert frames[0]["seq"] == 2


async def test_reactions_are_counted_per_emoji_in_first_use_order(connect, room, alice, bob):
    await stored(room, alice)
    mine, theirs = await joined(connect, alice, room), await joined(connect, bob, room)
    for socket, emoji in ((mine, "🎉"), (theirs, "👍"), (mine, "👍")):
        frames = await command(
            socket, {"command": "react", "room": room.pk, "id": 1, "emoji": emoji, "on": True}
        )
        assert "ack" in frames[0]
    (last,) = events_of(await drain(theirs), room)[-1:]
    assert last["reactions"] == [
        {"emoji": "🎉", "count": 1, "users": ["alice"]},
        {"emoji": "👍", "count": 2, "users": ["bob", "alice"]},
    ]
    assert last["seq"] == 4
    frames = await command(
        theirs, {"command": "react", "room": room.pk, "id": 1, "emoji": "👍", "on": False}
    )
    assert frames[0] == {"ack": None, "room": room.pk, "seq": 5}
    assert events_of(frames, room)[-1]["reactions"][1] == {
        "emoji": "👍",
        "count": 1,
        "users": ["alice"],
    }


async def test_a_reaction_already_given_changes_nothing(connect, room, alice):
    await stored(room, alice)
    socket = await joined(connect, alice, room)
    react = {"command": "react", "room": room.pk, "id": 1, "emoji": "👍", "on": True}
    assert (await command(socket, react))[0]["seq"] == 2
    assert await command(socket, react) == [{"ack": None, "room": room.pk, "seq": 2}]


@pytest.mark.parametrize("emoji", ["ab", "👍👍", "", ":)", 7, None, "<b>"])
async def test_a_reaction_that_is_not_one_emoji_is_bad_request(connect, room, alice, emoji):
    await stored(room, alice)
    socket = await joined(connect, alice, room)
    frame = {"command": "react", "room": room.pk, "id": 1, "emoji": emoji, "on": True}
    assert await command(socket, frame) == [{"error": "BAD_REQUEST", "room": room.pk}]


async def test_a_repeated_client_id_is_acknowledged_again_and_changes_nothing(connect, room, alice):
    await stored(room, alice)
    socket = await joined(connect, alice, room)
    edit = {"command": "edit", "room": room.pk, "id": 1, "message": "v2", "client_id": "e1"}
    first = await command(socket, edit)
    again = await command(socket, {**edit, "message": "v3"})
    assert first[0] == again[0] == {"ack": "e1", "room": room.pk, "seq": 2}
    assert events_of(again, room) == []
    assert (await message_row(room, 1)).text == "v2"


async def test_a_reply_quotes_its_parent_and_a_deleted_parent_is_quoted_as_deleted(
    connect, room, alice, bob
):
    await stored(room, alice, "x" * 150)
    socket = await joined(connect, bob, room)
    frames = await command(
        socket, {"command": "send", "room": room.pk, "message": "agreed", "reply_to": 1}
    )
    (reply,) = events_of(frames, room)
    assert reply["reply_to"] == {"id": 1, "username": "alice", "excerpt": "x" * 100}
    author = await joined(connect, alice, room)
    await command(author, {"command": "delete", "room": room.pk, "id": 1})
    resumed = await connect(STREAM, bob)
    history = await command(resumed, {"command": "join", "room": room.pk})
    (parent, kept) = events_of(history, room)
    assert parent == {"room": room.pk, "seq": 3, "id": 1, "deleted": True}
    assert kept["reply_to"] == {"id": 1, "username": None, "excerpt": None}
    assert "message deleted" in kept["html"] and "xxx" not in kept["html"]


async def test_a_reply_to_another_rooms_message_is_message_invalid(
    connect, room, alice, amake_room
):
    other = await amake_room("Other")
    await stored(other, alice)
    socket = await joined(connect, alice, room)
    frame = {"command": "send", "room": room.pk, "message": "re", "reply_to": 1}
    assert await command(socket, frame) == [{"error": "MESSAGE_INVALID", "room": room.pk}]


async def test_changes_need_the_room_joined(connect, room, alice):
    await stored(room, alice)
    socket = await connect(STREAM, alice)
    frame = {"command": "delete", "room": room.pk, "id": 1}
    assert await command(socket, frame) == [{"error": "ROOM_ACCESS_DENIED", "room": room.pk}]


@pytest.mark.parametrize("since", [0, 1, 2, 3, 4, 5, 6, 7])
async def test_a_resume_from_any_seq_ends_with_the_rooms_current_state(
    connect, room, alice, bob, since
):
    """Seqs: 1-3 sent, 4 edit of 1, 5 reaction on 2, 6 deletion of 3, 7 edit of 1 again."""
    for text in ("one", "two", "three"):
        await stored(room, alice, text)
    socket = await joined(connect, alice, room)
    for frame in (
        {"command": "edit", "room": room.pk, "id": 1, "message": "one, edited"},
        {"command": "react", "room": room.pk, "id": 2, "emoji": "👍", "on": True},
        {"command": "delete", "room": room.pk, "id": 3},
        {"command": "edit", "room": room.pk, "id": 1, "message": "one, again"},
    ):
        await command(socket, frame)
    resumed = await connect(STREAM, bob)
    frames = await command(resumed, {"command": "join", "room": room.pk, "since": since})
    assert frames[0]["seq"] == 7
    view = {}  # what a client holds after applying the replay by id
    for event in events_of(frames, room):
        assert event["seq"] > since
        view[event["id"]] = None if event.get("deleted") else event["message"]
    current = {1: "one, again", 2: "two", 3: None}
    changed_after = {1: 7, 2: 5, 3: 6}
    assert view == {n: text for n, text in current.items() if changed_after[n] > since}
    seqs = [e["seq"] for e in events_of(frames, room)]
    assert seqs == sorted(seqs)  # in the order of the last change


async def test_a_client_id_used_for_another_change_is_bad_request(connect, room, alice):
    await stored(room, alice, "one")
    await stored(room, alice, "two")
    socket = await joined(connect, alice, room)
    edit = {"command": "edit", "room": room.pk, "id": 1, "message": "one!", "client_id": "k"}
    assert (await command(socket, edit))[0]["ack"] == "k"
    delete = {"command": "delete", "room": room.pk, "id": 2, "client_id": "k"}
    assert await command(socket, delete) == [
        {"error": "BAD_REQUEST", "room": room.pk, "client_id": "k"}
    ]
    assert (await message_row(room, 2)).deleted is None


async def test_a_reaction_that_changes_nothing_takes_no_seq(connect, room, alice):
    await stored(room, alice)
    socket = await joined(connect, alice, room)
    off = {"command": "react", "room": room.pk, "id": 1, "emoji": "👍", "on": False}
    assert await command(socket, off) == [{"ack": None, "room": room.pk, "seq": 1}]
    last_seq = await sync_to_async(Room.objects.values_list("last_seq", flat=True).get)(pk=room.pk)
    assert last_seq == 1


@pytest.mark.parametrize("reply_to", ["x", -1, 1.5, True])
async def test_a_reply_to_that_is_not_an_id_is_bad_request_for_the_room(
    connect, room, alice, reply_to
):
    socket = await joined(connect, alice, room)
    frame = {"command": "send", "room": room.pk, "message": "re", "reply_to": reply_to}
    assert await command(socket, frame) == [{"error": "BAD_REQUEST", "room": room.pk}]
