"""Defects found by hostile outside testing, each shown through the routed application."""

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from django.urls import path

from chatapp.websocket import NO_PERM_REQUIRED, WebsocketConsumer, stream_path
from chatapp.websocket.auth import UserSockets
from chatapp.websocket.hub import RECOVERED, per_loop
from chatapp.websocket.security import client_ip, forwarded_ip
from chatapp.websocket.testing import ClientCommunicator, group_members
from chatapp.websocket.tests.asgi import application
from chatapp.websocket.tests.consumers import chat, counter, sockets

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def member(amake_user):
    return await amake_user()


async def commands_of(socket):
    return json.loads(await socket.receive_from())


# Bad frames ---------------------------------------------------------------------------


async def test_deeply_nested_json_is_bad_request_and_the_socket_stays(connect, member):
    socket = await connect(counter.reverse(), member)
    await socket.send_to(text_data="[" * 6000 + "]" * 6000)
    assert (await commands_of(socket))[0][:2] == ["error", "BAD_REQUEST"]
    await socket.send_json_to({"args": [1]})
    assert (await commands_of(socket))[0][0] == "update"


class Crashing(WebsocketConsumer):
    """A consumer with a bug outside every handler's safety net."""

    disconnected: list[int] = []

    async def websocket_receive(self, message):
        raise RuntimeError("a bug that escapes the consumer")

    async def get_groups(self):
        return ["test.crashing"]

    async def disconnect(self, code):
        Crashing.disconnected.append(code)


crashing_application = AuthMiddlewareStack(
    URLRouter([path("ws/test/crashing/", Crashing.as_asgi(perm=NO_PERM_REQUIRED))])
)


async def test_a_consumer_that_crashes_still_leaves_its_groups_and_runs_disconnect():
    Crashing.disconnected = []
    socket = ClientCommunicator(crashing_application, "/ws/test/crashing/")
    assert (await socket.connect())[0]
    assert await group_members("test.crashing")
    await socket.send_to(text_data="{}")
    with pytest.raises(RuntimeError):
        await socket.receive_output()
    assert Crashing.disconnected == [1006]
    assert not await group_members("test.crashing")


# Origin -----------------------------------------------------------------------------------


async def open_with(headers):
    communicator = ClientCommunicator(application, counter.reverse(), headers=headers)
    connected, _ = await communicator.connect()
    await communicator.disconnect()
    return connected


@pytest.mark.parametrize(
    "origin",
    [
        "http://127.0.0.1:9999",  # another port
        "https://127.0.0.1",  # another scheme and port
        "http://127.0.0.1",  # the site's host without its port
        "http://evil.example:8150",
        "null",
    ],
)
async def test_origin_that_is_not_the_sites_own_is_refused(origin):
    headers = [(b"host", b"127.0.0.1:8150"), (b"origin", origin.encode())]
    assert not await open_with(headers)


async def test_the_sites_own_origin_is_accepted(member):
    assert await open_with([(b"host", b"127.0.0.1:8150"), (b"origin", b"http://127.0.0.1:8150")])


async def test_a_trusted_origin_is_accepted(settings):
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.example.com"]
    headers = [(b"host", b"127.0.0.1:8150"), (b"origin", b"https://chat.example.com")]
    assert await open_with(headers)
    headers = [(b"host", b"127.0.0.1:8150"), (b"origin", b"http://chat.example.com")]
    assert not await open_with(headers)


async def test_https_origin_is_the_sites_own_behind_a_trusted_tls_proxy(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    headers = [
        (b"host", b"chat.localhost"),
        (b"origin", b"https://chat.localhost"),
        (b"x-forwarded-proto", b"https"),
    ]
    settings.ALLOWED_HOSTS = ["chat.localhost"]
    assert await open_with(headers)


# Client addresses and socket caps ---------------------------------------------------------


def test_client_ip_is_taken_trusted_hops_from_the_right():
    headers = [(b"x-forwarded-for", b"6.6.6.6, 203.0.113.7, 10.0.0.2")]
    assert forwarded_ip(headers, 0) is None  # the peer address
    assert forwarded_ip(headers, 1) == "10.0.0.2"
    assert forwarded_ip(headers, 2) == "203.0.113.7"
    assert forwarded_ip([(b"x-forwarded-for", b"10.0.0.2")], 2) == "10.0.0.2"


def test_forwarded_for_on_several_header_lines_counts_every_hop():
    headers = [(b"x-forwarded-for", b"6.6.6.6, 203.0.113.7"), (b"x-forwarded-for", b"10.0.0.2")]
    assert forwarded_ip(headers, 2) == "203.0.113.7"


def test_an_ipv6_client_counts_as_its_64():
    first = client_ip({"client": ["2001:db8:1:2::1", 0]})
    assert first == client_ip({"client": ["2001:db8:1:2:ffff::9", 0]}) == "2001:db8:1:2::/64"
    assert client_ip({"client": ["203.0.113.7", 0]}) == "203.0.113.7"


async def test_forged_forwarded_for_does_not_escape_the_per_ip_socket_cap(connect, settings):
    settings.WEBSOCKET_MAX_SOCKETS_PER_IP = 2
    opened = []
    for n in range(3):
        headers = [
            (b"host", b"localhost"),
            (b"origin", b"http://localhost"),
            (b"x-forwarded-for", f"198.51.100.{n}".encode()),
        ]
        socket = ClientCommunicator(application, chat.reverse(room_name="x"), headers=headers)
        await socket.connect()
        opened.append(socket)
    assert (await opened[2].receive_output())["code"] == 4429
    for socket in opened[:2]:
        await socket.disconnect()


async def test_sockets_over_the_per_user_cap_are_closed_and_a_closed_one_frees_a_place(
    connect, member, settings
):
    settings.WEBSOCKET_MAX_SOCKETS_PER_USER = 2
    first = await connect(counter.reverse(), member)
    await connect(counter.reverse(), member)
    refused = await connect(counter.reverse(), member)
    assert (await refused.receive_output())["code"] == 4429
    await first.disconnect()
    again = await connect(counter.reverse(), member)
    await again.send_json_to({"args": [1]})
    assert (await commands_of(again))[0][0] == "update"


# @consumer functions --------------------------------------------------------------------------


async def test_a_consumer_error_goes_to_the_caller_once_and_not_to_the_group(connect, amake_user):
    alice, bob = await amake_user("alice"), await amake_user("bob")
    sender = await connect(chat.reverse(room_name="lobby"), alice)
    other = await connect(chat.reverse(room_name="lobby"), bob)
    await sender.send_json_to({"args": ["   "]})
    assert await commands_of(sender) == [["error", "MESSAGE_EMPTY", "write something first"]]
    assert await sender.receive_nothing()
    assert await other.receive_nothing()


async def test_closing_a_socket_from_the_server_closes_the_callers_only(connect, amake_user):
    alice, bob = await amake_user("alice"), await amake_user("bob")
    caller = await connect(sockets.reverse(), alice)
    other = await connect(sockets.reverse(), bob)
    await caller.send_json_to({"args": ["close"]})
    assert [c[0] for c in await commands_of(caller)] == ["websocket.close", "update"]
    assert await other.receive_nothing()


async def test_consumer_sockets_need_a_login(connect):
    socket = await connect(chat.reverse(room_name="lobby"))
    assert (await commands_of(socket))[0][0] == "permission_denied"
    assert (await socket.receive_output())["code"] == 4403


async def test_consumer_callbacks_are_rate_limited_per_user(connect, member, settings):
    settings.WEBSOCKET_MAX_CALLBACKS_PER_MINUTE = 2
    socket = await connect(counter.reverse(), member)
    for _ in range(2):
        await socket.send_json_to({"args": [1]})
        assert (await commands_of(socket))[0][0] == "update"
    await socket.send_json_to({"args": [1]})
    assert (await commands_of(socket))[0][:2] == ["error", "RATE_LIMITED"]


# Streams bound to a user ---------------------------------------------------------------------


async def test_a_users_stream_url_opens_for_no_one_else(connect, amake_user):
    alice, mallory = await amake_user("alice"), await amake_user("mallory")
    path_of_alice = stream_path("news", alice)
    assert (await connect(path_of_alice, alice)).connected
    for other in (mallory, None):
        socket = await connect(path_of_alice, other)
        assert (await commands_of(socket))[0][0] == "permission_denied"
        assert (await socket.receive_output())["code"] == 4403


# Logins checked on every command, periodically and after outages --------------------------------


async def test_a_password_set_without_a_signal_closes_the_socket_at_its_next_command(
    connect, member
):
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    socket = await connect(counter.reverse(), member)
    users = get_user_model().objects.filter(pk=member.pk)
    await sync_to_async(users.update)(password=make_password("stolen-and-changed"))
    await socket.send_json_to({"args": [1]})
    assert (await socket.receive_output(timeout=3))["code"] == 4401


async def test_a_session_ended_without_a_signal_closes_the_socket_at_its_next_command(
    connect, member
):
    from django.contrib.sessions.models import Session

    socket = await connect(counter.reverse(), member)
    await sync_to_async(Session.objects.filter(session_key=socket.session_key).delete)()
    await socket.send_json_to({"args": [1]})
    assert (await socket.receive_output(timeout=3))["code"] == 4401


async def test_an_idle_socket_whose_session_ended_is_closed_by_the_periodic_recheck(
    connect, member, settings
):
    from django.contrib.sessions.models import Session

    settings.WEBSOCKET_AUTH_RECHECK_SECONDS = 0.2
    socket = await connect(counter.reverse(), member)
    await sync_to_async(Session.objects.filter(session_key=socket.session_key).delete)()
    assert (await socket.receive_output(timeout=3))["code"] == 4401


async def test_the_hubs_recovery_rechecks_every_login(connect, member, settings):
    from django.contrib.sessions.models import Session

    settings.WEBSOCKET_AUTH_RECHECK_SECONDS = 0  # only the recovery may find it
    socket = await connect(counter.reverse(), member)
    await sync_to_async(Session.objects.filter(session_key=socket.session_key).delete)()
    assert await socket.receive_nothing(timeout=0.3)
    # What the hub hands its subscribers when it got a lost layer subscription back.
    per_loop(UserSockets).hub_deliver_batch([{"type": RECOVERED, "group": "auth.changes"}])
    assert (await socket.receive_output(timeout=3))["code"] == 4401


async def test_an_unchanged_login_is_not_disturbed_by_the_recheck(connect, member, settings):
    settings.WEBSOCKET_AUTH_RECHECK_SECONDS = 0.1
    socket = await connect(counter.reverse(), member)
    await asyncio.sleep(0.4)
    await socket.send_json_to({"args": [1]})
    assert (await commands_of(socket))[0][0] == "update"
