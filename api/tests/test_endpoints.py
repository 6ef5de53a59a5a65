"""Every endpoint of /api/v1/ through the real stack (URL, token, view, service,
database): the socket's rules and codes, over HTTP."""

from __future__ import annotations

import pytest
from django.utils import timezone

from rooms.models import MemberRole, Membership, Message, RoomKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret_room(make_room, bob):
    room = make_room("Secret", kind=RoomKind.PRIVATE)
    Membership.objects.create(room=room, user=bob, role=MemberRole.OWNER)
    return room


def post(api, room, text, **fields):
    return api.post(f"/api/v1/rooms/{room.pk}/messages", {"text": text, **fields}, format="json")


def test_my_rooms_are_the_public_ones_and_mine_with_counts(
    api_for, alice, bob, general, secret_room
):
    Membership.objects.create(room=general, user=alice)
    post(api_for(bob), general, "hello @alice")
    listed = {room["title"]: room for room in api_for(alice).get("/api/v1/rooms").json()["rooms"]}
    assert "Secret" not in listed
    assert listed["General"] | {"id": 0} == {
        "id": 0,
        "title": "General",
        "kind": "public",
        "slug": "general",
        "description": "",
        "last_seq": 1,
        "member": True,
        "unread": 1,
        "mentions": 1,
        "muted": False,
    }
    assert "Secret" in {room["title"] for room in api_for(bob).get("/api/v1/rooms").json()["rooms"]}


def test_a_post_is_stored_as_on_the_socket_and_a_retry_stores_nothing(api_for, alice, general):
    api = api_for(alice)
    first = post(api, general, "  hello **world**  ", client_id="c-1")
    assert first.status_code == 201
    message = first.json()["message"]
    assert message["message"] == "hello **world**" and message["username"] == "alice"
    assert "<strong>world</strong>" in message["html"] and first.json()["created"] is True
    again = post(api, general, "hello **world**", client_id="c-1")
    assert again.status_code == 200 and again.json()["created"] is False
    assert again.json()["message"]["id"] == message["id"]
    assert Message.objects.filter(room=general).count() == 1


def test_a_reply_names_its_parent(api_for, alice, general):
    api = api_for(alice)
    parent = post(api, general, "question").json()["message"]
    reply = post(api, general, "answer", reply_to=parent["id"]).json()["message"]
    assert reply["reply_to"]["id"] == parent["id"]
    refused = post(api, general, "answer", reply_to=999)
    assert refused.status_code == 404 and refused.json()["error"] == "MESSAGE_INVALID"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"text": "   "}, 400, "MESSAGE_EMPTY"),
        ({"text": "x" * 2001}, 400, "MESSAGE_TOO_LONG"),
        ({"text": "a\x00b"}, 400, "BAD_REQUEST"),
        ({}, 400, "BAD_REQUEST"),
        ({"text": 5, "client_id": "x" * 65}, 400, "BAD_REQUEST"),
        ({"text": "hi", "reply_to": "one"}, 400, "BAD_REQUEST"),
    ],
)
def test_a_bad_post_is_refused_with_the_sockets_code_and_stores_nothing(
    api_for, alice, general, body, status, code
):
    response = api_for(alice).post(f"/api/v1/rooms/{general.pk}/messages", body, format="json")
    assert (response.status_code, response.json()["error"]) == (status, code)
    assert response.json()["message"]
    assert not Message.objects.exists()


def test_a_malformed_body_is_a_400(api_for, alice, general):
    response = api_for(alice).post(
        f"/api/v1/rooms/{general.pk}/messages", "{nope", content_type="application/json"
    )
    assert (response.status_code, response.json()["error"]) == (400, "BAD_REQUEST")


def test_a_private_room_of_others_is_a_room_that_does_not_exist(api_for, alice, secret_room):
    api = api_for(alice)
    for response in (
        post(api, secret_room, "let me in"),
        api.get(f"/api/v1/rooms/{secret_room.pk}/messages"),
        api.get("/api/v1/rooms/987654/messages"),
    ):
        assert (response.status_code, response.json()["error"]) == (404, "ROOM_INVALID")
    assert not Message.objects.exists()


def test_messages_after_a_seq_come_as_they_are_now_page_by_page(api_for, alice, bob, general):
    api = api_for(alice)
    numbers = [post(api, general, f"m{n}").json()["message"]["id"] for n in range(5)]
    api.patch(
        f"/api/v1/rooms/{general.pk}/messages/{numbers[0]}", {"text": "m0 again"}, format="json"
    )
    api.delete(f"/api/v1/rooms/{general.pk}/messages/{numbers[1]}")
    reader = api_for(bob)
    seen, after = [], 0
    while True:
        page = reader.get(f"/api/v1/rooms/{general.pk}/messages?after={after}&limit=2").json()
        seen += page["messages"]
        after = page["next_after"]
        if not page["has_more"]:
            break
    assert [m["seq"] for m in seen] == [3, 4, 5, 6, 7]
    assert [m.get("message") for m in seen] == ["m2", "m3", "m4", "m0 again", None]
    assert seen[-1] == {"room": general.pk, "id": numbers[1], "seq": 7, "deleted": True}
    assert reader.get(f"/api/v1/rooms/{general.pk}/messages?after=7").json() == {
        "messages": [],
        "next_after": 7,
        "has_more": False,
    }
    bad = reader.get(f"/api/v1/rooms/{general.pk}/messages?after=-1&limit=9999")
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"after", "limit"}


def test_editing_is_for_the_author_and_deleting_for_the_author_or_a_moderator(
    api_for, alice, bob, make_user, general
):
    alices, bobs = api_for(alice), api_for(bob)
    number = post(alices, general, "mine").json()["message"]["id"]
    url = f"/api/v1/rooms/{general.pk}/messages/{number}"
    refused = bobs.patch(url, {"text": "yours now"}, format="json")
    assert (refused.status_code, refused.json()["error"]) == (403, "PERMISSION_DENIED")
    assert bobs.delete(url).status_code == 403
    edited = alices.patch(url, {"text": "mine, edited", "client_id": "e1"}, format="json")
    assert edited.status_code == 200 and edited.json()["message"]["edited"]
    retried = alices.patch(url, {"text": "mine, edited", "client_id": "e1"}, format="json")
    assert retried.json() == {"seq": edited.json()["seq"]}
    moderator = api_for(make_user("mod", staff=True, perms=["rooms.delete_message"]))
    deleted = moderator.delete(url)
    assert deleted.status_code == 200 and deleted.json()["message"]["deleted"] is True
    gone = alices.patch(url, {"text": "back"}, format="json")
    assert (gone.status_code, gone.json()["error"]) == (404, "MESSAGE_INVALID")


def test_a_reaction_is_given_and_taken_back(api_for, alice, bob, general):
    number = post(api_for(alice), general, "react to me").json()["message"]["id"]
    bobs = api_for(bob)
    url = f"/api/v1/rooms/{general.pk}/messages/{number}/reactions"
    given = bobs.post(url, {"emoji": "🎉"}, format="json").json()
    assert given["message"]["reactions"] == [{"emoji": "🎉", "count": 1, "users": ["bob"]}]
    taken = bobs.post(url, {"emoji": "🎉", "on": False}, format="json").json()
    assert taken["message"]["reactions"] == []
    bad = bobs.post(url, {"emoji": "not one"}, format="json")
    assert (bad.status_code, bad.json()["error"]) == (400, "BAD_REQUEST")


def test_search_finds_what_the_user_may_see_and_nothing_else(
    api_for, alice, bob, general, secret_room
):
    post(api_for(alice), general, "the rhubarb pie")
    post(api_for(bob), secret_room, "the rhubarb secret")
    found = api_for(alice).get("/api/v1/search", {"q": "rhubarb"}).json()["results"]
    assert [(hit["room_title"], hit["username"]) for hit in found] == [("General", "alice")]
    assert "<mark>rhubarb</mark>" in found[0]["snippet_html"]
    both = api_for(bob).get("/api/v1/search", {"q": "rhubarb"}).json()["results"]
    assert {hit["room_title"] for hit in both} == {"General", "Secret"}
    only = api_for(bob).get("/api/v1/search", {"q": "rhubarb", "room": secret_room.pk}).json()
    assert [hit["room"] for hit in only["results"]] == [secret_room.pk]
    assert api_for(bob).get("/api/v1/search").status_code == 400


def test_api_sends_count_against_the_same_limit_as_the_socket(
    api_for, alice, general, settings, one_rate_window
):
    settings.CHAT_MAX_MESSAGES_PER_MINUTE = 2
    api = api_for(alice)
    responses = [post(api, general, f"m{n}") for n in range(3)]
    assert [response.status_code for response in responses] == [201, 201, 429]
    assert responses[-1]["Retry-After"] == "60"
    assert Message.objects.count() == 2


def test_an_unknown_url_under_the_api_is_a_404(api_for, alice):
    assert api_for(alice).get("/api/v1/nothing-here").status_code == 404


def test_an_owner_deletes_anyones_message_in_their_room_and_only_there(
    api_for, alice, bob, make_user, secret_room, general
):
    carol = make_user("carol")
    Membership.objects.create(room=secret_room, user=carol)
    Membership.objects.create(room=secret_room, user=alice)
    carols = api_for(carol)
    in_secret = post(carols, secret_room, "mine").json()["message"]["id"]
    in_general = post(carols, general, "mine too").json()["message"]["id"]
    owner, member = api_for(bob), api_for(alice)
    assert member.delete(f"/api/v1/rooms/{secret_room.pk}/messages/{in_secret}").status_code == 403
    assert owner.delete(f"/api/v1/rooms/{general.pk}/messages/{in_general}").status_code == 403
    assert owner.delete(f"/api/v1/rooms/{secret_room.pk}/messages/{in_secret}").status_code == 200


@pytest.mark.parametrize("kind", [RoomKind.PUBLIC, RoomKind.PRIVATE])
def test_an_archived_room_is_a_room_that_does_not_exist(api_for, alice, make_room, kind):
    room = make_room("Old", kind=kind)
    Membership.objects.create(room=room, user=alice, role=MemberRole.OWNER)
    api = api_for(alice)
    number = post(api, room, "before").json()["message"]["id"]
    room.archived = timezone.now()
    room.save()
    for response in (
        post(api, room, "after"),
        api.get(f"/api/v1/rooms/{room.pk}/messages"),
        api.patch(f"/api/v1/rooms/{room.pk}/messages/{number}", {"text": "x"}, format="json"),
        api.delete(f"/api/v1/rooms/{room.pk}/messages/{number}"),
    ):
        assert (response.status_code, response.json()["error"]) == (404, "ROOM_INVALID")


def test_an_outage_is_a_503_to_try_again_and_a_bug_a_500_in_json(
    api_for, alice, general, monkeypatch
):
    from django.db import OperationalError

    from api import views

    api = api_for(alice)

    def down(*args, **kwargs):
        raise OperationalError("the database is down")

    monkeypatch.setattr(views, "store_message", down)
    response = post(api, general, "hello")
    assert (response.status_code, response.json()["error"]) == (503, "SERVICE_UNAVAILABLE")
    assert response["Retry-After"]

    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(views, "store_message", broken)
    response = post(api, general, "hello")
    assert (response.status_code, response["Content-Type"]) == (500, "application/json")
    assert response.json()["error"] == "SERVER_ERROR"


def test_an_id_beyond_the_largest_is_no_address(api_for, alice):
    response = api_for(alice).get(f"/api/v1/rooms/{2**64}/messages")
    assert (response.status_code, response.json()["error"]) == (404, "NOT_FOUND")


def test_an_empty_room_filter_is_a_bad_search(api_for, alice):
    response = api_for(alice).get("/api/v1/search?q=x&room=")
    assert response.status_code == 400
