"""Open pages follow room changes made anywhere (admin, shell) without a reload: the
lobbies' room lists, and who may still be in a room (a removed member, a room made
private, staff-only or archived) at once on every socket."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver
from django.template.loader import render_to_string

from chatapp.websocket import (
    group_send,
    notify_auth_changed,
    register_stream_access,
    stream_send,
    turbo_stream,
)

from .events import room_group
from .models import MemberRole, Membership, Room, RoomKind, sees_staff_rooms
from .user_events import tell_rooms_changed

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


def access_of(kind: str, staff_only: bool, archived: object) -> dict:
    """What of a room decides who may be in it (an archive date counts only as set or not)."""
    return {"kind": kind, "staff_only": staff_only, "archived": archived is not None}


@receiver(pre_save, sender=Room)
def remember_access(instance: Room, **kwargs) -> None:
    before = None
    if instance.pk is not None:
        fields = ("kind", "staff_only", "archived", "title")
        row = Room.objects.filter(pk=instance.pk).values(*fields).first()
        if row:
            before = (access_of(row["kind"], row["staff_only"], row["archived"]), row["title"])
    instance._access_before = before  # type: ignore[attr-defined]


@receiver(post_save, sender=Room)
def room_access_changed(instance: Room, created: bool, **kwargs) -> None:
    """A public room made private keeps only its owners (opening it made everyone else
    a member; the owners, or the admin, invite who belongs); then every socket in a room
    whose access changed (archived too: nobody may be in it) checks its user may still
    be there. A room archived or brought back changes its members' lists of rooms; a
    renamed one only its name in them (rooms.watching)."""
    before = getattr(instance, "_access_before", None)
    if created or before is None:
        return
    access, title = before
    group = room_group(instance.pk)
    if access == access_of(instance.kind, instance.staff_only, instance.archived):
        if title != instance.title:
            event = {"type": "room.renamed", "room": instance.pk, "title": instance.title}
            transaction.on_commit(lambda: send_or_log(group, event))
        return
    if access["kind"] == RoomKind.PUBLIC and instance.kind != RoomKind.PUBLIC:
        Membership.objects.filter(room=instance).exclude(role=MemberRole.OWNER).delete()
    if access["archived"] != (instance.archived is not None):
        # Brought back, its members' sockets are in its group no more: tell them.
        tell_rooms_changed(list(instance.memberships.values_list("user_id", flat=True)))
    event = {"type": "room.access_changed", "room": instance.pk}
    transaction.on_commit(lambda: send_or_log(group, event))


@receiver(post_save, sender=Membership)
def membership_made(instance: Membership, created: bool, **kwargs) -> None:
    """Invited, or a member of a new room or conversation: the user's watching sockets
    list their rooms anew (a muted room too: it counts differently)."""
    tell_rooms_changed([instance.user_id])


@receiver(post_delete, sender=Membership)
def membership_ended(instance: Membership, **kwargs) -> None:
    """Left or removed: the user's sockets leave the room at once if they may no longer
    see it (a public room they left they may still open), and watching ones list their
    rooms anew (the login watch calls `user_changed`)."""
    transaction.on_commit(lambda: notify_auth_changed(instance.user_id))


def send_or_log(group: str, event: dict) -> None:
    try:
        group_send(group, event)
    except Exception:
        # Sockets still in the room are refused on their next command there.
        logger.exception("could not tell room %s its access changed", event.get("room"))
