"""Incoming webhooks: made and deleted by those who run the room, shown once, posting
as a bot that is in no room and cannot log in, only while their maker runs the room."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from api.models import Webhook
from api.tokens import create_token
from api.webhooks import create_webhook
from rooms.errors import ChatError
from rooms.models import MemberRole, Membership, Message, RoomKind
from rooms.ownership import invite, leave_room, remove_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def ops(make_room, alice):
    room = make_room("Ops", kind=RoomKind.PRIVATE)
    Membership.objects.create(room=room, user=alice, role=MemberRole.OWNER)
    return room


def shown_secret(client, url) -> str | None:
    page = client.get(url).content.decode()
    if 'id="new-secret"' not in page:
        return None
    return page.split('id="new-secret"')[1].split('value="')[1].split('"')[0]


def hook_post(client, key, body):
    return client.post(f"/api/v1/hooks/{key}", body, content_type="application/json")


def test_an_owner_makes_a_webhook_whose_address_is_shown_once(client, alice, ops):
    client.force_login(alice)
    page = reverse("api_integrations", args=[ops.pk])
    assert client.post(page, {"name": "CI builds"}).status_code == 302
    key = shown_secret(client, page).rsplit("/", 1)[1]
    hook = Webhook.objects.get(room=ops)
    assert hook.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert shown_secret(client, page) is None
    bot = hook.bot
    assert bot.get_username() == "ci-builds-bot"
    assert not bot.is_active and not bot.has_usable_password()
    assert not Membership.objects.filter(user=bot).exists()


def test_a_new_secret_shows_only_on_the_page_that_made_it(client, alice, ops, make_room):
    other = make_room("Other", kind=RoomKind.PRIVATE)
    Membership.objects.create(room=other, user=alice, role=MemberRole.OWNER)
    client.force_login(alice)
    client.post(reverse("api_integrations", args=[ops.pk]), {"name": "Deploys"})
    assert shown_secret(client, reverse("api_integrations", args=[other.pk])) is None
    assert shown_secret(client, reverse("api_tokens")) is None
    assert "/api/v1/hooks/hook_" in shown_secret(client, reverse("api_integrations", args=[ops.pk]))


def test_a_member_who_does_not_run_the_room_cannot_see_its_integrations(client, bob, ops):
    Membership.objects.create(room=ops, user=bob)
    client.force_login(bob)
    assert client.get(reverse("api_integrations", args=[ops.pk])).status_code == 404
    assert client.post(reverse("api_integrations", args=[ops.pk]), {"name": "x"}).status_code == 404
    with pytest.raises(ChatError):
        create_webhook(bob, ops, "sneaky")
    assert not Webhook.objects.exists()


def test_staff_run_every_room_and_a_direct_room_has_no_webhooks(client, make_user, make_room, ops):
    staff = make_user("staffer", staff=True)
    Membership.objects.create(room=ops, user=staff)
    client.force_login(staff)
    assert client.get(reverse("api_integrations", args=[ops.pk])).status_code == 200
    direct = make_room("direct", kind=RoomKind.DIRECT)
    Membership.objects.create(room=direct, user=staff)
    assert client.get(reverse("api_integrations", args=[direct.pk])).status_code == 404


def test_a_webhook_posts_json_and_slacks_form_payload_and_answers_only_the_message_id(
    client, alice, ops
):
    _, key = create_webhook(alice, ops, "Deploys")
    first = hook_post(client, key, {"text": "json *post* @alice"})
    assert first.status_code == 200
    assert set(first.json()) == {"id", "seq"}  # nothing of the room: not whom it names
    payload = urlencode({"payload": json.dumps({"text": "form post", "username": "x"})})
    form = client.post(
        f"/api/v1/hooks/{key}", payload, content_type="application/x-www-form-urlencoded"
    )
    assert form.status_code == 200
    stored = list(Message.objects.filter(room=ops).values_list("text", "author__username"))
    assert stored == [("json *post* @alice", "deploys-bot"), ("form post", "deploys-bot")]
    assert Message.objects.filter(room=ops).first().mentioned == ["alice"]
    assert Webhook.objects.get().last_used is not None


def test_a_staff_only_rooms_webhook_posts_there(make_user, make_room, client):
    staff = make_user("staffer", staff=True)
    room = make_room("Staff room", staff_only=True)
    _, key = create_webhook(staff, room, "Alerts")
    assert hook_post(client, key, {"text": "disk full"}).status_code == 200


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"text": ""}, "MESSAGE_EMPTY"),
        ({"text": "x" * 2001}, "MESSAGE_TOO_LONG"),
        ({"nothing": 1}, "BAD_REQUEST"),
        ([1, 2], "BAD_REQUEST"),
        (5, "BAD_REQUEST"),
        (None, "BAD_REQUEST"),
        (True, "BAD_REQUEST"),
    ],
)
def test_a_bad_webhook_post_stores_nothing(client, alice, ops, body, code):
    _, key = create_webhook(alice, ops, "Deploys")
    response = hook_post(client, key, json.dumps(body))
    assert (response.status_code, response.json()["error"]) == (400, code)
    assert not Message.objects.exists()


@pytest.mark.parametrize("content_type", ["application/json", "application/x-www-form-urlencoded"])
def test_json_nested_too_deep_is_a_bad_request(client, alice, ops, content_type):
    _, key = create_webhook(alice, ops, "Deploys")
    nested = "[" * 50_000 + "]" * 50_000
    body = nested if content_type == "application/json" else urlencode({"payload": nested})
    response = client.post(f"/api/v1/hooks/{key}", body, content_type=content_type)
    assert response.status_code == 400


def test_a_wrong_or_deleted_webhook_is_a_404(client, alice, ops):
    hook, key = create_webhook(alice, ops, "Deploys")
    assert hook_post(client, "hook_nope", {"text": "x"}).status_code == 404
    client.force_login(alice)
    client.post(reverse("api_integration_delete", args=[ops.pk, hook.pk]))
    response = hook_post(client, key, {"text": "x"})
    assert (response.status_code, response.json()["error"]) == (404, "NOT_FOUND")
    assert not Message.objects.exists()


@pytest.mark.parametrize("kind", [RoomKind.PUBLIC, RoomKind.PRIVATE])
def test_an_archived_rooms_webhook_posts_nothing(client, alice, make_room, kind):
    room = make_room("Soon archived", kind=kind)
    Membership.objects.create(room=room, user=alice, role=MemberRole.OWNER)
    _, key = create_webhook(alice, room, "Deploys")
    room.archived = timezone.now()
    room.save()
    assert hook_post(client, key, {"text": "x"}).status_code == 404
    assert not Message.objects.exists()


def test_a_webhook_works_only_while_its_maker_runs_the_room(client, alice, bob, ops, make_user):
    Membership.objects.create(room=ops, user=bob, role=MemberRole.OWNER)
    _, key = create_webhook(alice, ops, "Deploys")
    assert hook_post(client, key, {"text": "one"}).status_code == 200
    staffer = make_user("staffer", staff=True)
    Membership.objects.create(room=ops, user=staffer)
    remove_member(staffer, ops, "alice")
    assert hook_post(client, key, {"text": "two"}).status_code == 404
    invite(bob, ops, "alice")  # back as a member: she no longer runs it
    assert hook_post(client, key, {"text": "three"}).status_code == 404
    Membership.objects.filter(room=ops, user=alice).update(role=MemberRole.OWNER)
    assert hook_post(client, key, {"text": "four"}).status_code == 200
    alice.is_active = False
    alice.save()
    assert hook_post(client, key, {"text": "five"}).status_code == 404
    assert list(Message.objects.values_list("text", flat=True)) == ["one", "four"]


def test_a_bot_never_inherits_a_room_nor_can_be_invited(alice, bob, ops):
    hook, _ = create_webhook(alice, ops, "Deploys")
    invite(alice, ops, "bob")
    with pytest.raises(ChatError):
        invite(alice, ops, hook.bot.get_username())
    leave_room(alice, ops)
    assert list(Membership.objects.filter(room=ops).values_list("user__username", "role")) == [
        ("bob", MemberRole.OWNER)
    ]


def test_a_bots_name_never_equals_nor_looks_like_an_existing_one(alice, ops, make_user):
    make_user("deploys-bot")
    make_user("backups-b0t")
    first, _ = create_webhook(alice, ops, "Deploys")
    second, _ = create_webhook(alice, ops, "backups")
    robot, _ = create_webhook(alice, ops, "deploys-bot")
    names = [hook.bot.get_username() for hook in (first, second, robot)]
    assert names == ["deploys-2-bot", "backups-2-bot", "deploys-3-bot"]
    assert get_user_model().objects.filter(username__in=names, is_active=False).count() == 3


def test_a_room_has_a_limited_number_of_webhooks(client, alice, ops, settings):
    settings.CHAT_MAX_WEBHOOKS_PER_ROOM = 1
    client.force_login(alice)
    page = reverse("api_integrations", args=[ops.pk])
    assert client.post(page, {"name": "one"}).status_code == 302
    refused = client.post(page, {"name": "two"})
    assert refused.status_code == 400 and "as many webhooks" in refused.content.decode()
    assert Webhook.objects.count() == 1


def test_webhook_posts_are_rate_limited(client, alice, ops, settings, one_rate_window):
    settings.CHAT_MAX_WEBHOOK_POSTS_PER_MINUTE = 2
    _, key = create_webhook(alice, ops, "Deploys")
    codes = [hook_post(client, key, {"text": "x"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert Message.objects.count() == 2


def test_guessing_webhook_keys_is_slowed_per_address(client, settings, one_rate_window):
    settings.CHAT_MAX_API_REQUESTS_PER_MINUTE = 2
    codes = [hook_post(client, f"hook_guess{n}", {"text": "x"}).status_code for n in range(3)]
    assert codes == [404, 404, 429]


def test_a_token_is_no_webhook_key(client, alice):
    _, secret = create_token(alice, "t", None)
    assert hook_post(client, secret, {"text": "x"}).status_code == 404
