"""How sizes and types of files read to people: "1.2 MB", "PDF". Pure functions, shared
by the message HTML, the error texts (rooms/errors.py) and the admin; the page has the
same size rule in static/js/chat/attachments.js."""

from __future__ import annotations

import filetype

UNITS = ("KB", "MB", "GB", "TB")
# A message shows images at most this large (their thumbnails: attachments/images.py).
THUMBNAIL_BOX = (400, 300)

# The raster types shown as images (cleaned, with a thumbnail), by their short names.
IMAGE_NAMES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WebP"}
# What a message says other files are; any other type says its usual extension ("DOCX").
TYPE_LABELS = {"application/pdf": "PDF", "application/zip": "ZIP archive", "text/plain": "Text"}


def human_size(size: int) -> str:
    """Bytes as people read them, in steps of 1024 (so the 10 MiB limit reads "10 MB"):
    "512 bytes", "1.2 MB", "10 MB" (no ".0")."""
    if size < 1024:
        return "1 byte" if size == 1 else f"{size} bytes"
    value = float(size)
    for unit in UNITS[:-1]:
        value /= 1024
        if round(value, 1) < 1024:
            return f"{_one_decimal(value)} {unit}"
    return f"{_one_decimal(value / 1024)} {UNITS[-1]}"


def megapixels(pixels: int) -> str:
    return f"{_one_decimal(pixels / 1_000_000)} megapixels"


def _one_decimal(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def type_label(content_type: str) -> str:
    """What kind of file it is, in a word or two: "PNG image", "PDF", "DOCX"."""
    if content_type in IMAGE_NAMES:
        return f"{IMAGE_NAMES[content_type]} image"
    if content_type in TYPE_LABELS:
        return TYPE_LABELS[content_type]
    kind = filetype.get_type(mime=content_type)
    if kind is not None:
        return kind.extension.upper()
    return content_type.partition("/")[2].upper() or "File"


def describe_types(content_types: list[str]) -> str:
    """The allowed types in a sentence: "images (PNG, JPEG), PDF, ZIP archives and text
    files" (what FILE_TYPE_REFUSED says, so the refusal names what would do)."""
    images = [IMAGE_NAMES[t] for t in content_types if t in IMAGE_NAMES]
    plural = {"ZIP archive": "ZIP archives", "Text": "text files"}
    others = [type_label(t) for t in content_types if t not in IMAGE_NAMES]
    parts = ([f"images ({', '.join(images)})"] if images else []) + [
        plural.get(label, f"{label} files" if label.isupper() and label != "PDF" else label)
        for label in others
    ]
    if not parts:
        return "nothing"
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def thumbnail_size(width: int, height: int) -> tuple[int, int]:
    """The size an image is shown at in a message: inside THUMBNAIL_BOX, never enlarged.
    Its thumbnail is made at exactly this size, so the HTML knows it without a file read."""
    scale = min(1.0, THUMBNAIL_BOX[0] / width, THUMBNAIL_BOX[1] / height)
    return max(1, round(width * scale)), max(1, round(height * scale))
