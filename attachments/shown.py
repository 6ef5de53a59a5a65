"""What a message shows of its attachments: in its stored HTML (rooms.events.
render_message, templates/attachments/files.html) and in its event for API clients
(rooms.events.message_event).

Most messages have none, and finding that out must cost no query on a send, an edit or a
reaction (python -m bench.changes). So a message knows, before any query, whether it
may have some:

- a send is given its attachments (rooms.posting.post_message: `remember`);
- a change learns it in the statement that takes its seq (rooms.posting.take_change_seq:
  `note_has_attachments`);
- a message read whole (history, replies, older pages) has its stored HTML, which holds
  MARKER exactly when it shows attachments.

Only then are its attachments read, once per message object.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from rooms.models import Message

from .models import Attachment
from .sizes import human_size, thumbnail_size, type_label

# Where the stored HTML of a message lists its files (templates/attachments/files.html).
# Message text can never produce it: its rendering escapes every "<" and '"' typed.
MARKER = '<ul class="msg-files"'
_KNOWN = "_chat_attachments"  # the message's attachments, once known
_HAS = "_chat_has_attachments"  # whether it has any, as its change's seq statement said


def remember(message: Message, attachments: list[Attachment]) -> None:
    """The attachments a message being stored carries (none: an empty list)."""
    setattr(message, _KNOWN, attachments)


def note_has_attachments(message: Message, has: bool) -> None:
    setattr(message, _HAS, has)
    if not has:
        setattr(message, _KNOWN, [])


def attachments_of(message: Message) -> list[Attachment]:
    """The message's attachments, in upload order: read only if it may have some."""
    known = message.__dict__.get(_KNOWN)
    if known is not None:
        return known
    prefetched = getattr(message, "_prefetched_objects_cache", {}).get("attachments")
    if prefetched is not None:
        found = sorted(prefetched, key=lambda a: a.pk)
    elif not may_have_attachments(message):
        found = []
    else:
        found = list(Attachment.objects.filter(message_id=message.pk).order_by("pk"))
    remember(message, found)
    return found


def may_have_attachments(message: Message) -> bool:
    """Whether the message may have attachments, known without a query (True when only
    a query can tell)."""
    if message.pk is None:
        return False
    known = message.__dict__.get(_KNOWN)
    if known is not None:
        return bool(known)
    told = message.__dict__.get(_HAS)
    if told is not None:
        return told
    if "html" in message.get_deferred_fields():
        return True  # read without its HTML, outside a change: only a query can tell
    return MARKER in message.html


def file_url(attachment: Attachment) -> str:
    return reverse("attachments:file", args=[attachment.pk, attachment.name])


def thumbnail_url(attachment: Attachment) -> str | None:
    """What a message shows of an image: its thumbnail, or itself if it is that small."""
    if not attachment.is_image:
        return None
    if attachment.thumbnail:
        return reverse("attachments:thumbnail", args=[attachment.pk])
    return file_url(attachment)


def describe(attachment: Attachment) -> dict[str, Any]:
    """An attachment as the upload's answer and message events give it."""
    return {
        "id": attachment.pk,
        "name": attachment.name,
        "size": attachment.size,
        "content_type": attachment.content_type,
        "image": attachment.is_image,
        "width": attachment.width,
        "height": attachment.height,
        "url": file_url(attachment),
        "thumbnail_url": thumbnail_url(attachment),
    }


def event_attachments(message: Message) -> list[dict[str, Any]]:
    return [describe(attachment) for attachment in attachments_of(message)]


def html_context(message: Message) -> list[dict[str, Any]]:
    """What templates/attachments/files.html shows of each attachment."""
    shown = []
    for attachment in attachments_of(message):
        entry = describe(attachment)
        entry["size_text"] = human_size(attachment.size)
        entry["type_text"] = type_label(attachment.content_type)
        if attachment.is_image and attachment.width and attachment.height:
            entry["shown_width"], entry["shown_height"] = thumbnail_size(
                attachment.width, attachment.height
            )
        shown.append(entry)
    return shown


def load_attachments(messages: list[Message]) -> list[Message]:
    """Read the attachments of a page of messages in one query (none if no message of
    the page may have any), so their events cost no query each."""
    maybe = [m for m in messages if m.__dict__.get(_KNOWN) is None and may_have_attachments(m)]
    if maybe:
        found: dict[int, list[Attachment]] = {m.pk: [] for m in maybe}
        for attachment in Attachment.objects.filter(message_id__in=list(found)).order_by("pk"):
            found[attachment.message_id].append(attachment)
        for message in maybe:
            remember(message, found[message.pk])
    return messages
