"""Images as they are stored and shown: checked, turned upright, stripped of metadata,
and a thumbnail made.

Pillow opens each image (reading only its header first), so that a file that only looks
like an image is refused, and one that would unpack into too many pixels (a
decompression bomb: a few KB of PNG can hold gigabytes of pixels) is refused before a
pixel is decoded. JPEG, PNG and WebP are saved again, turned as their EXIF orientation
says, without EXIF, XMP, comments or text chunks (so no GPS position, camera serial or
editing history leaves the sender's device); the ICC colour profile stays, as it only
says how to show the colours. GIF is kept byte for byte: the format has no EXIF, and
saving it again would degrade its palette and animation (comment and XMP blocks a GIF
may carry stay; see docs/attachments.md).

The thumbnail fits attachments.sizes.THUMBNAIL_BOX, keeping the aspect ratio; an image
that fits already is its own thumbnail (none is stored). Its size is thumbnail_size(width,
height), so the message's HTML knows it without a query or a file read.
"""

from __future__ import annotations

import io
import logging
import threading
import warnings
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from PIL import Image

from rooms.errors import FILE_INVALID, IMAGE_TOO_LARGE, ChatError

from .sizes import thumbnail_size

# Pillow's name of each type we clean, and the options it is saved again with.
FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}
# What of an image's `info` is part of the picture, not metadata about it.
PICTURE_INFO = ("transparency", "duration", "loop", "background", "disposal", "blend")
JPEG_QUALITY = 90
ORIENTATION = 0x0112  # the EXIF tag
# EXIF orientations and the turn that makes each upright (1: upright already).
TURNS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CleanImage:
    data: bytes | None  # the image to store; None: the upload as it is (a GIF)
    width: int
    height: int
    thumbnail: bytes | None  # None: the image fits the thumbnail box itself
    thumbnail_extension: str


# One image decoded at a time per process: decoding takes up to a few times the image's
# pixels in memory (hundreds of MB at CHAT_MAX_IMAGE_PIXELS) and seconds of CPU for a
# long animation, so uploads at once queue here instead of exhausting the server.
DECODING = threading.BoundedSemaphore(1)


def clean_image(file: IO[bytes], content_type: str) -> CleanImage:
    """The image to store and its thumbnail (see the module's docstring), or FILE_INVALID
    (not a readable image of that type), IMAGE_TOO_LARGE (too many pixels)."""
    file.seek(0)
    try:
        with DECODING, warnings.catch_warnings():
            # Our own pixel limit below is the guard; Pillow's would only warn first.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            # A multi-picture JPEG (MPO: phones' depth and HDR photos) is read as a JPEG.
            formats = [FORMATS[content_type], *(["MPO"] if content_type == "image/jpeg" else [])]
            with Image.open(file, formats=formats) as image:
                return _clean(image, content_type)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ChatError(IMAGE_TOO_LARGE) from None
    except ChatError:
        raise
    except Exception:
        # A truncated or malformed image: Pillow says so in many ways (OSError,
        # ValueError, SyntaxError, EOFError, and a TypeError or KeyError from a broken
        # EXIF block): none of them is a server error.
        logger.info("an image upload could not be read", exc_info=True)
        raise ChatError(FILE_INVALID) from None
    finally:
        file.seek(0)


def _clean(image: Image.Image, content_type: str) -> CleanImage:
    # An MPO's further pictures (depth maps, gain maps) are not the photo: its first is.
    frames = 1 if image.format == "MPO" else getattr(image, "n_frames", 1)
    if image.width * image.height * frames > settings.CHAT_MAX_IMAGE_PIXELS:
        raise ChatError(IMAGE_TOO_LARGE)
    image.load()  # decodes the first frame: a broken file fails here
    if content_type == "image/gif":
        stored, data = image, None  # kept as uploaded
    elif image.format == "MPO":
        stored = _upright(image)
        data = _save(stored, content_type)
    elif frames > 1:
        # An animated PNG or WebP: every frame saved again, none turned (cameras do not
        # make animations, so they carry no orientation worth a re-encode of each).
        stored, data = image, _save(image, content_type, save_all=True)
    else:
        stored = _upright(image)
        data = _save(stored, content_type)
    width, height = stored.size
    thumb, extension = _thumbnail(stored, width, height)
    return CleanImage(data, width, height, thumb, extension)


def _upright(image: Image.Image) -> Image.Image:
    """The picture turned as its EXIF orientation says; as it is when it says nothing
    (no copy), or when the EXIF block is too broken to read."""
    try:
        orientation = image.getexif().get(ORIENTATION, 1)
    except Exception:  # a malformed EXIF block: the pixels are still the picture
        orientation = 1
    turn = TURNS.get(orientation)
    return image.transpose(turn) if turn is not None else image


def _save(image: Image.Image, content_type: str, *, save_all: bool = False) -> bytes:
    """The image encoded again with nothing but its pixels, colour profile and timing."""
    icc_profile = image.info.get("icc_profile")
    image.info = {key: value for key, value in image.info.items() if key in PICTURE_INFO}
    options: dict = {"icc_profile": icc_profile} if icc_profile else {}
    if content_type == "image/jpeg":
        options |= {"quality": JPEG_QUALITY, "optimize": True}
    elif content_type == "image/webp":
        options["quality"] = JPEG_QUALITY  # lossy, as a photo's WebP is
    if save_all:
        options["save_all"] = True
    out = io.BytesIO()
    image.save(out, format=FORMATS[content_type], **options)
    return out.getvalue()


def _thumbnail(image: Image.Image, width: int, height: int) -> tuple[bytes | None, str]:
    size = thumbnail_size(width, height)
    if size == (width, height):
        return None, ""
    small = image.convert("RGBA" if _has_alpha(image) else "RGB")
    small = small.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    out = io.BytesIO()
    if small.mode == "RGBA":
        small.save(out, format="PNG", optimize=True)
        return out.getvalue(), "png"
    small.save(out, format="JPEG", quality=85, optimize=True)
    return out.getvalue(), "jpg"


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
