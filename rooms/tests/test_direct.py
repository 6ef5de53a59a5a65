"""Direct conversations: the same people always meet in the same room, each sees it
named after the others, nobody joins later, and a member may leave."""

import pytest
from asgiref.sync import sync_to_async
from django.db import IntegrityError
from django.utils import timezone

from rooms import direct
from rooms.direct import direct_key_of, direct_title, open_direct
from rooms.errors import ChatError
from rooms.models import MemberRole, Membership, Room, RoomKind
from rooms.ownership import archive, invite, leave_room, remove_member, rename
from rooms.posting import post_message

from .conftest import STREAM

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user):
    return {name: make_user(name) for name in ("alice", "bob", "carol", "dave")}


def refused(code, service, *args):
    with pytest.raises(ChatError) as error:
        service(*args)
    assert error.value.code == code


def members_of(room):
    return set(room.memberships.values_list("user__username", flat=True))


def test_a_direct_room_holds_the_opener_and_the_named(people):
    room = open_direct(people["alice"], ["bob", "carol"])
    assert room.kind == RoomKind.DIRECT
    assert members_of(room) == {"alice", "bob", "carol"}
    ids = sorted(people[n].pk for n in ("alice", "bob", "carol"))
    assert room.direct_key == ".".join(map(str, ids))
    # Every member starts from the beginning, none of them owns it.
    assert set(room.memberships.values_list("read_seq", "role")) == {(0, MemberRole.MEMBER)}


def test_the_same_people_always_get_the_same_room(people):
    first = open_direct(people["alice"], ["bob", "carol"])
    assert open_direct(people["carol"], ["Alice", "@bob"]).pk == first.pk
    assert open_direct(people["bob"], ["carol", "alice", "bob"]).pk == first.pk
    assert open_direct(people["alice"], ["bob"]).pk != first.pk  # other people, other room
    assert Room.objects.filter(kind=RoomKind.DIRECT).count() == 2


def test_a_direct_rooms_title_is_unique_and_never_the_name_shown(people):
    one, two = open_direct(people["alice"], ["bob"]), open_direct(people["alice"], ["carol"])
    assert one.title.startswith("direct-") and one.title != two.title
    assert direct_title(one, people["alice"]) == "bob"


def test_the_name_shown_is_the_others_for_each_viewer(people):
    room = open_direct(people["carol"], ["bob", "alice"])
    assert direct_title(room, people["alice"]) == "bob, carol"
    assert direct_title(room, people["carol"]) == "alice, bob"


def test_a_conversation_is_still_named_after_someone_who_left_it(people):
    room = open_direct(people["alice"], ["bob"])
    leave_room(people["bob"], room)
    assert direct_title(room, people["alice"]) == "bob"


def test_a_room_made_at_the_same_moment_by_another_is_taken(people, monkeypatch):
    """The race: both look, find nothing, both create; the second one's insert fails on
    direct_key, and it takes the first one's room."""
    theirs = open_direct(people["bob"], ["alice"])
    real_filter = Room.objects.filter
    looked = []

    def not_yet(*args, **kwargs):
        if "direct_key" in kwargs and not looked:
            looked.append(True)
            return Room.objects.none()  # the look before the other's commit
        return real_filter(*args, **kwargs)

    monkeypatch.setattr(direct.Room.objects, "filter", not_yet)
    assert open_direct(people["alice"], ["bob"]).pk == theirs.pk
    assert Room.objects.filter(kind=RoomKind.DIRECT).count() == 1


def test_the_key_is_unique_in_the_database(people):
    open_direct(people["alice"], ["bob"])
    key = direct_key_of([people["alice"].pk, people["bob"].pk])
    with pytest.raises(IntegrityError):
        Room.objects.create(title="copy", kind=RoomKind.DIRECT, direct_key=key)


@pytest.mark.parametrize(
    "names, code",
    [
        ([], "BAD_REQUEST"),
        (["alice"], "BAD_REQUEST"),  # only oneself
        (["nobody"], "USER_INVALID"),
        (["bob", "nobody"], "USER_INVALID"),
        (["gone"], "USER_INVALID"),  # inactive
    ],
)
def test_open_direct_refusals(people, make_user, names, code):
    make_user("gone", is_active=False)
    refused(code, open_direct, people["alice"], names)
    assert not Room.objects.exists()


def test_at_most_the_configured_number_of_members(settings, people, make_user):
    settings.CHAT_DIRECT_MAX_MEMBERS = 3
    refused("BAD_REQUEST", open_direct, people["alice"], ["bob", "carol", "dave"])
    assert open_direct(people["alice"], ["bob", "carol"]).pk


def test_eight_people_fit_by_default(people, make_user):
    others = [make_user().username for _ in range(7)]
    assert len(members_of(open_direct(people["alice"], others))) == 8
    refused("BAD_REQUEST", open_direct, people["alice"], [*others, "bob"])


def test_nobody_joins_a_direct_room_later_and_nobody_runs_it(people):
    room = open_direct(people["alice"], ["bob"])
    refused("PERMISSION_DENIED", invite, people["alice"], room, "carol")
    refused("PERMISSION_DENIED", remove_member, people["alice"], room, "bob")
    refused("PERMISSION_DENIED", rename, people["alice"], room, "Ours", "")
    refused("PERMISSION_DENIED", archive, people["alice"], room)
    refused("ROOM_INVALID", invite, people["carol"], room, "carol")  # never confirmed


def test_a_member_may_leave_and_the_room_stays_for_the_others(people):
    room = open_direct(people["alice"], ["bob", "carol"])
    assert leave_room(people["carol"], room)
    room.refresh_from_db()
    assert room.archived is None and members_of(room) == {"alice", "bob"}
    assert not room.is_visible_to(people["carol"])


def test_opening_the_conversation_again_brings_back_who_left(people):
    room = open_direct(people["alice"], ["bob"])
    post_message(room=room, author=people["alice"], text="hello")
    leave_room(people["bob"], room)
    assert open_direct(people["alice"], ["bob"]).pk == room.pk
    room.refresh_from_db()
    back = Membership.objects.get(room=room, user=people["bob"])
    assert back.read_seq == room.last_seq  # what came before is not new to them


def test_an_archived_conversation_is_kept_and_the_same_people_start_afresh(people):
    room = open_direct(people["alice"], ["bob"])
    Room.objects.filter(pk=room.pk).update(archived=timezone.now())
    fresh = open_direct(people["bob"], ["alice"])
    assert fresh.pk != room.pk and fresh.direct_key == room.direct_key
    room.refresh_from_db()
    assert room.direct_key is None and room.archived is not None


# The pages and the socket -------------------------------------------------------------------


def test_the_new_message_page_opens_the_conversation(client, people):
    client.force_login(people["alice"])
    assert client.get("/rooms/direct/new/").status_code == 200
    response = client.post("/rooms/direct/new/", {"usernames": "bob, carol"})
    room = Room.objects.get(kind=RoomKind.DIRECT)
    assert response.status_code == 302 and response["Location"] == f"/rooms/{room.pk}/"
    again = client.post("/rooms/direct/new/", {"usernames": "carol bob"})
    assert again["Location"] == f"/rooms/{room.pk}/"


@pytest.mark.parametrize(
    "typed, says",
    [
        ("bob nobody", "Nobody here is called nobody."),
        ("alice", "Name at least one other person."),
        (", ,", "Name at least one other person."),
    ],
)
def test_the_new_message_page_says_what_is_wrong(client, people, typed, says):
    client.force_login(people["alice"])
    response = client.post("/rooms/direct/new/", {"usernames": typed})
    assert response.status_code == 200 and says in response.content.decode()
    assert not Room.objects.exists()


def test_the_new_message_page_bounds_the_number_of_names(client, people, make_user):
    client.force_login(people["alice"])
    names = " ".join(make_user().username for _ in range(8))
    response = client.post("/rooms/direct/new/", {"usernames": names})
    assert "At most 7 people besides you." in response.content.decode()


def test_the_lobby_lists_a_direct_room_by_the_others_names(client, people):
    room = open_direct(people["alice"], ["bob"])
    client.force_login(people["alice"])
    page = client.get("/").content.decode()
    assert "Private and direct" in page and "<span>bob</span>" in page
    assert room.title not in page
    client.force_login(people["carol"])
    assert client.get(f"/rooms/{room.pk}/").status_code == 404


def test_the_settings_page_of_a_direct_room_offers_leaving_only(client, people):
    room = open_direct(people["alice"], ["bob"])
    client.force_login(people["alice"])
    page = client.get(f"/rooms/{room.pk}/settings/").content.decode()
    assert "Leave conversation" in page and "<h1" in page and ">bob</h1>" in page
    assert "Invite" not in page and "Archive" not in page and room.title not in page
    client.force_login(people["carol"])
    assert client.get(f"/rooms/{room.pk}/settings/").status_code == 404


@pytest.mark.django_db(transaction=True)
async def test_the_join_reply_names_a_direct_room_after_the_others(connect, amake_user):
    alice, bob = await amake_user("alice"), await amake_user("bob")
    room = await sync_to_async(open_direct)(alice, ["bob"])
    socket = await connect(STREAM, bob)
    await socket.send_json_to({"command": "join", "room": room.pk})
    reply = await socket.receive_json_from()
    assert reply["join"] == room.pk and reply["title"] == "alice"


def test_the_admin_shows_a_direct_rooms_key_but_does_not_edit_it(client, people, make_user):
    room = open_direct(people["alice"], ["bob"])
    client.force_login(make_user(staff=True, is_superuser=True))
    page = client.get(f"/admin/rooms/room/{room.pk}/change/").content.decode()
    assert room.direct_key in page and 'name="direct_key"' not in page
