"""The chat's wire format: what every frame the server sends looks like, built here once.

The consumer, the presence announcements and the backend sends (staff page, admin,
commands) all speak through these builders, so the protocol's outgoing side
(README: "The socket protocol") can be read in one place. Room events go to
every socket in a room through the channel layer; replies go to one socket.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from attachments.shown import event_attachments, html_context

from .mentions import says_here
from .models import Message, MessageType

# The layer event type of everything sent to a room's sockets (ChatConsumer.chat_event).
ROOM_EVENT = "chat.event"


def room_group(room_id: int) -> str:
    """The channel-layer group of a room's sockets: named in this one place."""
    return f"room.{room_id}"


# Room events: what every socket in a room gets --------------------------------------


# How much of a parent message a reply quotes.
EXCERPT_LENGTH = 100


def reply_of(message: Message) -> dict[str, Any] | None:
    """What a reply shows of its parent; a deleted parent keeps only its id."""
    parent = message.reply_to
    if parent is None:
        return None
    if parent.deleted is not None:
        return {"id": parent.number, "username": None, "excerpt": None}
    return {
        "id": parent.number,
        "username": parent.author.get_username() if parent.author else None,
        "excerpt": parent.text[:EXCERPT_LENGTH],
    }


def render_message(message: Message) -> str:
    """The message as every page shows it, rendered once per change (Message.html)."""
    username = message.author.get_username() if message.author else None
    return render_to_string(
        "rooms/message.html",
        {
            "text": message.text,
            "username": username,
            "kind": MessageType(message.msg_type).label,
            "id": message.number,
            "seq": message.seq,
            "created": message.created,
            "edited": message.edited,
            "reply": reply_of(message),
            "reactions": message.reaction_summary,
            # Read only for a message that may have some (attachments/shown.py).
            "attachments": html_context(message),
        },
    )


def message_event(message: Message) -> dict[str, Any]:
    """The client event of a stored message as it is now (a tombstone for a deleted
    one), its HTML the stored rendering (made now if an older row has none)."""
    if message.deleted is not None:
        return deletion_event(message)
    if not message.html:
        message.html = render_message(message)
        # Only if nothing changed it since it was read (that change stored its own HTML).
        Message.objects.filter(pk=message.pk, seq=message.seq, html="").update(html=message.html)
    event = {
        "room": message.room_id,
        "id": message.number,
        "seq": message.seq,
        "message": message.text,
        "username": message.author.get_username() if message.author else None,
        "msg_type": message.msg_type,
        "created": message.created.isoformat(),
        "edited": message.edited.isoformat() if message.edited else None,
        "reactions": message.reaction_summary,
        "reply_to": reply_of(message),
        "mentions": message.mentioned,
        "html": message.html,
    }
    if files := event_attachments(message):  # only a message with files has the key
        event["attachments"] = files
    return event


def deletion_event(message: Message) -> dict[str, Any]:
    """A deleted message: clients drop it (or keep a "message deleted" line for replies)."""
    return {"room": message.room_id, "seq": message.seq, "id": message.number, "deleted": True}


def notice_event(room_id: int, username: str, msg_type: int) -> dict[str, Any]:
    """The live-only "entered" / "left" notice of a user."""
    return {
        "room": room_id,
        "message": None,
        "username": username,
        "msg_type": msg_type,
        "html": render_to_string(
            "rooms/message.html",
            {"username": username, "kind": MessageType(msg_type).label, "text": None},
        ),
    }


def presence_event(room_id: int, members: list[str]) -> dict[str, Any]:
    """Who is in the room: the count, and the first names only (a room of thousands
    would otherwise send every name on every change)."""
    shown = members[: settings.CHAT_PRESENCE_NAMES_LIMIT]
    return {"presence": room_id, "members": shown, "count": len(members)}


def typing_event(room_id: int, username: str) -> dict[str, Any]:
    return {"typing": room_id, "username": username}


# Replies: what one socket gets for its command ---------------------------------------


def join_reply(room_id: int, title: str, seq: int) -> dict[str, Any]:
    """Joined; the history follows, after which the client stands at the room's `seq`
    (a replay skips the seqs of superseded states: that is not a gap)."""
    return {"join": room_id, "title": title, "seq": seq}


def resync_reply(room_id: int) -> dict[str, Any]:
    """More was missed than a resume replays: the page drops its messages of the room."""
    return {"resync": room_id}


def leave_reply(room_id: int) -> dict[str, Any]:
    return {"leave": room_id}


def read_event(room_id: int, seq: int, unread: int, mentions: int) -> dict[str, Any]:
    """The user's read position in a room moved (on this device or another): it stands at
    `seq`, with `unread` messages by others after it, `mentions` of them naming the user."""
    return {"read": room_id, "seq": seq, "unread": unread, "mentions": mentions}


def ack_reply(client_id: str, room_id: int, seq: int) -> dict[str, Any]:
    """A send is stored as `seq`; a send without a client_id is acked with null."""
    return {"ack": client_id or None, "room": room_id, "seq": seq}


def error_reply(code: str, **extra: Any) -> dict[str, Any]:
    """A refusal (rooms.errors); `extra` is the room and client_id it concerns, if any."""
    return {"error": code, **extra}


# Encoding and carrying -------------------------------------------------------------


def encode(event: dict[str, Any]) -> str:
    """A client frame as JSON text. Not ASCII-escaped: an emoji is 4 bytes of UTF-8 on
    the wire, not 12 of `\\ud83d\\ude00` (stored text is valid UTF-8 by construction)."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


def room_broadcast(
    event: dict[str, Any], before: tuple[str | None, list[str]] | None = None
) -> dict[str, Any]:
    """The layer event that carries a message or notice to a room's sockets, encoded
    once; its seq (None for notices) lets each socket deliver in order, and `change`
    marks an edit, a reaction change or a deletion (rooms.delivery.Live.ADVANCE).

    A stored message's event also carries its `tally`: what the sockets that count
    the room's unread messages without showing it need (rooms/watching.py), so that none
    of them decodes the frame: its id, author and the members it names now (None once
    deleted), and `before` (an edit's or deletion's: author and names as they were)."""
    carried = {
        "type": ROOM_EVENT,
        "room": event["room"],
        "seq": event.get("seq"),
        "text": encode(event),
    }
    number = event.get("id")
    if number is None:
        return carried  # a notice: counts nothing
    if number != event.get("seq"):
        carried["change"] = True  # of a message sent before: not for every client
    deleted = bool(event.get("deleted"))
    tally: dict[str, Any] = {
        "id": number,
        "by": before[0] if before else event.get("username"),
        "now": None if deleted else event.get("mentions", []),
    }
    if before is not None:
        tally["was"] = before[1]
    elif not carried.get("change") and says_here(event.get("message") or ""):
        tally["here"] = True
    carried["tally"] = tally
    return carried


def live_broadcast(
    room_id: int, event: dict[str, Any], *, not_to_user: int | None = None
) -> dict[str, Any]:
    """The layer event that carries a live-only event (presence, typing) to a room's
    sockets: no seq, never replayed; with `not_to_user`, not to that user's sockets."""
    carried: dict[str, Any] = {"type": ROOM_EVENT, "room": room_id, "text": encode(event)}
    if not_to_user is not None:
        carried["not_to_user"] = not_to_user
    return carried
