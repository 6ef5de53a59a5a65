"""The core's protocol constants, defined once: close codes, error codes, their texts.

The client runtime gets them from here (`{% websocket_runtime %}` renders them into
the page as JSON), and the docs are checked against them (test_docs.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Close:
    """A close code in the 4000 range, what the page says after it, and whether the
    client runtime opens the socket again (it does not where retrying cannot help)."""

    code: int
    name: str  # how the client runtime refers to it
    text: str
    reconnect: bool


CLOSE_LOGGED_OUT = 4401
CLOSE_PERMISSION_DENIED = 4403
CLOSE_TOO_MANY_CONNECTIONS = 4429
# Closed because it fell too far behind (its inbox overflowed, or it did not take what
# was sent): the client reconnects and catches up, so one slow client never holds up
# the others or the server's memory.
CLOSE_TOO_SLOW = 4008
# What disconnect() gets when the socket ended without a close (the consumer failed).
CLOSE_ABNORMAL = 1006

CLOSES = {
    close.code: close
    for close in (
        Close(CLOSE_LOGGED_OUT, "logged_out", "You were logged out.", reconnect=False),
        Close(
            CLOSE_PERMISSION_DENIED,
            "permission_denied",
            "You may not use this connection.",
            reconnect=False,
        ),
        Close(
            CLOSE_TOO_MANY_CONNECTIONS,
            "too_many_connections",
            "Too many connections; trying again…",
            reconnect=True,
        ),
        Close(CLOSE_TOO_SLOW, "too_slow", "The connection fell behind; catching up…", True),
    )
}

# Error codes the core sends as `["error", code, detail]` commands (apps add their own).
BAD_REQUEST = "BAD_REQUEST"
RATE_LIMITED = "RATE_LIMITED"
SERVER_ERROR = "SERVER_ERROR"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"

ERROR_TEXTS = {
    BAD_REQUEST: "The message could not be read by the server.",
    RATE_LIMITED: "You are sending too fast. Wait a moment and try again.",
    SERVER_ERROR: "Something went wrong on the server. Try again.",
    SERVICE_UNAVAILABLE: "The server is briefly unavailable. Retrying…",
}

# The ASGI scope extension the servers add (chatapp/serve.py for daphne,
# chatapp/uvicorn_ws.py for uvicorn): {"unsent": callable} gives the bytes sent to the
# socket that the client has not taken yet, {"too_slow": callable} whether the server
# closed it (4008) for not taking them.
WRITE_BUFFER_EXTENSION = "chatapp.write_buffer"


def client_contract() -> dict[str, Any]:
    """What the client runtime needs to know of the protocol, as JSON-ready data."""
    from .commands import KNOWN_COMMANDS

    return {
        "commands": sorted(KNOWN_COMMANDS),
        "closes": {
            str(c.code): {"name": c.name, "text": c.text, "reconnect": c.reconnect}
            for c in CLOSES.values()
        },
        "errors": ERROR_TEXTS,
    }
