"""A deleted Attachment row takes its stored files with it, whatever deleted it (a
message's deletion, its room's, the cleanup command, the admin, a shell): after the
deletion commits, so a rolled-back deletion leaves both the row and its files."""

from __future__ import annotations

import logging
from functools import partial

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import Attachment

logger = logging.getLogger(__name__)


def delete_stored(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:
            # The row is gone: nothing serves the file any more. Leftovers are logged
            # for whoever keeps the store tidy.
            logger.exception("could not delete stored file %s", name)


@receiver(post_delete, sender=Attachment, dispatch_uid="attachments.delete_files")
def delete_files_of_deleted_row(sender, instance: Attachment, using: str, **kwargs) -> None:
    names = instance.stored_files()
    if names:
        transaction.on_commit(partial(delete_stored, names), using=using)
