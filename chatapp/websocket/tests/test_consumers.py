"""The base consumer and @consumer functions, through the routed application."""

import json

import pytest
from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from django.urls import path

from chatapp.websocket import (
    NO_PERM_REQUIRED,
    WebsocketConsumer,
    agroup_send,
    auser_send,
    ausers_send,
    consumer_command,
    group_send,
)
from chatapp.websocket.hub import together
from chatapp.websocket.testing import group_members
from chatapp.websocket.tests.consumers import chat, counter, moderation

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def member(amake_user):
    """A logged-in user: the test consumers need a login."""
    return await amake_user()


async def receive_commands(communicator):
    return json.loads(await communicator.receive_from())


async def test_counter_renders_its_template_into_the_target(connect, member):
    socket = await connect(counter.reverse(), member)
    await socket.send_json_to({"args": [1]})
    assert await receive_commands(socket) == [["update", "counter-value", "1\n"]]


async def test_counter_state_lives_on_each_socket(connect, member):
    first = await connect(counter.reverse(), member)
    second = await connect(counter.reverse(), member)
    await first.send_json_to({"args": [1]})
    await first.send_json_to({"args": [1]})
    assert (await receive_commands(first))[0][2].strip() == "1"
    assert (await receive_commands(first))[0][2].strip() == "2"
    await second.send_json_to({"args": [5]})
    assert (await receive_commands(second))[0][2].strip() == "5"
    assert await first.receive_nothing()


async def test_chat_message_reaches_every_socket_of_the_same_url_only(connect, amake_user, member):
    alice = await amake_user("alice")
    sender = await connect(chat.reverse(room_name="lobby"), alice)
    listener = await connect(chat.reverse(room_name="lobby"), member)
    elsewhere = await connect(chat.reverse(room_name="other"), member)
    await sender.send_json_to({"args": ["<b>hi</b>"]})
    for socket in (sender, listener):
        commands = await receive_commands(socket)
        assert commands[0][:2] == ["append", "chat-messages"]
        assert "&lt;b&gt;hi&lt;/b&gt;" in commands[0][2]  # autoescaped
        assert "<b>" not in commands[0][2]
        assert commands[1][:2] == ["update", "chat-length"]
        assert "<strong>9</strong>" in commands[1][2]
    assert await elsewhere.receive_nothing()


async def test_permission_is_checked_at_connect_with_close_code_4403(connect, amake_user):
    member = await amake_user()
    socket = await connect(moderation.reverse(), member)
    assert await receive_commands(socket) == [["permission_denied", moderation.reverse()]]
    assert (await socket.receive_output())["code"] == 4403


async def test_denied_socket_joins_no_group(connect, amake_user):
    member = await amake_user()
    await connect(moderation.reverse(), member)
    assert await group_members(moderation.group_name()) == set()


async def test_allowed_socket_joins_its_group(connect, amake_user):
    moderator = await amake_user(perms=["auth.delete_user"])
    await connect(moderation.reverse(), moderator)
    assert len(await group_members(moderation.group_name())) == 1


@pytest.mark.parametrize("perm", ["auth.delete_user", "auth.change_group"])
async def test_any_perm_lets_either_permission_in(connect, amake_user, perm):
    moderator = await amake_user(perms=[perm])
    socket = await connect(moderation.reverse(), moderator)
    assert socket.connected
    assert await socket.receive_nothing()


async def test_anonymous_is_denied_a_permission_consumer(connect):
    socket = await connect(moderation.reverse())
    assert (await receive_commands(socket))[0][0] == "permission_denied"


async def test_permission_is_rechecked_on_every_message(connect, amake_user):
    moderator = await amake_user(perms=["auth.delete_user"])
    socket = await connect(moderation.reverse(), moderator)
    await sync_to_async(moderator.user_permissions.clear)()
    await socket.send_json_to({"args": []})
    assert await receive_commands(socket) == [["permission_denied", moderation.reverse()]]
    await socket.send_json_to({"args": []})  # still open, still denied
    assert (await receive_commands(socket))[0][0] == "permission_denied"


@pytest.mark.parametrize(
    "frame",
    ["not json", "[1, 2]", '{"args": "not a list"}', '{"no": "args"}', "42"],
)
async def test_bad_input_answers_an_error_and_keeps_the_socket(connect, frame, member):
    socket = await connect(counter.reverse(), member)
    await socket.send_to(text_data=frame)
    reply = await receive_commands(socket)
    assert reply[0][:2] == ["error", "BAD_REQUEST"]
    await socket.send_json_to({"args": [1]})
    assert (await receive_commands(socket))[0][0] == "update"


async def test_binary_frame_answers_bad_request(connect, member):
    socket = await connect(counter.reverse(), member)
    await socket.send_to(bytes_data=b"\x00\x01")
    assert (await receive_commands(socket))[0][:2] == ["error", "BAD_REQUEST"]


class Exploding(WebsocketConsumer):
    async def receive_callback(self, *args):
        raise RuntimeError("bug in a callback")

    async def chat__server_message(self, event):
        await self.channel_send_commands([["console.log", event["text"]]])

    async def get_groups(self):
        return ["test.exploding"]


exploding_application = AuthMiddlewareStack(
    URLRouter([path("ws/test/exploding/", Exploding.as_asgi(perm=NO_PERM_REQUIRED))])
)


async def test_callback_that_raises_answers_server_error_not_1011(connect, caplog):
    socket = await connect("/ws/test/exploding/", app=exploding_application)
    await socket.send_json_to({"args": []})
    assert (await receive_commands(socket))[0][:2] == ["error", "SERVER_ERROR"]
    assert "bug in a callback" in caplog.text
    await socket.send_json_to({"args": []})
    assert (await receive_commands(socket))[0][:2] == ["error", "SERVER_ERROR"]


async def test_server_events_dispatch_by_type_to_methods(connect):
    socket = await connect("/ws/test/exploding/", app=exploding_application)
    from chatapp.websocket import agroup_send

    await agroup_send("test.exploding", {"type": "chat__server_message", "text": "hello"})
    assert await receive_commands(socket) == [["console.log", "hello"]]


async def test_event_without_handler_is_logged_and_the_socket_stays(connect, caplog):
    socket = await connect("/ws/test/exploding/", app=exploding_application)
    from chatapp.websocket import agroup_send

    await agroup_send("test.exploding", {"type": "no.such.handler"})
    await agroup_send("test.exploding", {"type": "chat__server_message", "text": "still here"})
    assert await receive_commands(socket) == [["console.log", "still here"]]
    assert "no handler" in caplog.text


async def test_consumer_command_from_sync_code_reaches_the_group(connect, member):
    listener = await connect(chat.reverse(room_name="news"), member)
    await sync_to_async(consumer_command)(chat.group_name(room_name="news"), [["alert", "hi"]])
    assert await receive_commands(listener) == [["alert", "hi"]]


async def test_group_send_from_sync_code_dispatches_to_the_handler(connect, member):
    listener = await connect(chat.reverse(room_name="news"), member)
    event = {"type": "client.commands", "text": '[["focus","x"]]'}
    await sync_to_async(group_send)(chat.group_name(room_name="news"), event)
    assert await receive_commands(listener) == [["focus", "x"]]


async def test_a_user_send_reaches_every_socket_of_that_user_and_no_one_else(
    connect, amake_user, member
):
    """auser_send: one user's sockets (any page, any process), through the one
    subscription every process already holds for login changes."""
    other = await amake_user()
    mine = [
        await connect(chat.reverse(room_name="a"), member),
        await connect(counter.reverse(), member),
    ]
    theirs = await connect(chat.reverse(room_name="a"), other)
    event = {"type": "client.commands", "text": '[["focus","mine"]]'}
    await auser_send(member.pk, event)
    for socket in mine:
        assert await receive_commands(socket) == [["focus", "mine"]]
    assert await theirs.receive_nothing(timeout=0.3)


async def test_events_sent_together_reach_every_socket_of_the_group_one_by_one_in_order(
    connect, member
):
    listeners = [await connect(chat.reverse(room_name="news"), member) for _ in range(2)]
    events = [{"type": "client.commands", "text": f'[["focus","{n}"]]'} for n in range(3)]
    await agroup_send(chat.group_name(room_name="news"), together(events))
    for listener in listeners:
        assert [await receive_commands(listener) for _ in range(3)] == [
            [["focus", str(n)]] for n in range(3)
        ]
        assert await listener.receive_nothing(timeout=0.2)


async def test_one_send_to_many_users_reaches_each_of_their_sockets_once_and_no_one_else(
    connect, amake_user, member
):
    """ausers_send: the same news for many users as one layer event."""
    second, stranger = await amake_user(), await amake_user()
    mine = [
        await connect(chat.reverse(room_name="a"), member),
        await connect(counter.reverse(), member),
        await connect(chat.reverse(room_name="a"), second),
    ]
    theirs = await connect(chat.reverse(room_name="a"), stranger)
    event = {"type": "client.commands", "text": '[["focus","news"]]'}
    await ausers_send([member.pk, second.pk], event)
    for socket in mine:
        assert await receive_commands(socket) == [["focus", "news"]]
        assert await socket.receive_nothing(timeout=0.2)
    assert await theirs.receive_nothing(timeout=0.3)


async def test_groups_are_left_on_disconnect(connect, member):
    socket = await connect(chat.reverse(room_name="bye"), member)
    assert len(await group_members(chat.group_name(room_name="bye"))) == 1
    await socket.disconnect()
    assert await group_members(chat.group_name(room_name="bye")) == set()


async def test_unknown_path_is_refused(connect):
    with pytest.raises(ValueError):
        await connect("/ws/websocket/nope/")


async def test_foreign_origin_is_refused_at_the_handshake(connect):
    socket = await connect(counter.reverse(), origin="http://evil.example")
    assert not socket.connected


async def test_logged_in_sockets_get_each_broadcast_once(connect, amake_user, member):
    """Sockets also sit in their user's group; broadcasts go to the URL's group only."""
    alice = await amake_user("alice")
    first = await connect(chat.reverse(room_name="lobby"), alice)
    second = await connect(chat.reverse(room_name="lobby"), alice)
    stranger = await connect(chat.reverse(room_name="lobby"), member)
    await first.send_json_to({"args": ["once"]})
    for socket in (first, second, stranger):
        assert (await receive_commands(socket))[0][0] == "append"
        assert await socket.receive_nothing()
