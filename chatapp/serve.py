"""Run daphne as the site needs it.

    python -m chatapp.serve [daphne options] chatapp.asgi:application

The same command line as `daphne`, with the site's websocket options as defaults
(DEFAULT_FLAGS) and three changes.

- By default daphne's websocket library (autobahn) answers a protocol error,
  such as a frame over --websocket-max-frame-size, by dropping the TCP
  connection, so the client only sees 1006. With fail-by-drop off it sends the
  close frame first: an oversized frame closes with 1009, as RFC 6455 says.
  (Applications cannot send 1009 through daphne themselves: it accepts only
  1000 and 3000-4999 from them.)
- Twisted buffers every write until the socket's next writable event: per
  websocket frame, two epoll_ctl calls and a turn of the loop, about a third of
  the server's time when fanning out. Here a write goes to the kernel at once
  when nothing is waiting before it, as asyncio's own transports do; only what
  the kernel does not take is buffered (docs/fanout.md).
- What the kernel does not take is bounded per socket (WEBSOCKET_MAX_BUFFERED_BYTES):
  a client that stops reading is closed with 4008 instead of filling the server's
  memory, and consumers can see the unsent bytes to pace long replays.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import daphne.server
from daphne.cli import CommandLineInterface
from daphne.ws_protocol import WebSocketFactory, WebSocketProtocol
from twisted.internet.abstract import FileDescriptor

# The wrapper imports the websocket core, whose package reads settings at import: name
# the site's settings first, as manage.py and asgi.py do (the environment still wins).
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatapp.settings")

from chatapp.memory import trim_soon
from chatapp.websocket.codes import CLOSE_TOO_SLOW, WRITE_BUFFER_EXTENSION
from chatapp.websocket.conf import conf

_buffered_write = FileDescriptor.write


def unsent_bytes(transport: Any) -> int:
    """Bytes written to a Twisted TCP transport that the kernel has not taken yet."""
    try:
        return len(transport.dataBuffer) - transport.offset + transport._tempDataLen
    except AttributeError:  # not a plain TCP transport: nothing we can measure
        return 0


class BoundedWebSocketProtocol(WebSocketProtocol):
    """daphne's websocket protocol with a bound on what the client has not taken.

    Twisted buffers without limit whatever the kernel does not take, so a client
    that stops reading could hold any amount of server memory. Past
    WEBSOCKET_MAX_BUFFERED_BYTES the socket is closed with 4008 (the client resumes
    with `since`); if the close frame is not taken either, the connection is
    dropped a second later (closeHandshakeTimeout), which frees the buffer.
    """

    too_slow = False  # closed with 4008 by the bound below

    def serverSend(self, content, binary=False):
        if self.state in (self.STATE_CLOSING, self.STATE_CLOSED):
            return  # closing or gone: autobahn would raise, and the client gets nothing more
        super().serverSend(content, binary)
        limit = self.factory.max_buffered_bytes
        if limit and self.state == self.STATE_OPEN and unsent_bytes(self.transport) > limit:
            self.too_slow = True
            self.sendClose(code=CLOSE_TOO_SLOW, reason="too slow: resume with since")

    def onClose(self, wasClean, code, reason):
        super().onClose(wasClean, code, reason)
        trim_soon()  # what its buffers and replays used goes back to the system


class CleanClosingWebSocketFactory(WebSocketFactory):
    protocol = BoundedWebSocketProtocol

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setProtocolOptions(failByDrop=False)
        self.max_buffered_bytes = conf.WEBSOCKET_MAX_BUFFERED_BYTES


class Server(daphne.server.Server):
    def create_application(self, protocol, scope):
        """Give websocket scopes a way to read the socket's unsent bytes."""
        if scope.get("type") == "websocket":
            extensions = dict(scope.get("extensions") or {})
            extensions[WRITE_BUFFER_EXTENSION] = {
                "unsent": lambda: unsent_bytes(protocol.transport),
                "too_slow": lambda: protocol.too_slow,
            }
            scope = {**scope, "extensions": extensions}
        return super().create_application(protocol, scope)


def write_at_once(self: FileDescriptor, data: bytes) -> None:
    """FileDescriptor.write that sends at once if nothing is queued before it."""
    if (
        data
        and self.connected
        and not self._writeDisconnected
        and not self._tempDataLen
        and self.offset == len(self.dataBuffer)
    ):
        sent = self.writeSomeData(data)
        if isinstance(sent, int) and sent >= 0:
            if sent == len(data):
                return
            data = data[sent:]
        # A lost connection (an exception returned) is left to the next doWrite.
    _buffered_write(self, data)


# The site's websocket options, in this one place (`make run`, the Procfile, the e2e
# and bench servers all start through here): pings keep proxies from dropping idle
# sockets and find dead peers, frames over 64 KiB close with 1009, and a socket gets a
# day, 10 s to finish its handshake and 10 s to close. A flag on the command line wins.
DEFAULT_FLAGS = {
    "--ping-interval": "20",
    "--ping-timeout": "30",
    "--websocket_timeout": "86400",
    "--websocket_connect_timeout": "10",
    "--websocket-max-message-size": "65536",
    "--websocket-max-frame-size": "65536",
    "--application-close-timeout": "10",
}


def with_defaults(argv: list[str]) -> list[str]:
    """`argv` with every DEFAULT_FLAGS option it does not set itself, before the rest."""
    given = {arg.split("=", 1)[0] for arg in argv if arg.startswith("--")}
    defaults = [part for flag, value in DEFAULT_FLAGS.items() if flag not in given
                for part in (flag, value)]  # fmt: skip
    return [*defaults, *argv]


def main() -> None:
    daphne.server.WebSocketFactory = CleanClosingWebSocketFactory
    CommandLineInterface.server_class = Server
    FileDescriptor.write = write_at_once
    CommandLineInterface().run(with_defaults(sys.argv[1:]))


if __name__ == "__main__":
    main()
