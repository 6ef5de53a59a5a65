"""What every command frame of a client is checked for: its size, its id fields, and
the client_id that answers echo.

Clients differ (this site's page, the multichat document's client, anything
hand-written), so an id is taken only in the forms the protocol allows; any
other value is refused as BAD_REQUEST.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from .errors import BAD_REQUEST, TOO_MANY_FILES, ChatError
from .models import MAX_ID

# A client_id is the page's idempotency key of a send, stored with the message.
MAX_CLIENT_ID_LENGTH = 64


def max_frame_length() -> int:
    """The longest frame a valid command can need: the message with every character
    JSON-escaped (12 characters for one beyond the BMP, an emoji: a surrogate pair of
    `\\uXXXX`), plus room for the other fields and a send's attachment ids (at most 19
    digits and a comma each)."""
    attachments = settings.CHAT_MAX_ATTACHMENTS_PER_MESSAGE * 20
    return settings.CHAT_MAX_MESSAGE_LENGTH * 12 + 512 + attachments


def echoed_client_id(content: Any) -> dict[str, Any]:
    """The frame's client_id (cut to size) for the answer, so the page can match it."""
    if isinstance(content, dict) and isinstance(content.get("client_id"), str):
        return {"client_id": content["client_id"][:MAX_CLIENT_ID_LENGTH]}
    return {}


def id_value(value: Any) -> int | None:
    """A room id, seq or message id as clients send it: a JSON integer, or a string of
    decimal digits (the multichat document's client reads ids from `data-room-id`
    attributes and sends them as strings); None for anything else (bools, floats,
    "1.0", " 1", Arabic-Indic digits).
    """
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_ID:
        return None
    return value


def int_field(
    content: dict[str, Any], name: str, *, required: bool = True, room: int | None = None
) -> int | None:
    """An id field of a client frame (see id_value); replies carry it as an integer. A bad
    one is BAD_REQUEST, naming `room` when the frame's room is already known."""
    value = content.get(name)
    if value is None and not required:
        return None
    parsed = id_value(value)
    if parsed is None:
        raise ChatError(BAD_REQUEST, room)
    return parsed


def client_id_field(content: dict[str, Any], room_id: int) -> str:
    """The frame's client_id ("" if none): a string of at most 64 storable characters."""
    client_id = content.get("client_id", "")
    if not isinstance(client_id, str) or len(client_id) > MAX_CLIENT_ID_LENGTH:
        raise ChatError(BAD_REQUEST, room_id)
    if "\x00" in client_id or not _encodable(client_id):
        raise ChatError(BAD_REQUEST, room_id)
    return client_id


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def id_list_field(content: dict[str, Any], name: str, room_id: int, limit: int) -> tuple[int, ...]:
    """A list of ids (a send's `attachments`), each as id_value takes it, in order and
    each once; () if absent. Not a list, or a bad id: BAD_REQUEST; more than `limit`
    distinct ids: TOO_MANY_FILES."""
    value = content.get(name)
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ChatError(BAD_REQUEST, room_id)
    ids: dict[int, None] = {}
    for item in value:
        parsed = id_value(item)
        if parsed is None:
            raise ChatError(BAD_REQUEST, room_id)
        ids[parsed] = None
    if len(ids) > limit:
        raise ChatError(TOO_MANY_FILES, room_id)
    return tuple(ids)
