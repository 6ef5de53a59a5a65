"""Telling open pages about a change the API or a webhook made, as the socket does:
after the change is stored, on the room's group (rooms.events.room_broadcast)."""

from __future__ import annotations

import logging
from typing import Any

from chatapp.websocket import group_send
from rooms.events import room_group

logger = logging.getLogger(__name__)


def tell_room(room_id: int, event: dict[str, Any] | None) -> None:
    """Broadcast a stored change's layer event. Stored first: if the layer fails, pages
    still get the change when they resume (and the API caller its answer)."""
    if event is None:
        return
    try:
        group_send(room_group(room_id), event)
    except Exception:
        logger.exception("stored a change of room %s but could not broadcast it", room_id)
