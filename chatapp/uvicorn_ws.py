"""uvicorn's sans-I/O websocket protocol with the same bound on unsent bytes as daphne's.

    uvicorn chatapp.asgi:application --ws chatapp.uvicorn_ws:BoundedWebSocketProtocol …

uvicorn already stops the application's sends while the transport holds more than
asyncio's high-water mark (64 KiB): a client that never reads then holds its
consumer's handler until the ping timeout, and the handler everything queued behind
it. Here the high-water mark is WEBSOCKET_MAX_BUFFERED_BYTES, and reaching it closes
the socket with 4008 (the client resumes with `since`), as `chatapp/serve.py` does
under daphne; a close frame the client does not take either is dropped with the
connection a second later. Consumers see the unsent bytes through the
same scope extension, to pace long replays.

Needs uvicorn (bench/requirements.txt, requirements-dev.txt); the site runs without it.
"""

from __future__ import annotations

import os
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

# uvicorn imports this before the application: name the site's settings first, as
# asgi.py does (the websocket core's package reads them at import).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatapp.settings")

from chatapp.memory import trim_soon
from chatapp.websocket.codes import CLOSE_TOO_SLOW, WRITE_BUFFER_EXTENSION
from chatapp.websocket.conf import conf

# A close frame the client has not taken by then is dropped with the connection (as
# autobahn's closeHandshakeTimeout does under daphne), freeing the buffer.
DROP_AFTER_SECONDS = 1.0


class BoundedWebSocketProtocol(WebSocketsSansIOProtocol):
    too_slow = False  # closed with 4008 for not taking what was sent

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        self.max_buffered_bytes = conf.WEBSOCKET_MAX_BUFFERED_BYTES
        if self.max_buffered_bytes:
            transport.set_write_buffer_limits(high=self.max_buffered_bytes)

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        # The application task has not run yet: it starts with this scope.
        self.scope["extensions"][WRITE_BUFFER_EXTENSION] = {
            "unsent": self.transport.get_write_buffer_size,
            "too_slow": lambda: self.too_slow,
        }

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        trim_soon()  # what its buffers and replays used goes back to the system

    async def send(self, message: Any) -> None:
        """As uvicorn's, but a frame sent once the socket is closing is dropped, as
        daphne does, instead of raising: the consumer still handles (and stores) what
        the client sent before its close frame, though it can no longer answer."""
        if message["type"] == "websocket.send" and (self.close_sent or self.disconnected):
            return
        await super().send(message)

    def pause_writing(self) -> None:
        """Called when more than WEBSOCKET_MAX_BUFFERED_BYTES are unsent: close with 4008."""
        super().pause_writing()
        if not self.max_buffered_bytes or not self.handshake_complete or self.close_sent:
            return
        self.too_slow = True
        self.conn.send_close(CLOSE_TOO_SLOW, "too slow: resume with since")
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        self.queue.put_nowait({"type": "websocket.disconnect", "code": CLOSE_TOO_SLOW})
        self.close_timer = self.loop.call_later(DROP_AFTER_SECONDS, self.transport.abort)
