"""Lobby, room pages, history paging and the staff send page over HTTP."""

import json
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from rooms.errors import errors_for_page
from rooms.models import Message, MessageType, Room
from rooms.posting import post_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def member_client(client, make_user):
    client.force_login(make_user("member"))
    return client


@pytest.fixture
def staff_client(client, make_user):
    client.force_login(make_user("boss", staff=True))
    return client


@pytest.mark.parametrize("url", ["/", "/rooms/1/", "/rooms/send/", "/features/"])
def test_anonymous_visitor_is_sent_to_login_with_next(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_lobby_lists_public_rooms_to_members(member_client, make_room):
    make_room("General")
    make_room("Staff lounge", staff_only=True)
    page = member_client.get("/").content.decode()
    assert "General" in page and "Staff lounge" not in page


def test_lobby_lists_and_marks_staff_rooms_for_staff(staff_client, make_room):
    make_room("Staff lounge", staff_only=True)
    page = staff_client.get("/").content.decode()
    assert "Staff lounge" in page and '<span class="badge">staff</span>' in page


def test_empty_lobby_points_staff_to_the_admin(staff_client):
    page = staff_client.get("/").content.decode()
    assert "No rooms yet." in page and reverse("admin:rooms_room_add") in page


def test_lobby_gives_the_page_the_error_table(member_client):
    page = member_client.get("/").content.decode()
    script = re.search(r'<script id="chat-errors" type="application/json">(.*?)</script>', page)
    assert script is not None
    assert json.loads(script[1]) == errors_for_page()


def test_room_page_opens_the_lobby_with_the_room(member_client, make_room):
    room = make_room()
    page = member_client.get(f"/rooms/{room.pk}/").content.decode()
    assert f'data-open-room="{room.pk}"' in page


def test_staff_room_page_is_404_for_members(member_client, make_room):
    room = make_room("Secret", staff_only=True)
    response = member_client.get(f"/rooms/{room.pk}/")
    assert response.status_code == 404
    assert "Secret" not in response.content.decode()


def test_older_messages_page_back_through_history(member_client, make_room, make_user):
    room, author = make_room(), make_user()
    for n in range(1, 61):
        post_message(room=room, author=author, text=f"m{n}")
    data = member_client.get(f"/rooms/{room.pk}/messages/?before=11").json()
    assert [m["seq"] for m in data["messages"]] == list(range(1, 11))
    assert "html" in data["messages"][0]


def test_older_messages_of_a_staff_room_are_404_for_members(member_client, make_room):
    room = make_room(staff_only=True)
    assert member_client.get(f"/rooms/{room.pk}/messages/?before=5").status_code == 404


def test_send_page_is_forbidden_to_members(member_client):
    assert member_client.get("/rooms/send/").status_code == 403
    assert member_client.post("/rooms/send/", {}).status_code == 403


def test_staff_send_page_stores_the_message_with_its_type(staff_client, make_room):
    room = make_room()
    response = staff_client.post(
        "/rooms/send/", {"room": room.pk, "msg_type": MessageType.WARNING, "text": "Hi"}
    )
    assert response.status_code == 302
    message = Message.objects.get()
    assert (message.room, message.text, message.msg_type, message.author, message.seq) == (
        room,
        "Hi",
        1,
        None,
        1,
    )


def test_send_page_requires_csrf(make_user, make_room):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(staff=True))
    room = make_room()
    assert (
        client.post(
            "/rooms/send/", {"room": room.pk, "msg_type": MessageType.MESSAGE, "text": "x"}
        ).status_code
        == 403
    )


def test_management_command_stores_a_typed_message(make_room, capsys):
    room = make_room()
    call_command("send_room_message", str(room.pk), "Closing soon", "--type", "alert")
    message = Message.objects.get()
    assert (message.text, message.msg_type) == ("Closing soon", 2)
    assert f"#{message.seq}" in capsys.readouterr().out


def test_load_demo_rooms_makes_public_and_staff_rooms_once():
    call_command("load_demo_rooms")
    call_command("load_demo_rooms")
    assert Room.objects.filter(staff_only=False).count() >= 1
    assert Room.objects.filter(staff_only=True).count() >= 1
    assert Room.objects.count() == 4


def test_admin_lists_rooms_and_messages(admin_client, make_room):
    make_room("Listed room")
    assert "Listed room" in admin_client.get("/admin/rooms/room/").content.decode()
    assert admin_client.get("/admin/rooms/message/?msg_type__exact=1").status_code == 200


def test_admin_cannot_change_a_messages_text(admin_client, make_room):
    from rooms.models import Message
    from rooms.posting import post_message

    message = post_message(room=make_room(), author=None, text="as sent").message
    page = admin_client.get(f"/admin/rooms/message/{message.pk}/change/").content.decode()
    assert 'name="text"' not in page  # shown, not a field
    admin_client.post(f"/admin/rooms/message/{message.pk}/change/", {"text": "rewritten"})
    assert Message.objects.get(pk=message.pk).text == "as sent"
