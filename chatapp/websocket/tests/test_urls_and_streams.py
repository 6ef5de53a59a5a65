"""ws_url(), the HTML stream relay and its signed names."""

import json

import pytest
from asgiref.sync import sync_to_async
from django.test import RequestFactory

from chatapp.websocket import stream_path, stream_send, turbo_stream, ws_url
from chatapp.websocket.commands import render_commands

pytestmark = pytest.mark.django_db(transaction=True)


def test_ws_url_is_ws_for_plain_http():
    request = RequestFactory().get("/", HTTP_HOST="localhost")
    assert ws_url(request, "/chat/stream/") == "ws://localhost/chat/stream/"


def test_ws_url_is_wss_for_https():
    request = RequestFactory().get("/", secure=True, HTTP_HOST="localhost")
    assert ws_url(request, "/chat/stream/") == "wss://localhost/chat/stream/"


def test_ws_url_is_wss_behind_a_tls_proxy(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    request = RequestFactory().get("/", HTTP_HOST="localhost", HTTP_X_FORWARDED_PROTO="https")
    assert ws_url(request, "/x/") == "wss://localhost/x/"


def test_ws_url_does_not_depend_on_debug(settings):
    settings.DEBUG = True
    request = RequestFactory().get("/", secure=True, HTTP_HOST="localhost")
    assert ws_url(request, "/x/").startswith("wss://")


@pytest.mark.parametrize("action", ["append", "prepend", "replace", "update", "before", "after"])
def test_turbo_stream_wraps_escaped_template_output(action):
    html = turbo_stream(
        action, "log", "websocket_tests/stream_item.html", {"text": "<script>", "source": "t"}
    )
    assert html.startswith(f'<turbo-stream action="{action}" target="log"><template>')
    assert "&lt;script&gt;" in html and "<script>" not in html


def test_turbo_stream_remove_has_no_template():
    assert turbo_stream("remove", "x") == '<turbo-stream action="remove" target="x"></turbo-stream>'


def test_turbo_stream_escapes_the_target():
    assert '"&quot;' in turbo_stream("remove", '"')


def test_render_commands_updates_the_target_with_autoescaped_html():
    commands = render_commands("websocket_tests/chat_length.html", {"length": "<i>"}, target_id="t")
    assert commands == [["update", "t", "Length of the last message: <strong>&lt;i&gt;</strong>\n"]]


async def test_stream_socket_receives_html_pushed_from_sync_code(connect):
    socket = await connect(stream_path("news"))
    html = turbo_stream("append", "log", html="<li>hi</li>")
    await sync_to_async(stream_send)("news", html)
    assert await socket.receive_from() == html


async def test_stream_socket_only_gets_its_own_stream(connect):
    socket = await connect(stream_path("news"))
    await sync_to_async(stream_send)("other", "<p>not for you</p>")
    assert await socket.receive_nothing()


async def test_forged_stream_name_is_refused_at_connect(connect):
    good = stream_path("news")
    forged = good.replace("/ws/stream/", "/ws/stream/x")
    socket = await connect(forged)
    assert json.loads(await socket.receive_from())[0][0] == "permission_denied"
    assert (await socket.receive_output())["code"] == 4403


async def test_signature_of_one_stream_does_not_open_another(connect):
    signed = stream_path("news").split("/")[3]
    signature = signed.rsplit(":", 1)[1]
    other_payload = stream_path("admin").split("/")[3].rsplit(":", 1)[0]
    socket = await connect(f"/ws/stream/{other_payload}:{signature}/")
    assert json.loads(await socket.receive_from())[0][0] == "permission_denied"
