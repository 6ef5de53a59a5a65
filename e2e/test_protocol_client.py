"""The README's example: a plain Python websocket client logs in, joins and sends."""

import asyncio
import http.cookiejar
import json
import re
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import websockets

from chatapp.testing import TEST_PASSWORD
from chatapp.websocket.testing import frames_in


def login_cookie(base: str, username: str) -> str:
    jar = http.cookiejar.CookieJar()
    web = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = web.open(f"{base}/accounts/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    form = {"login": username, "password": TEST_PASSWORD, "csrfmiddlewaretoken": token}
    request = urllib.request.Request(
        f"{base}/accounts/login/",
        urllib.parse.urlencode(form).encode(),
        headers={"Referer": f"{base}/accounts/login/"},
    )
    web.open(request)
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def is_message(frame: dict) -> bool:
    return "html" in frame and frame.get("seq") is not None


async def join_and_send(base: str, cookie: str, room_id: int) -> list[dict]:
    url = base.replace("http://", "ws://") + "/chat/stream/"
    frames = []
    async with websockets.connect(
        url, origin=base, additional_headers={"Cookie": cookie}, subprotocols=["chat.v2"]
    ) as ws:
        await ws.send(json.dumps({"command": "join", "room": room_id}))
        frames.append(json.loads(await ws.recv()))
        await ws.send(
            json.dumps({"command": "send", "room": room_id, "message": "hello", "client_id": "c1"})
        )
        # The ack, and our message as the room sees it (both carry seq 1).
        while not any("ack" in f for f in frames) or not any(is_message(f) for f in frames):
            frames += frames_in(await asyncio.wait_for(ws.recv(), 10))
    return frames


def test_plain_websocket_client_logs_in_joins_and_sends(server, make_user):
    server.manage("load_demo_rooms")
    from rooms.models import Message, Room

    make_user("scripted")
    general = Room.objects.get(title="General")
    cookie = login_cookie(server.url, "scripted")
    # Its own thread: the browser tests keep an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        frames = pool.submit(asyncio.run, join_and_send(server.url, cookie, general.pk)).result()
    general.refresh_from_db()
    assert frames[0] == {"join": general.pk, "title": "General", "seq": general.last_seq - 1}
    assert {"ack": "c1", "room": general.pk, "seq": 1} in frames
    message = next(f for f in frames if is_message(f))
    assert (message["message"], message["username"]) == ("hello", "scripted")
    assert Message.objects.get().text == "hello"


async def oversized_frame(base: str, cookie: str) -> int:
    url = base.replace("http://", "ws://") + "/chat/stream/"
    async with websockets.connect(
        url, origin=base, additional_headers={"Cookie": cookie}, max_size=None
    ) as ws:
        await ws.send("x" * 100_000)
        try:
            await asyncio.wait_for(ws.recv(), 10)
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else closed.sent.code
    return 0


def test_daphne_closes_an_oversized_frame_with_1009(server, make_user):
    make_user("bigframe")
    cookie = login_cookie(server.url, "bigframe")
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, oversized_frame(server.url, cookie)).result() == 1009
