"""What the API and webhooks change reaches open pages at once: an HTTP request and a
websocket through the same routed ASGI application, as daphne serves them."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import HttpCommunicator

from api.tokens import create_token
from api.webhooks import create_webhook
from chatapp.asgi import application
from rooms.models import MemberRole, Membership, RoomKind
from rooms.tests.conftest import drain, joined

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _close_the_pool_after():
    """Each HTTP request runs in a thread of its own (Django's ASGI handler), whose
    connection goes back to the pool, not away: close the pool after the test, or the
    test database cannot be dropped at the end of the run (PostgreSQL only)."""
    yield
    from django.db import connection

    if getattr(connection, "pool", None) is not None:
        connection.close_pool()


async def call(method: str, path: str, body: dict | None = None, secret: str = "") -> tuple:
    data = json.dumps(body or {}).encode()
    headers = [
        (b"host", b"localhost"),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(data)).encode()),
    ]
    if secret:
        headers.append((b"authorization", f"Bearer {secret}".encode()))
    request = HttpCommunicator(application, method, path, body=data, headers=headers)
    response = await request.get_response(timeout=10)
    return response["status"], json.loads(response["body"] or b"null")


async def test_a_message_posted_over_the_api_appears_on_an_open_page(
    connect, amake_user, amake_room
):
    alice, bob = await amake_user("alice"), await amake_user("bob")
    room = await amake_room("General")
    page = await joined(connect, bob, room)
    _, secret = await sync_to_async(create_token)(alice, "bot", None)
    status, answer = await call(
        "POST", f"/api/v1/rooms/{room.pk}/messages", {"text": "from a script"}, secret
    )
    assert status == 201
    frames = await drain(page)
    assert [(f.get("message"), f.get("seq"), f.get("username")) for f in frames] == [
        ("from a script", answer["message"]["seq"], "alice")
    ]
    status, _ = await call(
        "POST",
        f"/api/v1/rooms/{room.pk}/messages/{answer['message']['id']}/reactions",
        {"emoji": "👍"},
        secret,
    )
    assert status == 200
    (reaction,) = await drain(page)
    assert reaction["reactions"] == [{"emoji": "👍", "count": 1, "users": ["alice"]}]


async def test_a_webhook_post_appears_in_its_private_room_and_nowhere_else(
    connect, amake_user, amake_room
):
    owner, outsider = await amake_user("olga"), await amake_user("otto")
    room = await amake_room("Ops", kind=RoomKind.PRIVATE)
    other = await amake_room("Lounge")
    await sync_to_async(Membership.objects.create)(room=room, user=owner, role=MemberRole.OWNER)
    _, key = await sync_to_async(create_webhook)(owner, room, "Deploys")
    inside = await joined(connect, owner, room)
    outside = await joined(connect, outsider, other)
    status, _ = await call("POST", f"/api/v1/hooks/{key}", {"text": "v2 is live"})
    assert status == 200
    frames = await drain(inside)
    assert [(f.get("message"), f.get("username")) for f in frames if "seq" in f] == [
        ("v2 is live", "deploys-bot")
    ]
    assert await drain(outside) == []
