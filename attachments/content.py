"""What an uploaded file is: its type read from its content (never from its name or
what the browser says), and the name it is shown and downloaded under.

The type: the file's magic bytes (filetype), or else text/plain for valid UTF-8 without
NUL; then it must be one of CHAT_UPLOAD_TYPES. HTML, SVG and scripts have no magic
bytes: they are text, stored and served as text/plain, and always downloaded.

The name is the user's, cleaned for display and download: no folders, no control or
direction-changing characters, at most MAX_NAME_LENGTH characters. Its extension is made
to fit the type, so that the file opens as what it is once downloaded: "cat.txt" that is
a PNG becomes "cat.txt.png", "page.html" (text) becomes "page.html.txt". The stored file
has a random name of its own (attachments.models.stored_name).
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass
from typing import IO

import filetype
from django.conf import settings

from rooms.errors import FILE_INVALID, FILE_TYPE_REFUSED, ChatError

TEXT = "text/plain"
# Another name for a type filetype tells apart: an animated PNG is a PNG.
SAME_TYPE = {"image/apng": "image/png"}
# The extensions a file of a type may keep; anything else gets the first one added.
EXTENSIONS = {
    "image/png": ("png",),
    "image/jpeg": ("jpg", "jpeg", "jpe", "jfif"),
    "image/gif": ("gif",),
    "image/webp": ("webp",),
    "application/pdf": ("pdf",),
    "application/zip": ("zip",),
    # Text that nothing runs or renders when opened from a download folder.
    TEXT: (
        *("txt", "text", "md", "markdown", "csv", "tsv", "log", "json", "yaml", "yml"),
        *("toml", "ini", "cfg", "conf", "diff", "patch"),
    ),
}
MAX_NAME_LENGTH = 200
# Format characters a name keeps: the joiners of emoji sequences and of Persian script.
JOINERS = {"\u200c", "\u200d"}
# filetype reads no further than this.
HEAD_BYTES = 8192


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    extension: str  # of the stored file: the type's own, never the user's


def sniff(file: IO[bytes]) -> Sniffed:
    """The file's type from its content, if uploads of it are allowed: FILE_TYPE_REFUSED
    if not, FILE_INVALID for an empty file. Leaves the file at its start."""
    file.seek(0)
    head = file.read(HEAD_BYTES)
    file.seek(0)
    if not head:
        raise ChatError(FILE_INVALID)
    kind = filetype.guess(head)
    if kind is not None:
        content_type = SAME_TYPE.get(kind.mime, kind.mime)
        extension = EXTENSIONS.get(content_type, (kind.extension,))[0]
    elif is_text(file):
        content_type, extension = TEXT, "txt"
    else:
        raise ChatError(FILE_TYPE_REFUSED)
    if content_type not in settings.CHAT_UPLOAD_TYPES:
        raise ChatError(FILE_TYPE_REFUSED)
    return Sniffed(content_type, extension)


def is_text(file: IO[bytes]) -> bool:
    """Valid UTF-8 without NUL, read a chunk at a time (a character may span two)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    file.seek(0)
    try:
        while chunk := file.read(64 * 1024):
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        file.seek(0)
    return True


def clean_name(raw: str, sniffed: Sniffed) -> str:
    """The name to show and download the file under (see the module's docstring)."""
    name = unicodedata.normalize("NFC", raw.replace("\\", "/").rpartition("/")[2])
    # Control, format (bidi overrides: "gpj.exe"), private-use and unassigned characters.
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C" or c in JOINERS)
    name = " ".join(name.split()).strip(" .")
    stem, dot, extension = name.rpartition(".")
    allowed = EXTENSIONS.get(sniffed.content_type, (sniffed.extension,))
    if not dot or not stem:
        stem, extension = name, ""
    if extension.lower() not in allowed:
        stem, extension = name or "file", sniffed.extension
    room = MAX_NAME_LENGTH - len(extension) - 1
    return f"{stem[:room].rstrip(' .') or 'file'}.{extension}"
