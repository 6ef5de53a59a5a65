"""The error codes of the /chat/stream/ protocol, defined once with what the page says.

A refusal reaches the client as `{"error": CODE}` (docs/protocol.md).
The server names the code; the page shows its text and decides, from its
treatment, whether a refused send goes back to the composer, is tried again by
itself, or waits for a Retry click. The lobby gets this table through
`json_script` ("chat-errors"), so the texts and treatments live only here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings

from attachments.sizes import describe_types, human_size, megapixels
from chatapp.websocket import (
    BAD_REQUEST,
    ERROR_TEXTS,
    RATE_LIMITED,
    SERVER_ERROR,
    SERVICE_UNAVAILABLE,
)


class ChatError(Exception):
    """A refusal the client is told about as `{"error": code}`."""

    def __init__(self, code: str, room: int | None = None):
        super().__init__(code)
        self.code = code
        self.room = room


class Treatment(StrEnum):
    """What the page does with a send that was refused with a code."""

    # A retry cannot fix it: the text goes back into the composer to edit.
    FINAL = "final"
    # It passes by itself (the database or Redis is down for a moment): the send
    # stays pending and goes again after a growing delay.
    RETRY_LATER = "retry_later"
    # The message is marked "Not sent" with a Retry button.
    RETRY_BY_HAND = "retry_by_hand"


@dataclass(frozen=True)
class ErrorCode:
    text: str  # what the page shows the user
    treatment: Treatment


# The codes of this app's consumer and services.
USER_HAS_TO_LOGIN = "USER_HAS_TO_LOGIN"
ROOM_INVALID = "ROOM_INVALID"
ROOM_ACCESS_DENIED = "ROOM_ACCESS_DENIED"
UNKNOWN_COMMAND = "UNKNOWN_COMMAND"
MESSAGE_EMPTY = "MESSAGE_EMPTY"
MESSAGE_TOO_LONG = "MESSAGE_TOO_LONG"
# No such message in this room, or it was deleted (for a reply's parent too).
MESSAGE_INVALID = "MESSAGE_INVALID"
# Not yours and you are no moderator, or the edit window is over.
PERMISSION_DENIED = "PERMISSION_DENIED"
# Managing rooms (rooms.ownership, rooms.direct): no active user of that name (who could
# be in the room), or the name is not a member of it.
USER_INVALID = "USER_INVALID"
# Another room has that title (compared case-insensitively), or it is reserved.
ROOM_TITLE_TAKEN = "ROOM_TITLE_TAKEN"
# Attachments (attachments/): an upload over CHAT_MAX_UPLOAD_BYTES, an image over
# CHAT_MAX_IMAGE_PIXELS, a type not in CHAT_UPLOAD_TYPES (read from the content), a file
# that is not what it claims (a broken image, an empty file) or, in a send, an id that is
# not the sender's upload to that room waiting to be sent; more files than one message
# may carry.
FILE_TOO_LARGE = "FILE_TOO_LARGE"
IMAGE_TOO_LARGE = "IMAGE_TOO_LARGE"
FILE_TYPE_REFUSED = "FILE_TYPE_REFUSED"
FILE_INVALID = "FILE_INVALID"
TOO_MANY_FILES = "TOO_MANY_FILES"
# The core's codes (BAD_REQUEST, RATE_LIMITED, SERVER_ERROR, SERVICE_UNAVAILABLE, imported
# above) reach the chat page too, with the core's texts; only their treatment is ours.

ERRORS: dict[str, ErrorCode] = {
    USER_HAS_TO_LOGIN: ErrorCode("Please log in again to chat.", Treatment.RETRY_BY_HAND),
    ROOM_INVALID: ErrorCode("This room does not exist (any more).", Treatment.FINAL),
    ROOM_ACCESS_DENIED: ErrorCode("You do not have access to this room.", Treatment.FINAL),
    BAD_REQUEST: ErrorCode(ERROR_TEXTS[BAD_REQUEST], Treatment.FINAL),
    UNKNOWN_COMMAND: ErrorCode("The server did not understand that.", Treatment.RETRY_BY_HAND),
    MESSAGE_EMPTY: ErrorCode("Write something first.", Treatment.FINAL),
    MESSAGE_TOO_LONG: ErrorCode("That message is too long.", Treatment.FINAL),
    MESSAGE_INVALID: ErrorCode("That message is no longer there.", Treatment.FINAL),
    PERMISSION_DENIED: ErrorCode("You may not change that message.", Treatment.FINAL),
    USER_INVALID: ErrorCode("There is no such user here.", Treatment.FINAL),
    ROOM_TITLE_TAKEN: ErrorCode("Another room has that name already.", Treatment.FINAL),
    # The limits are read once, when this table is made: the page shows the site's own.
    FILE_TOO_LARGE: ErrorCode(
        f"Files can be {human_size(settings.CHAT_MAX_UPLOAD_BYTES)} at most.", Treatment.FINAL
    ),
    IMAGE_TOO_LARGE: ErrorCode(
        f"Images can be {megapixels(settings.CHAT_MAX_IMAGE_PIXELS)} at most.", Treatment.FINAL
    ),
    FILE_TYPE_REFUSED: ErrorCode(
        f"Only {describe_types(settings.CHAT_UPLOAD_TYPES)} can be attached.", Treatment.FINAL
    ),
    FILE_INVALID: ErrorCode(
        "That file could not be used (damaged, or no longer there): attach it again.",
        Treatment.FINAL,
    ),
    TOO_MANY_FILES: ErrorCode(
        f"A message can carry {settings.CHAT_MAX_ATTACHMENTS_PER_MESSAGE} files at most.",
        Treatment.FINAL,
    ),
    RATE_LIMITED: ErrorCode(ERROR_TEXTS[RATE_LIMITED], Treatment.RETRY_BY_HAND),
    SERVER_ERROR: ErrorCode(ERROR_TEXTS[SERVER_ERROR], Treatment.RETRY_BY_HAND),
    SERVICE_UNAVAILABLE: ErrorCode(ERROR_TEXTS[SERVICE_UNAVAILABLE], Treatment.RETRY_LATER),
}


def errors_for_page() -> dict[str, dict[str, str]]:
    """The table as the lobby passes it to the page (`json_script "chat-errors"`):
    `{CODE: {"text": ..., "treatment": "final" | "retry_later" | "retry_by_hand"}}`."""
    return {
        code: {"text": error.text, "treatment": error.treatment.value}
        for code, error in ERRORS.items()
    }
