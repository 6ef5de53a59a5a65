"""reverse(), group_name() and the URL patterns the decorator generates."""

import pytest

from chatapp.websocket import NO_PERM_REQUIRED, WebsocketConsumer, command, consumer
from chatapp.websocket.commands import collect_commands
from chatapp.websocket.decorators import autoconsumers, group_for_path
from chatapp.websocket.tests.consumers import announcements, chat, counter


def test_reverse_builds_the_socket_path_from_app_and_function():
    assert counter.reverse() == "/ws/websocket/counter/"
    assert chat.reverse(room_name="lobby") == "/ws/websocket/chat/lobby/"


def test_reverse_rejects_arguments_that_do_not_match_the_path():
    from django.urls import NoReverseMatch

    with pytest.raises(NoReverseMatch):
        chat.reverse(room_name="not a slug!")


def test_group_name_is_shared_by_the_same_url_and_differs_by_argument():
    assert chat.group_name(room_name="a") == chat.group_name(room_name="a")
    assert chat.group_name(room_name="a") != chat.group_name(room_name="b")
    assert chat.group_name(room_name="a") == "ws.websocket.chat.a"


def test_group_name_override_is_used_from_the_backend_too():
    assert announcements.group_name() == "tests.announcements"


def test_group_for_path_hashes_what_is_not_a_valid_group_name():
    name = group_for_path("/ws/x/" + "é" * 10 + "/")
    assert name.startswith("ws-h.") and len(name) < 100


def test_autoconsumers_collects_every_decorated_consumer_of_the_app():
    routes = {p.pattern._route for p in autoconsumers("chatapp.websocket.tests")}
    assert {"ws/websocket/counter/", "ws/websocket/chat/<slug:room_name>/"} <= routes


def test_perm_is_required_when_routing_a_consumer():
    with pytest.raises(TypeError, match="perm"):
        WebsocketConsumer.as_asgi()


def test_perm_must_be_a_permission_name():
    with pytest.raises(ValueError):
        consumer(perm="nodot")(lambda consumer, request: None)


def test_command_adds_to_the_reply_being_collected():
    with collect_commands() as commands:
        command("alert", "hi")
        command("websocket.close", "/ws/x/")
    assert commands == [["alert", "hi"], ["websocket.close", "/ws/x/"]]


def test_unknown_command_name_is_refused():
    with pytest.raises(ValueError):
        command("eval", "alert(1)")


def test_no_perm_required_is_explicit():
    assert repr(NO_PERM_REQUIRED) == "NO_PERM_REQUIRED"
