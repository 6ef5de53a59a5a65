"""The database work of attachments, shared by the views, the socket's send
(rooms.posting), a message's deletion (rooms.changes) and the cleanup command.
Synchronous ORM work: the consumer reaches it through database_sync_to_async."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from functools import cache

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone

from rooms.errors import FILE_INVALID, FILE_TOO_LARGE, RATE_LIMITED, TOO_MANY_FILES, ChatError
from rooms.models import Message, Room

from .content import clean_name, sniff
from .images import clean_image
from .models import Attachment, stored_name
from .shown import may_have_attachments
from .signals import delete_stored
from .sizes import IMAGE_NAMES

# Unsent uploads are deleted this many at a time (one short transaction each).
CLEANUP_BATCH = 500


# Uploading ---------------------------------------------------------------------------


def store_upload(user: AbstractBaseUser, room: Room, upload: UploadedFile) -> Attachment:
    """Check an uploaded file (size, type from the content; images cleaned and given a
    thumbnail: attachments/images.py), store it under a random name and record it as the
    user's upload to the room, waiting to be sent. The room is checked by the caller."""
    if upload.size is None or upload.size > settings.CHAT_MAX_UPLOAD_BYTES:
        raise ChatError(FILE_TOO_LARGE)
    # Drafts are kept a day: without a cap, one account could fill the disk with them.
    waiting = Attachment.objects.filter(uploader=user, message__isnull=True)
    if waiting.count() >= settings.CHAT_MAX_UNSENT_UPLOADS:
        raise ChatError(RATE_LIMITED)
    sniffed = sniff(upload)
    attachment = Attachment(
        uploader=user,
        room=room,
        name=clean_name(upload.name or "", sniffed),
        content_type=sniffed.content_type,
        size=upload.size,
    )
    content: UploadedFile | ContentFile = upload
    thumbnail = None
    if sniffed.content_type in IMAGE_NAMES:
        image = clean_image(upload, sniffed.content_type)
        attachment.width, attachment.height = image.width, image.height
        if image.data is not None:
            content = ContentFile(image.data)
            attachment.size = len(image.data)
        if image.thumbnail is not None:
            thumbnail = (image.thumbnail, image.thumbnail_extension)
    saved: list[str] = []
    try:
        upload.seek(0)
        attachment.file.name = default_storage.save(stored_name(sniffed.extension), content)
        saved.append(attachment.file.name)
        if thumbnail is not None:
            name = stored_name(thumbnail[1], folder="thumbnails")
            attachment.thumbnail.name = default_storage.save(name, ContentFile(thumbnail[0]))
            saved.append(attachment.thumbnail.name)
        attachment.save()
    except BaseException:
        delete_stored(saved)  # no row points at them
        raise
    return attachment


# Sending -----------------------------------------------------------------------------


def claim_attachments(
    author: AbstractBaseUser | AnonymousUser | None, room: Room, ids: Sequence[int]
) -> list[Attachment]:
    """The uploads a send carries, in upload order: every id must be the author's upload
    to this room, not sent yet (else FILE_INVALID). Inside the send's transaction."""
    wanted = set(ids)
    if len(wanted) > settings.CHAT_MAX_ATTACHMENTS_PER_MESSAGE:  # the API's, the socket's
        raise ChatError(TOO_MANY_FILES, room.pk)
    if author is None or not author.is_authenticated:
        raise ChatError(FILE_INVALID, room.pk)
    found = list(
        Attachment.objects.filter(
            pk__in=wanted, uploader=author, room=room, message__isnull=True
        ).order_by("pk")
    )
    if len(found) != len(wanted):
        raise ChatError(FILE_INVALID, room.pk)
    return found


def link_attachments(message: Message, attachments: list[Attachment]) -> None:
    """Make the claimed uploads part of the stored message, unless another send (or the
    cleanup) took one meanwhile: then FILE_INVALID, and the send's transaction rolls back."""
    linked = Attachment.objects.filter(
        pk__in=[a.pk for a in attachments], message__isnull=True
    ).update(message=message)
    if linked != len(attachments):
        raise ChatError(FILE_INVALID, message.room_id)
    for attachment in attachments:
        attachment.message = message


@cache
def has_attachments_sql() -> str:
    """An SQL expression, with the message id as its one parameter: whether that message
    has attachments (rooms.posting.take_change_seq puts it in the seq statement)."""
    qn = connection.ops.quote_name
    table = qn(Attachment._meta.db_table)
    column = qn(Attachment._meta.get_field("message").column)
    return f"EXISTS (SELECT 1 FROM {table} WHERE {column} = %s)"  # noqa: S608 (the model's names)


def has_attachments(message_id: int) -> bool:
    return Attachment.objects.filter(message_id=message_id).exists()


# Deleting ----------------------------------------------------------------------------


def drop_attachments(message: Message) -> None:
    """A message is being deleted: its attachments go with its text, in the same
    transaction; their files once it commits (attachments/signals.py). No query for a
    message known to have none."""
    if may_have_attachments(message):
        Attachment.objects.filter(message_id=message.pk).delete()


def delete_unsent(older_than: timedelta | None = None) -> int:
    """Delete the uploads never sent that are older than `older_than` (by default
    CHAT_UNSENT_ATTACHMENT_HOURS), with their files; how many."""
    if older_than is None:
        older_than = timedelta(hours=settings.CHAT_UNSENT_ATTACHMENT_HOURS)
    cutoff = timezone.now() - older_than
    deleted = 0
    while True:
        with transaction.atomic():
            # Locked, so a send cannot link one of them between this read and the
            # deletion (its link then finds it gone: FILE_INVALID).
            batch = list(
                Attachment.objects.select_for_update()
                .filter(message__isnull=True, created__lt=cutoff)
                .order_by("created")
                .values_list("pk", flat=True)[:CLEANUP_BATCH]
            )
            if not batch:
                return deleted
            _, per_model = Attachment.objects.filter(pk__in=batch).delete()
            deleted += per_model.get(Attachment._meta.label, 0)


# Serving -----------------------------------------------------------------------------


def attachment_for(user: AbstractBaseUser | AnonymousUser, attachment_id: int) -> Attachment | None:
    """The attachment, if `user` may see it now: its room visible to them
    (rooms.models.may_see_room), and its message sent and not deleted; an upload not
    sent yet, only to its uploader. None otherwise, whatever the reason (a private
    room's file is no more confirmed to exist than the room)."""
    if not user.is_authenticated:
        return None
    attachment = (
        Attachment.objects.select_related("room", "message")
        .only(
            *("file", "thumbnail", "name", "content_type", "size", "uploader_id", "created"),
            *("room__kind", "room__staff_only", "room__archived", "message__deleted"),
        )
        .filter(pk=attachment_id)
        .first()
    )
    if attachment is None:
        return None
    if attachment.message_id is None:
        if attachment.uploader_id != user.pk:
            return None
    elif attachment.message.deleted is not None:
        return None
    if not attachment.room.is_visible_to(user):
        return None
    return attachment
