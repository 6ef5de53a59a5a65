"""Scale-out: two daphne processes on one Redis and one database, raw websockets only."""

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import websockets

from chatapp.websocket.testing import frames_in, session_cookie

pytestmark = pytest.mark.e2e


async def open_joined(server, cookie: str, room_id: int):
    socket = await websockets.connect(
        server.url.replace("http://", "ws://") + "/chat/stream/",
        origin=server.url,
        additional_headers={"Cookie": f"sessionid={cookie}"},
        subprotocols=["chat.v2"],
    )
    await socket.send(json.dumps({"command": "join", "room": room_id}))
    while json.loads(await asyncio.wait_for(socket.recv(), 10)).get("join") != room_id:
        pass
    return socket


async def messages(socket, count: int) -> list[str]:
    """The next `count` chat messages this socket receives, skipping other events."""
    texts = []
    while len(texts) < count:
        for event in frames_in(await asyncio.wait_for(socket.recv(), 10)):
            if event.get("message") and event.get("seq"):
                texts.append(event["message"])
    return texts


def test_a_message_sent_on_either_process_reaches_sockets_on_both(
    two_servers, make_user, make_room
):
    (first, second), _redis = two_servers
    room = make_room("General")
    cookies = [session_cookie(make_user("alice")), session_cookie(make_user("bob"))]

    async def scenario():
        on_first = await open_joined(first, cookies[0], room.pk)
        on_second = await open_joined(second, cookies[1], room.pk)
        await on_first.send(json.dumps({"command": "send", "room": room.pk, "message": "one"}))
        await on_second.send(json.dumps({"command": "send", "room": room.pk, "message": "two"}))
        received = [await messages(on_first, 2), await messages(on_second, 2)]
        for socket in (on_first, on_second):
            await socket.close()
        return received

    # Its own thread: the browser fixture may hold this thread's event loop.
    with ThreadPoolExecutor(1) as thread:
        received = thread.submit(asyncio.run, scenario()).result(timeout=60)
    # Each socket gets both messages, once each, in the order they were stored.
    assert received == [["one", "two"], ["one", "two"]]
