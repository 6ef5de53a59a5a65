"""A client that never reads costs the live server a bounded buffer, not its memory.

A raw TCP client does the websocket handshake by hand, sends its frames and never
reads (with a tiny receive buffer), against the daphne the site runs
(`python -m chatapp.serve`), as the hostile tester did.
"""

import base64
import json
import os
import socket
import struct
import sys
import threading
import time

import pytest

from chatapp.websocket.testing import session_cookie

from .conftest import LiveServer, extra_server

pytestmark = pytest.mark.e2e

LONG = "😀" * 2000  # the longest message: 8 KB of UTF-8 text, twice that with its HTML
CHAT_RESUME_LIMIT = 500  # the most one replay sends (settings)
# What a closed socket can still have been sent: the kernel's send buffer (up to 4 MB,
# tcp_wmem) and the server's own 64 KiB bound (the setting below). Without the bound
# the server keeps writing everything: 8 MB here.
AT_MOST_UNSENT = 5_000_000


def client_frame(payload: dict) -> bytes:
    """One masked text frame, as a client must send it."""
    data = json.dumps(payload, ensure_ascii=False).encode()
    mask = os.urandom(4)
    header = bytes([0x81])
    if len(data) < 126:
        header += bytes([0x80 | len(data)])
    else:
        header += bytes([0x80 | 126]) + struct.pack("!H", len(data))
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def open_unread_socket(server, cookie: str) -> socket.socket:
    """A websocket to /chat/stream/ whose client takes (almost) nothing."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    raw.connect(("127.0.0.1", server.port))
    key = base64.b64encode(os.urandom(16)).decode()
    raw.sendall(
        (
            "GET /chat/stream/ HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{server.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: {server.url}\r\nCookie: sessionid={cookie}\r\n\r\n"
        ).encode()
    )
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += raw.recv(1)
    assert answer.startswith(b"HTTP/1.1 101"), answer
    return raw


def read_to_the_end(raw: socket.socket, seconds: float) -> tuple[bytes, bool]:
    """Everything the server still sends, and whether it then closed the connection
    (a close frame the client did not take in time is dropped with the buffer)."""
    raw.settimeout(seconds)
    received = b""
    try:
        while chunk := raw.recv(65536):
            received += chunk
    except ConnectionResetError:
        return received, True
    except TimeoutError:
        return received, False
    return received, True


def keep_reading(raw: socket.socket) -> threading.Thread:
    """Read (and drop) everything a well-behaved client gets, in the background."""

    def read() -> None:
        try:
            while raw.recv(65536):
                pass
        except OSError:
            pass

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader


class UvicornServer(LiveServer):
    """uvicorn with the site's bounded websocket protocol (chatapp/uvicorn_ws.py)."""

    def command(self) -> list[str]:
        return [
            *(sys.executable, "-m", "uvicorn", "--host", "127.0.0.1", "--port", str(self.port)),
            *("--ws", "chatapp.uvicorn_ws:BoundedWebSocketProtocol", "--ws-max-size", "65536"),
            "chatapp.asgi:application",
        ]


@pytest.fixture(params=["daphne", "uvicorn"])
def bounded_server(request, django_db_setup, transactional_db):
    """The site's daphne, or uvicorn, with a small bound on unsent bytes and a short
    drain timeout."""
    settings = {
        "WEBSOCKET_MAX_BUFFERED_BYTES": "65536",
        "WEBSOCKET_DRAIN_TIMEOUT": "1",
        "CHAT_MAX_JOINS_PER_MINUTE": "0",
        "CHAT_MAX_MESSAGES_PER_MINUTE": "0",
    }
    kind = LiveServer if request.param == "daphne" else UvicornServer
    with extra_server(settings, kind=kind) as server:
        yield server


def test_a_client_that_never_reads_a_long_replay_is_closed_long_before_it_is_sent(
    bounded_server, make_user, make_room
):
    from rooms.posting import post_message

    room = make_room("Long")
    for _ in range(CHAT_RESUME_LIMIT):
        post_message(room=room, author=None, text=LONG)  # about 8 MB of replay
    raw = open_unread_socket(bounded_server, session_cookie(make_user("reader")))
    for _ in range(20):
        raw.sendall(client_frame({"command": "join", "room": room.pk, "since": 0}))
    time.sleep(4)  # the drain timeout, and some
    received, closed = read_to_the_end(raw, 10)
    raw.close()
    assert closed
    assert len(received) < AT_MOST_UNSENT  # one replay alone is 8 MB


def test_a_client_that_stops_reading_live_messages_is_closed_with_4008(
    bounded_server, make_user, make_room
):
    room = make_room("Busy")
    raw = open_unread_socket(bounded_server, session_cookie(make_user("sleeper")))
    raw.sendall(client_frame({"command": "join", "room": room.pk}))
    time.sleep(0.5)
    sender = open_unread_socket(bounded_server, session_cookie(make_user("talker")))
    keep_reading(sender)
    sender.sendall(client_frame({"command": "join", "room": room.pk}))
    # About 8 MB of frames to the sleeper: the kernel's send buffer takes up to 4 MB
    # (tcp_wmem), the server's own buffer 64 KB, then the socket must go.
    for _ in range(500):
        sender.sendall(client_frame({"command": "send", "room": room.pk, "message": LONG}))
    time.sleep(5)
    received, closed = read_to_the_end(raw, 2)
    raw.close()
    sender.close()
    assert closed
    assert len(received) < AT_MOST_UNSENT


def test_a_message_sent_right_before_the_client_closes_is_stored(
    bounded_server, make_user, make_room
):
    from rooms.models import Message

    room = make_room("Last words")
    raw = open_unread_socket(bounded_server, session_cookie(make_user("leaver")))
    frames = [client_frame({"command": "join", "room": room.pk})]
    for n in range(5):
        frames.append(client_frame({"command": "send", "room": room.pk, "message": f"bye {n}"}))
    frames.append(bytes([0x88, 0x80]) + os.urandom(4))  # a close frame (masked, no body)
    raw.sendall(b"".join(frames))  # all at once: the close arrives before any is handled
    raw.close()
    deadline = time.monotonic() + 10
    while Message.objects.filter(room=room).count() < 5:
        assert time.monotonic() < deadline, "frames sent before the close were dropped"
        time.sleep(0.1)
