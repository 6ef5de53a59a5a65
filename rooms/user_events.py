"""What one user's own sockets are told, on every device: their rooms changed.

Sent through the core's `ausers_send` (one layer event for all the users told at once,
handed to each user's sockets by each process's hub); the consumer's handlers are in
rooms/watching.py.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from django.db import transaction

from chatapp.websocket import ausers_send

logger = logging.getLogger(__name__)


def tell_rooms_changed(user_ids: list[int]) -> None:
    """After the commit: each user's watching sockets list their rooms anew (a room
    gained or lost). Never fails the change: a socket lists them anew on its next watch."""
    if not user_ids:
        return

    def tell() -> None:
        # One layer event for all of them (a crowd's joins make hundreds), in one hop.
        try:
            async_to_sync(ausers_send)(list(user_ids), {"type": "chat.rooms_changed"})
        except Exception:  # the layer is down, or a thread that runs a loop of its own
            logger.exception("could not tell users %s their rooms changed", user_ids)

    transaction.on_commit(tell)
