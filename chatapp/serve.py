"""Run daphne as the site needs it.

    python -m chatapp.serve [daphne options] chatapp.asgi:application

The same command line as `daphne`, with one change. By default daphne's websocket
library (autobahn) answers a protocol error, such as a frame over
--websocket-max-frame-size, by dropping the TCP connection, so the client only
sees 1006. With fail-by-drop off it sends the close frame first: an oversized
frame closes with 1009, as RFC 6455 says. (Applications cannot send 1009 through
daphne themselves: it accepts only 1000 and 3000-4999 from them.)
"""

from __future__ import annotations

import daphne.server
from daphne.cli import CommandLineInterface
from daphne.ws_protocol import WebSocketFactory


class CleanClosingWebSocketFactory(WebSocketFactory):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setProtocolOptions(failByDrop=False)


def main() -> None:
    daphne.server.WebSocketFactory = CleanClosingWebSocketFactory
    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
