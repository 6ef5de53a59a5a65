"""Sending no faster than the client takes: the server's write buffer, read.

The servers (chatapp/serve.py for daphne, chatapp/uvicorn_ws.py for uvicorn) close a
socket whose unsent bytes pass WEBSOCKET_MAX_BUFFERED_BYTES (4008) and tell the
consumer, through a scope extension, how much is unsent. A long send (a replay) uses
that to wait for the client instead of filling the buffer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .codes import WRITE_BUFFER_EXTENSION
from .conf import conf

logger = logging.getLogger(__name__)

# How often a paced send looks whether the client took what was sent.
DRAIN_POLL_SECONDS = 0.02


class PacedSends:
    """Write-buffer reads and paced sends of a socket."""

    scope: dict[str, Any]
    closing: bool
    channel_name: str

    if TYPE_CHECKING:  # provided by the consumer

        async def send_frame(self, text: str) -> None: ...
        async def close_too_slow(self) -> None: ...

    @property
    def write_buffer(self) -> dict[str, Any]:
        """The server's write-buffer extension (chatapp/serve.py, chatapp/uvicorn_ws.py),
        or nothing from a server without it."""
        return (self.scope.get("extensions") or {}).get(WRITE_BUFFER_EXTENSION) or {}

    def unsent_bytes(self) -> int:
        """Bytes sent to this socket that the client has not taken yet, where the server
        says; 0 where it does not."""
        unsent = self.write_buffer.get("unsent")
        return unsent() if unsent else 0

    @property
    def gone(self) -> bool:
        """We closed the socket, or the server closed it for not reading (4008), before
        its disconnect reached us: frames still queued are dropped unhandled, no
        database work for a client that will never see the answer. (A client that
        closes by itself still has the frames it sent before handled.)"""
        too_slow = self.write_buffer.get("too_slow")
        return self.closing or bool(too_slow and too_slow())

    async def close(self, code: int | bool | None = None, reason: str | None = None) -> None:
        """Close the socket; frames that still come before the disconnect are dropped."""
        self.closing = True
        # The next class in the consumer's MRO, channels' (untyped) consumer, closes.
        await super().close(code, reason)  # type: ignore[misc]

    async def send_paced(self, frames: Iterable[str]) -> bool:
        """Send frames as the client takes them: while more than a quarter of
        WEBSOCKET_MAX_BUFFERED_BYTES is unsent, wait. A client that takes nothing for
        WEBSOCKET_DRAIN_TIMEOUT seconds is closed with 4008 (False): a long replay
        costs the server a bounded buffer, never the whole replay at once."""
        high = conf.WEBSOCKET_MAX_BUFFERED_BYTES // 4
        for text in frames:
            await self.send_frame(text)
            unsent = self.unsent_bytes()
            waited = 0.0
            while high and unsent > high:
                if self.gone:
                    return False
                await asyncio.sleep(DRAIN_POLL_SECONDS)
                now = self.unsent_bytes()
                waited = 0.0 if now < unsent else waited + DRAIN_POLL_SECONDS
                unsent = now
                if waited >= conf.WEBSOCKET_DRAIN_TIMEOUT:
                    logger.warning("closing %s: it takes nothing", self.channel_name)
                    await self.close_too_slow()
                    return False
        return True
