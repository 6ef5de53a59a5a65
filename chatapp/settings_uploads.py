"""Settings of file attachments (attachments/): where files are stored and what may be
uploaded. Taken into chatapp/settings.py; every variable is in the README's table.

Local files under MEDIA_ROOT by default. With AWS_STORAGE_BUCKET_NAME set, any
S3-compatible store through django-storages (AWS_S3_ENDPOINT_URL for one that is not
Amazon's, credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the
environment's usual chain). Files are never served from the store's own URLs: the
serving view checks access to the room on every request (attachments/views.py).
"""

from __future__ import annotations

from chatapp.env import BASE_DIR, env_int, env_list, env_str

MEDIA_ROOT = env_str("MEDIA_ROOT") or BASE_DIR / "media"

AWS_STORAGE_BUCKET_NAME = env_str("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = env_str("AWS_S3_ENDPOINT_URL") or None
    AWS_S3_REGION_NAME = env_str("AWS_S3_REGION_NAME") or None
    AWS_LOCATION = env_str("AWS_LOCATION", "attachments")
    AWS_DEFAULT_ACL = None  # the bucket's own policy; files are private by default
    AWS_QUERYSTRING_AUTH = True
    AWS_S3_FILE_OVERWRITE = False
    # A file read for serving is spooled to a temporary file past 1 MiB, not held in
    # memory whole (django-storages' default, 0, never spills).
    AWS_S3_MAX_MEMORY_SIZE = 1024 * 1024
    UPLOAD_STORAGE = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    UPLOAD_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}

# The largest file one upload may carry, in bytes.
CHAT_MAX_UPLOAD_BYTES = env_int("CHAT_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)
# Uploads per user a minute, across tabs (0 turns the limit off).
CHAT_MAX_UPLOADS_PER_MINUTE = env_int("CHAT_MAX_UPLOADS_PER_MINUTE", 20)
# What may be uploaded: MIME types as the content says (never the name or the browser).
# text/plain is any valid UTF-8 without NUL. Only PNG, JPEG, GIF and WebP are shown as
# images (cleaned of their metadata, with a thumbnail); any other type listed here is
# stored as sent and always downloaded.
CHAT_UPLOAD_TYPES = env_list(
    "CHAT_UPLOAD_TYPES",
    [
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "application/pdf",
        "application/zip",
        "text/plain",
    ],
)
# Larger images are refused before they are decoded (a small file can unpack into
# gigabytes of pixels); for an animation, its frames' pixels together.
CHAT_MAX_IMAGE_PIXELS = env_int("CHAT_MAX_IMAGE_PIXELS", 50_000_000)
# Files one message may carry.
CHAT_MAX_ATTACHMENTS_PER_MESSAGE = env_int("CHAT_MAX_ATTACHMENTS_PER_MESSAGE", 10)
# Uploads never sent are deleted after this many hours by
# `manage.py delete_unsent_attachments` (docs/attachments.md says how to schedule it).
CHAT_UNSENT_ATTACHMENT_HOURS = env_int("CHAT_UNSENT_ATTACHMENT_HOURS", 24)
# Uploads one user may have waiting to be sent at once (drafts are kept a day).
CHAT_MAX_UNSENT_UPLOADS = env_int("CHAT_MAX_UNSENT_UPLOADS", 50)
# Stored files are for the site's process alone, not every user of the host.
FILE_UPLOAD_PERMISSIONS = 0o640
