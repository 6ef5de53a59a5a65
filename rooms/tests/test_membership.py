"""Room membership and the kinds of room: public, staff-only, private and direct.

Who sees what is one rule (rooms.models.may_see_room) read by the lobby, the socket's
join and every change; a private or direct room is never described to a non-member.
"""

import pytest
from asgiref.sync import sync_to_async

from rooms.changes import delete_and_broadcast
from rooms.errors import ChatError
from rooms.models import MemberRole, Membership, Room, RoomKind
from rooms.posting import post_message, send_room_message
from rooms.reactions import react

from .conftest import STREAM, drain

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def rooms(make_room):
    return {
        "public": make_room("Lounge"),
        "staff": make_room("Staff room", staff_only=True),
        "private": make_room("Plans", kind=RoomKind.PRIVATE),
        "direct": make_room("alice, bob", kind=RoomKind.DIRECT),
        "staff-private": make_room("Board", kind=RoomKind.PRIVATE, staff_only=True),
    }


def visible(user):
    return set(Room.objects.visible_to(user).values_list("title", flat=True))


def test_private_and_direct_rooms_are_seen_by_their_members_only(rooms, make_user):
    member, outsider, staff = make_user(), make_user(), make_user(staff=True)
    for kind in ("private", "direct"):
        Membership.objects.create(room=rooms[kind], user=member)
    assert visible(member) == {"Lounge", "Plans", "alice, bob"}
    assert visible(outsider) == {"Lounge"}
    assert visible(staff) == {"Lounge", "Staff room"}  # staff are not members of Plans
    for title, room in rooms.items():
        expected = room.title in visible(member)
        assert room.is_visible_to(member) == expected, title


def test_a_staff_only_private_room_needs_both(rooms, make_user):
    staff_member, member = make_user(staff=True), make_user()
    for user in (staff_member, member):
        Membership.objects.create(room=rooms["staff-private"], user=user)
    assert "Board" in visible(staff_member)
    assert "Board" not in visible(member)


def test_the_live_room_lists_carry_public_rooms_only(rooms):
    assert set(Room.objects.public().values_list("title", flat=True)) == {"Lounge"}
    staff_list = set(Room.objects.listed_to_staff().values_list("title", flat=True))
    assert staff_list == {"Lounge", "Staff room"}


async def test_opening_a_public_room_makes_a_membership_and_closing_it_keeps_it(
    connect, rooms, amake_user
):
    alice = await amake_user()
    socket = await connect(STREAM, alice)
    for _ in range(2):  # a second join (another tab, a reconnect) makes no second one
        await socket.send_json_to({"command": "join", "room": rooms["public"].pk})
        await drain(socket)
    await socket.send_json_to({"command": "leave", "room": rooms["public"].pk})
    await drain(socket)
    members = sync_to_async(lambda: list(Membership.objects.values_list("room_id", "user_id")))
    assert await members() == [(rooms["public"].pk, alice.pk)]


@pytest.mark.parametrize("kind", ["private", "direct"])
async def test_a_non_member_is_told_the_room_does_not_exist(connect, rooms, amake_user, kind):
    outsider = await amake_user()
    socket = await connect(STREAM, outsider)
    await socket.send_json_to({"command": "join", "room": rooms[kind].pk})
    assert await drain(socket) == [{"error": "ROOM_INVALID", "room": rooms[kind].pk}]
    missing = rooms[kind].pk + 1000
    await socket.send_json_to({"command": "join", "room": missing})
    assert await drain(socket) == [{"error": "ROOM_INVALID", "room": missing}]


async def test_a_member_joins_a_private_room_and_a_non_member_cannot_change_its_messages(
    connect, rooms, amake_user
):
    member, outsider = await amake_user(), await amake_user()
    room = rooms["private"]
    await sync_to_async(Membership.objects.create)(room=room, user=member)
    await sync_to_async(post_message)(room=room, author=member, text="secret plan")
    mine = await connect(STREAM, member)
    await mine.send_json_to({"command": "join", "room": room.pk})
    frames = await drain(mine)
    assert frames[0]["join"] == room.pk
    assert any(f.get("message") == "secret plan" for f in frames)
    theirs = await connect(STREAM, outsider)
    for frame in (
        {"command": "react", "room": room.pk, "id": 1, "emoji": "👍", "on": True},
        {"command": "edit", "room": room.pk, "id": 1, "message": "mine now"},
        {"command": "delete", "room": room.pk, "id": 1},
        {"command": "send", "room": room.pk, "message": "hello?"},
    ):
        # Answered exactly as the same frame for a room that does not exist.
        await theirs.send_json_to(frame)
        refused = await drain(theirs)
        missing = room.pk + 1000
        await theirs.send_json_to({**frame, "room": missing})
        assert refused == [{**f, "room": room.pk} for f in await drain(theirs)], frame
    # The services themselves, whatever socket state: a non-member's change of a private
    # room's message is refused as for a room that does not exist.
    with pytest.raises(ChatError) as refused:
        await sync_to_async(react)(outsider.pk, room.pk, 1, "👍", True, "")
    assert refused.value.code == "ROOM_INVALID"


def test_the_lobby_lists_a_members_private_room_and_hides_it_from_others(client, rooms, make_user):
    member, outsider = make_user(), make_user()
    Membership.objects.create(room=rooms["private"], user=member)
    client.force_login(member)
    page = client.get("/").content.decode()
    assert "Plans" in page and "Private and direct" in page
    client.force_login(outsider)
    page = client.get("/").content.decode()
    assert "Plans" not in page
    assert client.get(f"/rooms/{rooms['private'].pk}/").status_code == 404


def test_the_admin_deletes_in_a_private_room_it_is_not_a_member_of(rooms, make_user):
    member, admin_user = make_user(), make_user(staff=True, is_superuser=True)
    Membership.objects.create(room=rooms["private"], user=member)
    message = post_message(room=rooms["private"], author=member, text="spam").message
    assert delete_and_broadcast(admin_user, message)
    message.refresh_from_db()
    assert message.deleted is not None and message.text == ""


async def test_a_member_removed_while_the_room_is_open_gets_nothing_more_of_it(
    connect, rooms, amake_user
):
    member, other = await amake_user(), await amake_user()
    room = rooms["private"]
    for user in (member, other):
        await sync_to_async(Membership.objects.create)(room=room, user=user)
    theirs = await connect(STREAM, member)
    await theirs.send_json_to({"command": "join", "room": room.pk})
    await drain(theirs)
    await sync_to_async(Membership.objects.filter(room=room, user=member).delete)()
    assert {"error": "ROOM_ACCESS_DENIED", "room": room.pk} in await drain(theirs)
    await sync_to_async(send_room_message)(room=room, text="after you left")
    assert not any("after you left" in str(f) for f in await drain(theirs))


async def test_a_public_room_made_private_keeps_its_owners_and_drops_the_others_sockets(
    connect, rooms, amake_user
):
    owner, visitor = await amake_user(), await amake_user()
    room = rooms["public"]
    sockets = {}
    for user in (owner, visitor):
        sockets[user] = await connect(STREAM, user)
        await sockets[user].send_json_to({"command": "join", "room": room.pk})
        await drain(sockets[user])
    await sync_to_async(Membership.objects.filter(user=owner).update)(role=MemberRole.OWNER)
    room.kind = RoomKind.PRIVATE
    await sync_to_async(room.save)()
    assert {"error": "ROOM_ACCESS_DENIED", "room": room.pk} in await drain(sockets[visitor])
    members = sync_to_async(lambda: list(Membership.objects.values_list("user_id", flat=True)))
    assert await members() == [owner.pk]
    await sync_to_async(send_room_message)(room=room, text="owners only")
    assert any("owners only" in str(f) for f in await drain(sockets[owner]))
    assert not any("owners only" in str(f) for f in await drain(sockets[visitor]))


def test_the_staff_send_page_offers_and_takes_only_rooms_the_staff_user_sees(
    client, rooms, make_user
):
    client.force_login(make_user(staff=True))
    page = client.get("/rooms/send/").content.decode()
    assert "Lounge" in page and "Plans" not in page and "alice, bob" not in page
    client.post("/rooms/send/", {"room": rooms["private"].pk, "msg_type": 0, "text": "hi"})
    assert not rooms["private"].messages.exists()


def test_the_admin_shows_staff_only_the_rooms_they_see_and_superusers_all(client, rooms, make_user):
    viewer = make_user(staff=True, perms=["rooms.view_room", "rooms.view_message"])
    post_message(room=rooms["private"], author=None, text="private words")
    client.force_login(viewer)
    assert "Plans" not in client.get("/admin/rooms/room/").content.decode()
    assert "private words" not in client.get("/admin/rooms/message/").content.decode()
    client.force_login(make_user(staff=True, is_superuser=True))
    assert "Plans" in client.get("/admin/rooms/room/").content.decode()
