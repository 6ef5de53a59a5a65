"""Open lobbies follow room changes made anywhere (admin, shell) without a reload."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.template.loader import render_to_string

from chatapp.websocket import register_stream_access, stream_send, turbo_stream

from .models import Room, sees_staff_rooms

logger = logging.getLogger(__name__)

# Two streams, so that staff-only titles never reach a non-staff page. Private and direct
# rooms are in neither: their members' pages list them on their own.
LOBBY_STREAM = "lobby"
STAFF_LOBBY_STREAM = "lobby-staff"


# Re-checked at connect and on every change of the user: losing staff stops it.
register_stream_access(STAFF_LOBBY_STREAM, sees_staff_rooms)


def lobby_stream_for(user) -> str:
    return STAFF_LOBBY_STREAM if user.is_staff else LOBBY_STREAM


def publish_room_list() -> None:
    """Push the current room list to every open lobby, one version per audience."""
    for stream, visible in (
        (LOBBY_STREAM, Room.objects.public()),
        (STAFF_LOBBY_STREAM, Room.objects.listed_to_staff()),
    ):
        html = render_to_string("rooms/room_list.html", {"rooms": visible})
        try:
            stream_send(stream, turbo_stream("update", "room-list", html=html))
        except Exception:
            # The change is saved; lobbies see it on their next load.
            logger.exception("could not push the room list to open lobbies")


@receiver(post_save, sender=Room)
@receiver(post_delete, sender=Room)
def room_changed(**kwargs) -> None:
    transaction.on_commit(publish_room_list)
