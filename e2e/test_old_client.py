"""A client written to the multichat document's protocol chats on /chat/stream/.

The client below is this project's own code, written as the document's front end
works: no websocket subprotocol, room ids read from `data-room-id` attributes and sent
as strings, and one JSON object a frame, anything else ignored. It runs in Chromium
on the site's origin, in a room where several hundred other sockets sit, so that a
burst of messages goes out in the hub's long passes (where chat.v2 clients get
batch frames).
"""

import asyncio
import json
import threading

import pytest
import websockets
from playwright.sync_api import expect

from chatapp.websocket.testing import session_cookie

from .conftest import extra_server

pytestmark = pytest.mark.e2e

CROWD = 300
BURST = 40

# The multichat document's onmessage, in plain DOM code: errors alerted, join and
# leave handled, messages (msg_type 0) appended, every other frame ignored.
MULTICHAT_CLIENT = """
({url, roomId}) => new Promise((joined) => {
  const log = document.createElement("ol");
  log.id = "multichat-log";
  document.body.prepend(log);
  window.multichatFrames = [];
  const socket = new WebSocket(url);
  socket.onopen = () => socket.send(JSON.stringify({command: "join", room: String(roomId)}));
  socket.onmessage = (message) => {
    const data = JSON.parse(message.data);
    window.multichatFrames.push(data);
    if (data.error) { log.dataset.error = data.error; return; }
    if (data.join) { joined(data.join); }
    else if (data.leave) { log.remove(); }
    else if (data.message || data.msg_type != 0) {
      if (data.msg_type !== 0) return;  // notices and the rest: not shown here
      const item = document.createElement("li");
      item.textContent = data.message;
      log.append(item);
    }
  };
})
"""


@pytest.fixture
def crowd_server(django_db_setup, transactional_db):
    """A daphne whose limits let one test client seat a crowd and send a quick burst."""
    settings = {
        "WEBSOCKET_MAX_SOCKETS_PER_USER": "0",
        "WEBSOCKET_MAX_SOCKETS_PER_IP": "0",
        "WEBSOCKET_MAX_CONNECTIONS_PER_MINUTE": "0",
        "WEBSOCKET_MAX_CONNECTIONS_PER_IP_PER_MINUTE": "0",
        "CHAT_MAX_JOINS_PER_MINUTE": "0",
        "CHAT_MAX_MESSAGES_PER_MINUTE": "0",
        # Long passes, so that the burst certainly goes out in batches for chat.v2.
        "WEBSOCKET_LINGER_SHARE": "1e9",
        "WEBSOCKET_LINGER_MAX": "0.3",
    }
    with extra_server(settings) as server:
        yield server


class Crowd:
    """CROWD chat.v2 sockets sitting in a room, and a sender, in a thread of their own
    (the browser tests keep an event loop running in this one)."""

    def __init__(self, server, cookie: str, room_id: int):
        self.server, self.cookie, self.room_id = server, cookie, room_id
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.sockets = []

    def run(self, coroutine, timeout: float = 120):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def connect(self):
        socket = await websockets.connect(
            self.server.url.replace("http://", "ws://") + "/chat/stream/",
            origin=self.server.url,
            additional_headers={"Cookie": f"sessionid={self.cookie}"},
            subprotocols=["chat.v2"],
        )
        await socket.send(json.dumps({"command": "join", "room": self.room_id}))
        # Read and drop whatever comes, as a live page would.
        self.loop.create_task(self.read_all(socket))
        return socket

    @staticmethod
    async def read_all(socket):
        try:
            async for _ in socket:
                pass
        except websockets.ConnectionClosed:
            pass

    async def seat(self, count: int):
        for _ in range(count):
            self.sockets.append(await self.connect())

    async def burst(self, messages: int):
        sender = self.sockets[0]
        for n in range(messages):
            await sender.send(
                json.dumps({"command": "send", "room": self.room_id, "message": f"burst {n}"})
            )

    async def close(self):
        for socket in self.sockets:
            await socket.close()

    def stop(self):
        self.run(self.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def test_multichat_client_shows_every_message_of_a_burst_once_in_order_in_a_crowded_room(
    crowd_server, new_context, make_user, make_room
):
    room = make_room("Crowded")
    crowd = Crowd(crowd_server, session_cookie(make_user("crowd")), room.pk)
    try:
        crowd.run(crowd.seat(CROWD))
        page = new_context(make_user("oldtimer"), on=crowd_server).new_page()
        page.goto("/")
        url = crowd_server.url.replace("http://", "ws://") + "/chat/stream/"
        assert page.evaluate(MULTICHAT_CLIENT, {"url": url, "roomId": room.pk}) == room.pk
        crowd.run(crowd.burst(BURST))
        items = page.locator("#multichat-log li")
        expect(items).to_have_count(BURST)
        assert items.all_text_contents() == [f"burst {n}" for n in range(BURST)]
        frames = page.evaluate("window.multichatFrames")
        assert not [f for f in frames if "batch" in f]
        assert "error" not in frames[0]
    finally:
        crowd.stop()
