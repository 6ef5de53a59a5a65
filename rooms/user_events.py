"""What one user's own sockets are told, on every device: their rooms changed.

Sent through the core's `auser_send` (one layer event per user, handed to that user's
sockets by each process's hub); the consumer's handlers are in rooms/watching.py.
"""

from __future__ import annotations

import asyncio
import logging

from asgiref.sync import async_to_sync
from django.db import transaction

from chatapp.websocket import auser_send

logger = logging.getLogger(__name__)


def tell_rooms_changed(user_ids: list[int]) -> None:
    """After the commit: each user's watching sockets list their rooms anew (a room
    gained or lost). Never fails the change: a socket lists them anew on its next watch."""

    async def tell_each(user_id: int) -> None:
        try:
            await auser_send(user_id, {"type": "chat.rooms_changed"})
        except Exception:
            logger.exception("could not tell user %s their rooms changed", user_id)

    async def tell_all() -> None:
        await asyncio.gather(*(tell_each(user_id) for user_id in user_ids))

    def tell() -> None:
        # One hop to the event loop for all of them (a crowd's joins make hundreds).
        try:
            async_to_sync(tell_all)()
        except Exception:  # e.g. called from a thread that runs an event loop itself
            logger.exception("could not tell users %s their rooms changed", user_ids)

    transaction.on_commit(tell)
