"""A page's chat socket behind a switch that drops it as a failed network would.

Chromium's offline emulation (`context.set_offline`) fails requests but leaves an open
websocket alone, so tests of losing the connection route the socket through here.
"""

import re

CHAT_STREAM = re.compile(r".*/chat/stream/$")


class ChatSocketCut:
    """Route `page`'s /chat/stream/ socket (before the page opens it) so it can be cut."""

    def __init__(self, page):
        self.on = False  # while cut, every (re)connection is refused
        self.routes = []
        page.route_web_socket(CHAT_STREAM, self.route)

    def route(self, ws) -> None:
        if self.on:
            ws.close(code=1011)
            return
        ws.connect_to_server()
        self.routes.append(ws)

    def drop(self) -> None:
        """Close the socket as the network would, and keep it from reconnecting."""
        self.on = True
        for ws in self.routes:
            ws.close(code=1011)

    def restore(self) -> None:
        """Let the page's next reconnect through."""
        self.on = False
