"""What one user's own sockets are told, on every device: their rooms changed.

Sent through the core's `user_send` (one layer event per user, handed to that user's
sockets by each process's hub); the consumer's handlers are in rooms/watching.py.
"""

from __future__ import annotations

import logging

from django.db import transaction

from chatapp.websocket import user_send

logger = logging.getLogger(__name__)


def tell_rooms_changed(user_ids: list[int]) -> None:
    """After the commit: each user's watching sockets list their rooms anew (a room
    gained or lost). Never fails the change: a socket lists them anew on its next watch."""

    def tell() -> None:
        for user_id in user_ids:
            try:
                user_send(user_id, {"type": "chat.rooms_changed"})
            except Exception:
                logger.exception("could not tell user %s their rooms changed", user_id)

    transaction.on_commit(tell)
