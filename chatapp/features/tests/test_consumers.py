"""The features page's consumers through the site's application (chatapp.asgi)."""

import json

import pytest
from asgiref.sync import sync_to_async

from chatapp.features.consumers import chat, counter, moderation
from chatapp.websocket import consumer_command

pytestmark = pytest.mark.django_db(transaction=True)


async def commands_of(socket):
    return json.loads(await socket.receive_from())


async def test_counter_renders_its_template_into_the_target(connect, amake_user):
    socket = await connect(counter.reverse(), await amake_user())
    await socket.send_json_to({"args": [2]})
    assert await commands_of(socket) == [["update", "counter-value", "2\n"]]


async def test_a_step_that_is_not_an_integer_is_bad_request(connect, amake_user):
    socket = await connect(counter.reverse(), await amake_user())
    await socket.send_json_to({"args": ["two"]})
    assert (await commands_of(socket))[0][:2] == ["error", "BAD_REQUEST"]


async def test_chat_reaches_every_tab_on_the_same_url_escaped(connect, amake_user):
    alice, bob = await amake_user("alice"), await amake_user("bob")
    sender = await connect(chat.reverse(room_name="lobby"), alice)
    listener = await connect(chat.reverse(room_name="lobby"), bob)
    await sender.send_json_to({"args": ["<b>hi</b>"]})
    for socket in (sender, listener):
        commands = await commands_of(socket)
        assert commands[0][:2] == ["append", "chat-messages"]
        assert "&lt;b&gt;hi&lt;/b&gt;" in commands[0][2]


@pytest.mark.parametrize("perm", ["rooms.delete_message", "rooms.change_room"])
async def test_moderation_lets_in_either_moderator_permission(connect, amake_user, perm):
    socket = await connect(moderation.reverse(), await amake_user(perms=[perm]))
    assert socket.connected
    assert await socket.receive_nothing()


async def test_moderation_refuses_a_member_with_4403(connect, amake_user):
    socket = await connect(moderation.reverse(), await amake_user())
    assert await commands_of(socket) == [["permission_denied", moderation.reverse()]]
    assert (await socket.receive_output())["code"] == 4403


async def test_features_sockets_need_a_login(connect):
    socket = await connect(chat.reverse(room_name="lobby"))
    assert (await commands_of(socket))[0][0] == "permission_denied"
    assert (await socket.receive_output())["code"] == 4403


async def test_a_backend_send_reaches_the_features_chat(connect, amake_user):
    listener = await connect(chat.reverse(room_name="news"), await amake_user())
    await sync_to_async(consumer_command)(chat.group_name(room_name="news"), [["alert", "hi"]])
    assert await commands_of(listener) == [["alert", "hi"]]
