"""Each room's address: /rooms/<slug>/ for public and private rooms, /rooms/<id>/ for
direct ones and for slugs that would be read as something else; both open the lobby
with the room, and a room the user may not see is a 404 by either."""

import pytest

from rooms.models import Membership, Room, RoomKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(make_user):
    return make_user("member")


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


def opened_room(response) -> str | None:
    """The room the lobby page opens (its data-open-room), if any."""
    page = response.content.decode()
    marker = 'data-open-room="'
    if marker not in page:
        return None
    return page.split(marker, 1)[1].split('"', 1)[0]


def test_a_public_room_is_addressed_by_its_slug(member_client, make_room):
    room = make_room("General chat")
    assert room.get_absolute_url() == "/rooms/general-chat/"
    response = member_client.get("/rooms/general-chat/")
    assert response.status_code == 200
    assert opened_room(response) == str(room.pk)


def test_the_id_address_keeps_working(member_client, make_room):
    room = make_room("General")
    response = member_client.get(f"/rooms/{room.pk}/")
    assert response.status_code == 200
    assert opened_room(response) == str(room.pk)


def test_the_lobby_links_each_room_to_its_address(member_client, make_room):
    make_room("Help")
    assert 'href="/rooms/help/"' in member_client.get("/").content.decode()


def test_a_private_room_of_its_member_opens_by_slug(member_client, member, make_room):
    room = make_room("Plans", kind=RoomKind.PRIVATE)
    Membership.objects.create(room=room, user=member)
    assert room.get_absolute_url() == "/rooms/plans/"
    assert opened_room(member_client.get("/rooms/plans/")) == str(room.pk)


def test_a_private_room_of_others_is_a_404_by_slug_and_by_id(member_client, make_room):
    room = make_room("Secret plans", kind=RoomKind.PRIVATE)
    assert member_client.get("/rooms/secret-plans/").status_code == 404
    assert member_client.get(f"/rooms/{room.pk}/").status_code == 404


def test_a_staff_room_is_a_404_by_slug_for_members(member_client, make_room):
    make_room("Staff lounge", staff_only=True)
    assert member_client.get("/rooms/staff-lounge/").status_code == 404


def test_an_archived_room_is_a_404_by_slug(member_client, make_room):
    from django.utils import timezone

    make_room("Old news", archived=timezone.now())
    assert member_client.get("/rooms/old-news/").status_code == 404


def test_an_unknown_slug_is_a_404(member_client):
    assert member_client.get("/rooms/no-such-room/").status_code == 404


def test_a_direct_room_is_addressed_by_id_only(member_client, member, make_room):
    room = make_room("direct-1-2", kind=RoomKind.DIRECT)
    Membership.objects.create(room=room, user=member)
    assert room.get_absolute_url() == f"/rooms/{room.pk}/"
    assert member_client.get(f"/rooms/{room.pk}/").status_code == 200
    assert member_client.get(f"/rooms/{room.slug}/").status_code == 404


@pytest.mark.parametrize("title", ["2024", "New", "Send", "Direct"])
def test_a_slug_that_names_something_else_falls_back_to_the_id(make_room, title):
    room = make_room(title)
    assert room.get_absolute_url() == f"/rooms/{room.pk}/"


def test_the_pages_under_rooms_still_answer_before_slugs(member_client):
    assert member_client.get("/rooms/new/").status_code in (200, 403)
    assert member_client.get("/rooms/direct/new/").status_code == 200


def test_anonymous_visitor_is_sent_to_login_from_a_slug(client, make_room):
    make_room("General")
    response = client.get("/rooms/general/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/rooms/general/"


def test_a_room_without_an_own_address_is_found_by_id_not_slug(member_client, make_room):
    room = Room.objects.create(title="Numbers", slug="12345")
    assert room.get_absolute_url() == f"/rooms/{room.pk}/"
