"""Rooms users make and run: create, invite, remove, rename, archive, leave.

Every service checks who may before it changes anything: a room the actor may not see
is answered as one that does not exist, a member who does not run it is denied. The
pages map those refusals to 404, 403 or a message on the form.
"""

import re

import pytest
from asgiref.sync import sync_to_async
from django.contrib.messages import get_messages
from django.test import Client

from rooms.errors import ERRORS, ChatError
from rooms.models import MemberRole, Membership, Room, RoomKind
from rooms.ownership import (
    archive,
    create_room,
    invite,
    leave_room,
    remove_member,
    rename,
    user_named,
)
from rooms.posting import post_message, send_room_message

from .conftest import STREAM, drain

pytestmark = pytest.mark.django_db


def refused(code, service, *args):
    with pytest.raises(ChatError) as error:
        service(*args)
    assert error.value.code == code
    return error.value


@pytest.fixture
def owner(make_user):
    return make_user("olivia")


@pytest.fixture
def member(make_user):
    return make_user("mia")


@pytest.fixture
def outsider(make_user):
    return make_user("oscar")


@pytest.fixture
def private(owner, member):
    room = create_room(owner, "Plans", "What we do next", RoomKind.PRIVATE)
    invite(owner, room, member.username)
    return room


def role_of(user, room):
    return Membership.objects.filter(room=room, user=user).values_list("role", flat=True).first()


# create_room --------------------------------------------------------------------------------


def test_the_creator_of_a_room_is_its_owner(owner):
    room = create_room(owner, "  Book   club ", "Monthly", RoomKind.PUBLIC)
    assert (room.title, room.description, room.kind) == ("Book club", "Monthly", "public")
    assert role_of(owner, room) == MemberRole.OWNER


def test_a_private_room_is_seen_by_its_creator_only(owner, outsider):
    room = create_room(owner, "Secret", "", RoomKind.PRIVATE)
    assert room.is_visible_to(owner) and not room.is_visible_to(outsider)


def test_creating_rooms_can_be_left_to_staff(settings, owner, make_user):
    settings.CHAT_USERS_CAN_CREATE_ROOMS = False
    refused("PERMISSION_DENIED", create_room, owner, "Mine", "", RoomKind.PUBLIC)
    assert create_room(make_user(staff=True), "Staff made", "", RoomKind.PUBLIC).pk


def test_a_direct_room_is_not_created_as_a_room(owner):
    refused("BAD_REQUEST", create_room, owner, "Us", "", RoomKind.DIRECT)
    assert not Room.objects.exists()


@pytest.mark.parametrize("title", ["general", "GENERAL", " General "])
def test_a_title_another_room_has_in_any_case_is_taken(owner, make_room, title):
    make_room("General")
    refused("ROOM_TITLE_TAKEN", create_room, owner, title, "", RoomKind.PUBLIC)


def test_a_title_like_a_direct_rooms_is_reserved(owner):
    refused("ROOM_TITLE_TAKEN", create_room, owner, "Direct-abc", "", RoomKind.PUBLIC)


@pytest.mark.parametrize("title", ["", "   ", "x" * 101, "nul\x00", "bell\x07", "gnp.\u202eexe"])
def test_an_empty_overlong_or_unprintable_title_is_refused(owner, title):
    refused("BAD_REQUEST", create_room, owner, title, "", RoomKind.PUBLIC)


def test_an_emoji_title_with_joiners_is_fine(owner):
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467 Family"
    assert create_room(owner, family, "", RoomKind.PUBLIC).title == family


def test_an_overlong_description_is_refused(owner):
    refused("BAD_REQUEST", create_room, owner, "Fine", "x" * 301, RoomKind.PUBLIC)


def test_titles_with_the_same_slug_are_two_rooms(owner):
    first = create_room(owner, "My room", "", RoomKind.PUBLIC)
    second = create_room(owner, "My-room", "", RoomKind.PUBLIC)
    assert first.slug == "my-room" and second.slug.startswith("my-room-")


def test_an_inactive_or_anonymous_user_creates_nothing(make_user):
    from django.contrib.auth.models import AnonymousUser

    refused("USER_HAS_TO_LOGIN", create_room, AnonymousUser(), "Ghost", "", RoomKind.PUBLIC)
    refused("USER_HAS_TO_LOGIN", create_room, make_user(is_active=False), "Gone", "", "public")


# invite -------------------------------------------------------------------------------------


def test_an_invited_member_sees_the_private_room_and_reads_from_now(owner, outsider, private):
    post_message(room=private, author=owner, text="before you came")
    membership = invite(owner, private, "OSCAR")  # names compare as sign-up compares them
    private.refresh_from_db()
    assert membership.user == outsider and membership.read_seq == private.last_seq
    assert private.is_visible_to(outsider)


def test_inviting_a_member_again_changes_nothing(owner, member, private):
    before = Membership.objects.get(room=private, user=member)
    assert invite(owner, private, "@mia").pk == before.pk  # a mention's @ is fine


@pytest.mark.parametrize("name", ["nobody", "", "inactive"])
def test_inviting_an_unknown_or_inactive_name_is_refused(owner, private, make_user, name):
    make_user("inactive", is_active=False)
    refused("USER_INVALID", invite, owner, private, name)


def test_a_non_staff_user_is_not_invited_into_a_staff_only_room(make_user, make_room, member):
    staff = make_user(staff=True)
    room = make_room("Staff plans", staff_only=True, kind=RoomKind.PRIVATE)
    Membership.objects.create(room=room, user=staff, role=MemberRole.OWNER)
    refused("USER_INVALID", invite, staff, room, member.username)


def test_a_member_who_is_not_owner_may_not_invite(member, outsider, private):
    refused("PERMISSION_DENIED", invite, member, private, outsider.username)


def test_an_outsider_is_told_a_private_room_does_not_exist(outsider, member, private):
    error = refused("ROOM_INVALID", invite, outsider, private, member.username)
    assert error.room == private.pk


def test_staff_run_public_rooms_but_do_not_see_private_ones(make_user, make_room, private, owner):
    staff = make_user(staff=True)
    lounge = make_room("Lounge")
    invite(staff, lounge, owner.username)
    refused("ROOM_INVALID", invite, staff, private, owner.username)


def test_a_superuser_runs_every_room(make_user, private, outsider):
    boss = make_user(staff=True, is_superuser=True)
    invite(boss, private, outsider.username)
    assert private.is_visible_to(outsider)


def test_an_invite_into_a_public_room_makes_a_membership(owner, outsider):
    room = create_room(owner, "Open house", "", RoomKind.PUBLIC)
    invite(owner, room, outsider.username)
    assert role_of(outsider, room) == MemberRole.MEMBER


# remove_member ------------------------------------------------------------------------------


def test_an_owner_removes_a_member(owner, member, private):
    remove_member(owner, private, member.username)
    assert role_of(member, private) is None and not private.is_visible_to(member)


def test_an_owner_cannot_remove_themselves(owner, private):
    refused("BAD_REQUEST", remove_member, owner, private, owner.username)
    assert role_of(owner, private) == MemberRole.OWNER


def test_removing_a_non_member_is_refused(owner, outsider, private):
    refused("USER_INVALID", remove_member, owner, private, outsider.username)
    refused("USER_INVALID", remove_member, owner, private, "nobody")


def test_a_member_may_not_remove_anyone(member, owner, private):
    refused("PERMISSION_DENIED", remove_member, member, private, owner.username)


def test_an_owner_may_not_remove_another_owner_but_staff_may(owner, member, private, make_user):
    Membership.objects.filter(user=member).update(role=MemberRole.OWNER)
    refused("PERMISSION_DENIED", remove_member, owner, private, member.username)
    boss = make_user(staff=True, is_superuser=True)
    remove_member(boss, private, member.username)
    assert role_of(member, private) is None


def test_an_inactive_member_can_still_be_removed(owner, member, private):
    member.is_active = False
    member.save()
    remove_member(owner, private, member.username)
    assert role_of(member, private) is None


# rename and archive -------------------------------------------------------------------------


def test_an_owner_renames_and_describes_the_room(owner, private):
    rename(owner, private, "Next plans", "Updated")
    private.refresh_from_db()
    assert (private.title, private.description) == ("Next plans", "Updated")


def test_renaming_without_a_description_keeps_it(owner, private):
    rename(owner, private, "Plans B")
    private.refresh_from_db()
    assert private.description == "What we do next"


def test_renaming_to_the_rooms_own_title_in_another_case_is_fine(owner, private):
    rename(owner, private, "PLANS", "")
    private.refresh_from_db()
    assert private.title == "PLANS"


def test_renaming_to_a_taken_title_is_refused(owner, private, make_room):
    make_room("Lounge")
    refused("ROOM_TITLE_TAKEN", rename, owner, private, "lounge", "")
    private.refresh_from_db()
    assert private.title == "Plans"


@pytest.mark.parametrize("service", [rename, archive])
def test_a_member_may_not_rename_or_archive(member, private, service):
    args = (member, private, "Mine") if service is rename else (member, private)
    refused("PERMISSION_DENIED", service, *args)


def test_an_archived_room_is_gone_for_everyone_on_the_site(owner, member, private):
    archive(owner, private)
    assert private.archived is not None
    assert not Room.objects.visible_to(owner).filter(pk=private.pk).exists()
    assert not private.is_visible_to(member)
    # Nobody runs it on the site any more; only a superuser (the admin) still could.
    refused("ROOM_INVALID", rename, owner, private, "Back", "")


def test_an_archived_public_room_leaves_the_lobby(client, owner):
    room = create_room(owner, "Fading", "", RoomKind.PUBLIC)
    client.force_login(owner)
    assert "Fading" in client.get("/").content.decode()
    archive(owner, room)
    assert "Fading" not in client.get("/").content.decode()
    assert client.get(f"/rooms/{room.pk}/").status_code == 404


# leave_room ---------------------------------------------------------------------------------


def test_a_member_leaves_a_private_room_and_no_longer_sees_it(member, private):
    assert leave_room(member, private) is True
    assert not private.is_visible_to(member)


def test_leaving_a_public_room_one_is_not_in_changes_nothing(make_room, outsider):
    assert leave_room(outsider, make_room("Lounge")) is False


def test_an_outsider_cannot_leave_a_private_room(outsider, private):
    refused("ROOM_INVALID", leave_room, outsider, private)


def test_the_last_owner_leaving_hands_the_room_to_the_longest_standing_member(
    owner, member, private, make_user
):
    later = make_user()
    invite(owner, private, later.username)
    leave_room(owner, private)
    assert role_of(member, private) == MemberRole.OWNER
    assert role_of(later, private) == MemberRole.MEMBER


def test_a_private_room_its_last_member_leaves_is_archived(owner):
    room = create_room(owner, "Alone", "", RoomKind.PRIVATE)
    leave_room(owner, room)
    room.refresh_from_db()
    assert room.archived is not None


def test_an_owner_leaving_a_public_room_leaves_it_to_staff(owner, member):
    room = create_room(owner, "Open", "", RoomKind.PUBLIC)
    invite(owner, room, member.username)
    leave_room(owner, room)
    assert role_of(member, room) == MemberRole.MEMBER


# user_named ---------------------------------------------------------------------------------


def test_user_named_compares_as_sign_up_does(make_user):
    alice = make_user("alice")
    assert user_named("ALICE") == alice
    assert user_named("\uff41lice") == alice  # a fullwidth a: NFKC
    assert user_named("  @alice ") == alice
    assert user_named("alic") is None


# The pages ----------------------------------------------------------------------------------


@pytest.fixture
def as_owner(client, owner):
    client.force_login(owner)
    return client


def flashed(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_lobby_offers_new_room_and_new_message(as_owner):
    page = as_owner.get("/").content.decode()
    assert 'href="/rooms/new/"' in page and 'href="/rooms/direct/new/"' in page
    assert 'data-settings-url="/rooms/0/settings/"' in page


def test_the_lobby_hides_new_room_when_only_staff_may(settings, as_owner):
    settings.CHAT_USERS_CAN_CREATE_ROOMS = False
    page = as_owner.get("/").content.decode()
    assert 'href="/rooms/new/"' not in page and 'href="/rooms/direct/new/"' in page
    assert as_owner.get("/rooms/new/").status_code == 403


def test_the_new_room_page_makes_a_room_and_opens_it(as_owner, owner):
    assert as_owner.get("/rooms/new/").status_code == 200
    response = as_owner.post(
        "/rooms/new/", {"title": "Garden", "description": "Plants", "kind": "private"}
    )
    room = Room.objects.get(title="Garden")
    assert response.status_code == 302 and response["Location"] == f"/rooms/{room.pk}/"
    assert room.kind == "private" and role_of(owner, room) == MemberRole.OWNER


def test_the_new_room_page_says_a_title_is_taken(as_owner, make_room):
    make_room("Garden")
    response = as_owner.post("/rooms/new/", {"title": "garden", "kind": "public"})
    assert response.status_code == 200
    assert ERRORS["ROOM_TITLE_TAKEN"].text in response.content.decode()


def test_posting_without_the_csrf_token_is_refused_and_with_it_works(owner, private):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    assert browser.post("/rooms/new/", {"title": "Sneaky", "kind": "public"}).status_code == 403
    page = browser.get(f"/rooms/{private.pk}/settings/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    response = browser.post(
        f"/rooms/{private.pk}/settings/rename/",
        {"title": "Safe", "description": "", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert Room.objects.filter(title="Safe").exists()
    assert not Room.objects.filter(title="Sneaky").exists()


def test_owners_see_every_control_on_the_settings_page(as_owner, private):
    page = as_owner.get(f"/rooms/{private.pk}/settings/").content.decode()
    for control in ("Invite", "Save", "Leave room", "Archive this room", 'aria-label="Remove mia"'):
        assert control in page, control
    assert "olivia" in page and "mia" in page


def test_members_see_the_members_and_leave_only(client, member, private):
    client.force_login(member)
    page = client.get(f"/rooms/{private.pk}/settings/").content.decode()
    assert "Leave room" in page and "olivia" in page
    assert "Invite" not in page and "Archive" not in page and "Remove" not in page


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "settings/"),
        ("post", "settings/rename/"),
        ("post", "settings/invite/"),
        ("post", "settings/remove/"),
        ("get", "archive/"),
        ("post", "archive/"),
        ("post", "leave/"),
    ],
)
def test_every_settings_url_is_404_for_a_non_member(client, outsider, private, method, path):
    client.force_login(outsider)
    data = {"title": "Mine", "username": "mia"}
    response = getattr(client, method)(f"/rooms/{private.pk}/{path}", data)
    assert response.status_code == 404
    private.refresh_from_db()
    assert private.title == "Plans" and private.archived is None


@pytest.mark.parametrize(
    "path, data",
    [
        ("settings/rename/", {"title": "Mine"}),
        ("settings/invite/", {"username": "oscar"}),
        ("settings/remove/", {"username": "olivia"}),
        ("archive/", {}),
    ],
)
def test_a_member_who_is_not_owner_gets_403(client, member, outsider, private, path, data):
    client.force_login(member)
    assert client.post(f"/rooms/{private.pk}/{path}", data).status_code == 403


def test_anonymous_visitors_are_sent_to_log_in(client, private):
    response = client.get(f"/rooms/{private.pk}/settings/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_inviting_on_the_page(as_owner, outsider, private):
    response = as_owner.post(f"/rooms/{private.pk}/settings/invite/", {"username": "oscar"})
    assert response.status_code == 302 and response["Location"] == f"/rooms/{private.pk}/settings/"
    assert private.is_visible_to(outsider)
    assert flashed(response) == ["oscar is a member now."]


def test_inviting_an_unknown_name_on_the_page_says_so(as_owner, private):
    response = as_owner.post(f"/rooms/{private.pk}/settings/invite/", {"username": "nobody"})
    assert response.status_code == 200
    assert "Nobody called nobody can be invited" in response.content.decode()


def test_renaming_to_a_taken_name_on_the_page_keeps_what_was_typed(as_owner, private, make_room):
    make_room("Lounge")
    response = as_owner.post(
        f"/rooms/{private.pk}/settings/rename/", {"title": "lounge", "description": "x"}
    )
    page = response.content.decode()
    assert response.status_code == 200 and ERRORS["ROOM_TITLE_TAKEN"].text in page
    assert 'value="lounge"' in page


def test_removing_on_the_page(as_owner, member, private):
    response = as_owner.post(f"/rooms/{private.pk}/settings/remove/", {"username": "mia"})
    assert response["Location"] == f"/rooms/{private.pk}/settings/"
    assert role_of(member, private) is None


def test_removing_oneself_on_the_page_is_refused_with_a_message(as_owner, owner, private):
    response = as_owner.post(f"/rooms/{private.pk}/settings/remove/", {"username": "olivia"})
    assert response.status_code == 302 and role_of(owner, private) == MemberRole.OWNER
    assert flashed(response) == ["olivia was not removed: That cannot be done here."]


def test_archiving_asks_first_then_goes_back_to_the_lobby(as_owner, private):
    page = as_owner.get(f"/rooms/{private.pk}/archive/").content.decode()
    assert "Everyone loses this room at once" in page
    private.refresh_from_db()
    assert private.archived is None  # the GET only asks
    response = as_owner.post(f"/rooms/{private.pk}/archive/")
    assert response.status_code == 302 and response["Location"] == "/"
    private.refresh_from_db()
    assert private.archived is not None


def test_leaving_on_the_page_goes_to_the_lobby_with_a_message(client, member, private):
    client.force_login(member)
    response = client.post(f"/rooms/{private.pk}/leave/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert flashed(response) == ["You left Plans."]
    assert client.get(f"/rooms/{private.pk}/settings/").status_code == 404


def test_the_lobby_after_leaving_names_the_room_once_for_the_page(client, member, make_room):
    lounge = make_room("Lounge")
    Membership.objects.create(room=lounge, user=member)
    client.force_login(member)
    client.post(f"/rooms/{lounge.pk}/leave/")
    # The page's saved open rooms must not open it again (that would rejoin it).
    assert f'data-left-room="{lounge.pk}"' in client.get("/").content.decode()
    assert "data-left-room" not in client.get("/").content.decode()


def test_leave_is_post_only(client, member, private):
    client.force_login(member)
    assert client.get(f"/rooms/{private.pk}/leave/").status_code == 405
    assert role_of(member, private) == MemberRole.MEMBER


# Open sockets -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("change", ["archive", "remove"])
async def test_a_socket_in_the_room_loses_it_at_once(connect, amake_user, change):
    owner, member = await amake_user(), await amake_user()
    room = await sync_to_async(create_room)(owner, "Plans", "", RoomKind.PRIVATE)
    await sync_to_async(invite)(owner, room, member.username)
    socket = await connect(STREAM, member)
    await socket.send_json_to({"command": "join", "room": room.pk})
    await drain(socket)
    if change == "archive":
        await sync_to_async(archive)(owner, room)
    else:
        await sync_to_async(remove_member)(owner, room, member.username)
    assert await drain(socket) == [{"error": "ROOM_ACCESS_DENIED", "room": room.pk}]
    await sync_to_async(send_room_message)(room=room, text="after you")
    assert await socket.receive_nothing(timeout=0.3)


@pytest.mark.django_db(transaction=True)
async def test_an_owner_deletes_anyones_message_in_their_room_and_only_there(connect, amake_user):
    owner, member = await amake_user(), await amake_user()
    room = await sync_to_async(create_room)(owner, "Plans", "", RoomKind.PRIVATE)
    other = await sync_to_async(create_room)(member, "Theirs", "", RoomKind.PUBLIC)
    await sync_to_async(invite)(owner, room, member.username)
    said = await sync_to_async(post_message)(room=room, author=member, text="oops")
    elsewhere = await sync_to_async(post_message)(room=other, author=member, text="mine")
    socket = await connect(STREAM, owner)
    for target in (room, other):
        await socket.send_json_to({"command": "join", "room": target.pk})
    await drain(socket)
    await socket.send_json_to({"command": "delete", "room": room.pk, "id": said.message.number})
    assert {"ack": None, "room": room.pk, "seq": 2} in await drain(socket)
    await socket.send_json_to(
        {"command": "delete", "room": other.pk, "id": elsewhere.message.number}
    )
    assert {"error": "PERMISSION_DENIED", "room": other.pk} in await drain(socket)


# The admin ----------------------------------------------------------------------------------


def test_the_admin_brings_an_archived_room_back(client, make_user, owner, member):
    room = create_room(owner, "Back soon", "", RoomKind.PUBLIC)
    archive(owner, room)
    client.force_login(make_user(staff=True, perms=["rooms.view_room", "rooms.change_room"]))
    listing = client.get("/admin/rooms/room/?archived__isnull=False").content.decode()
    assert "Back soon" in listing  # staff keep the archived public rooms they saw
    page = client.get(f"/admin/rooms/room/{room.pk}/change/").content.decode()
    assert 'name="archived_0"' in page
    response = client.post(
        f"/admin/rooms/room/{room.pk}/change/",
        {
            "title": "Back soon",
            "slug": room.slug,
            "description": "",
            "kind": "public",
            "archived_0": "",
            "archived_1": "",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-0-id": room.memberships.get().pk,
            "memberships-0-room": room.pk,
            "memberships-0-user": owner.pk,
            "memberships-0-role": "owner",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    room.refresh_from_db()
    assert room.archived is None and room.is_visible_to(member)


# muting -------------------------------------------------------------------------------------


def test_a_member_mutes_a_room_from_its_settings_page_and_hears_it_again(client, member, private):
    client.force_login(member)
    page = client.get(f"/rooms/{private.pk}/settings/")
    assert b"Mute room" in page.content
    client.post(f"/rooms/{private.pk}/mute/", {"muted": "1"})
    assert Membership.objects.get(room=private, user=member).muted is True
    assert b"Unmute room" in client.get(f"/rooms/{private.pk}/settings/").content
    client.post(f"/rooms/{private.pk}/mute/", {"muted": "0"})
    assert Membership.objects.get(room=private, user=member).muted is False


def test_an_outsider_cannot_mute_a_private_room(client, outsider, private):
    client.force_login(outsider)
    assert client.post(f"/rooms/{private.pk}/mute/", {"muted": "1"}).status_code == 404


def test_muting_is_a_post_only(client, member, private):
    client.force_login(member)
    assert client.get(f"/rooms/{private.pk}/mute/").status_code == 405
