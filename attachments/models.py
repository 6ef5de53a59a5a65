"""An uploaded file: waiting to be sent (no message yet) or part of a message.

Uploaded first (attachments/views.py), then linked to the message that carries it in
the transaction that stores that message (rooms.posting.post_message). Served only
through attachments/views.py, which checks access on every request; stored under a
random name, never the user's (a name is data to show, not a path). Deleting a row
deletes its files once the deletion commits (attachments/signals.py): a message's
deletion, its room's, the cleanup of unsent uploads, the admin.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from .sizes import IMAGE_NAMES


def stored_name(extension: str, folder: str = "files") -> str:
    """A fresh random name under two levels of folders (no folder of a local store grows
    past a few thousand entries): files/3f/a2/3fa2…c1.png. The extension is the type's."""
    token = secrets.token_hex(16)
    return f"{folder}/{token[:2]}/{token[2:4]}/{token}.{extension}"


def random_upload_name(instance: Attachment, filename: str) -> str:
    # Uploads are saved with a name made by stored_name(); this only guards a FieldFile
    # saved another way from ever keeping a user's name.
    return stored_name(filename.rpartition(".")[2][:8] or "bin")


class Attachment(models.Model):
    uploader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,  # sent files stay with their messages, as the text does
        null=True,
        related_name="chat_attachments",
    )
    room = models.ForeignKey("rooms.Room", on_delete=models.CASCADE, related_name="attachments")
    # Empty until a send carries it; then part of that message for good.
    message = models.ForeignKey(
        "rooms.Message",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="attachments",
    )
    file = models.FileField(upload_to=random_upload_name, max_length=200)
    # Images larger than the thumbnail box; a smaller image is its own thumbnail.
    thumbnail = models.FileField(
        upload_to=random_upload_name, max_length=200, null=True, blank=True
    )
    # The user's name for it, cleaned (attachments.content.clean_name): shown, downloaded.
    name = models.CharField(max_length=255)
    # Read from the content (attachments.content.sniff).
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    # Images: the stored image's, after orientation.
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["pk"]
        indexes = [
            # The cleanup's question: which uploads were never sent, oldest first.
            models.Index(
                fields=["created"],
                condition=models.Q(message__isnull=True),
                name="attachment_unsent_by_age",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        """Shown inline as an image (only the raster types that were cleaned)."""
        return self.content_type in IMAGE_NAMES

    def stored_files(self) -> list[str]:
        """The names of its files in the storage."""
        return [f.name for f in (self.file, self.thumbnail) if f and f.name]
