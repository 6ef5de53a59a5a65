"""Run daphne as the site needs it.

    python -m chatapp.serve [daphne options] chatapp.asgi:application

The same command line as `daphne`, with two changes.

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
  the kernel does not take is buffered (README, "Fan-out").
"""

from __future__ import annotations

import daphne.server
from daphne.cli import CommandLineInterface
from daphne.ws_protocol import WebSocketFactory
from twisted.internet.abstract import FileDescriptor

_buffered_write = FileDescriptor.write


class CleanClosingWebSocketFactory(WebSocketFactory):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setProtocolOptions(failByDrop=False)


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


def main() -> None:
    daphne.server.WebSocketFactory = CleanClosingWebSocketFactory
    FileDescriptor.write = write_at_once
    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
