"""Uploading a file to a room, and serving files: the only way to a stored file.

POST /rooms/<room_id>/attachments/ (multipart, one `file`): the logged-in user's
upload to a room they may post in, answered with the attachment as JSON (201), or
`{"error": CODE}` (rooms/errors.py) with the status in ERROR_STATUS. The file waits
there, seen only by its uploader, until a send carries it (rooms.posting).

GET /files/<id>/<name> and /files/<id>/thumbnail: checked on every request
(attachments.services.attachment_for), else 404; served by attachments/serving.py.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST, require_safe

from chatapp.ratelimit import within_rate
from rooms.access import get_room_for
from rooms.errors import (
    BAD_REQUEST,
    FILE_INVALID,
    FILE_TOO_LARGE,
    FILE_TYPE_REFUSED,
    IMAGE_TOO_LARGE,
    RATE_LIMITED,
    ROOM_ACCESS_DENIED,
    ROOM_INVALID,
    USER_HAS_TO_LOGIN,
    ChatError,
)

from .services import attachment_for, store_upload
from .serving import file_response
from .shown import describe

ERROR_STATUS = {
    BAD_REQUEST: 400,
    FILE_INVALID: 400,
    USER_HAS_TO_LOGIN: 403,
    ROOM_ACCESS_DENIED: 403,
    ROOM_INVALID: 404,
    FILE_TOO_LARGE: 413,
    IMAGE_TOO_LARGE: 413,
    FILE_TYPE_REFUSED: 415,
    RATE_LIMITED: 429,
}
# What a multipart body holds beside the file itself (boundaries, part headers, the
# name): a Content-Length over the limit by more than this cannot carry a file within it.
MULTIPART_ALLOWANCE = 64 * 1024


def refused(code: str) -> JsonResponse:
    return JsonResponse({"error": code}, status=ERROR_STATUS.get(code, 400))


@csrf_exempt  # checked below, once the cheap refusals are out of the way
@require_POST
def upload(request: HttpRequest, room_id: int) -> HttpResponse:
    """Refuse what can be refused before the body is parsed: no login, too large by its
    Content-Length, over the rate, a room the user may not post in. (Under ASGI the
    server has received the body already; a proxy's body limit stops it sooner:
    docs/attachments.md.)"""
    if not request.user.is_authenticated:
        return refused(USER_HAS_TO_LOGIN)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return refused(BAD_REQUEST)
    if length > settings.CHAT_MAX_UPLOAD_BYTES + MULTIPART_ALLOWANCE:
        return refused(FILE_TOO_LARGE)
    if not within_rate(f"chat-upload:{request.user.pk}", settings.CHAT_MAX_UPLOADS_PER_MINUTE):
        return refused(RATE_LIMITED)
    try:
        room = get_room_for(request.user, room_id)
    except ChatError as error:
        return refused(error.code)
    return _checked_upload(request, room)


@csrf_protect  # reads the body: the multipart form is parsed here
def _checked_upload(request: HttpRequest, room) -> HttpResponse:
    files = request.FILES.getlist("file")
    if len(files) != 1:
        return refused(BAD_REQUEST)
    try:
        attachment = store_upload(request.user, room, files[0])
    except ChatError as error:
        return refused(error.code)
    return JsonResponse(describe(attachment), status=201)


@require_safe
def serve_file(request: HttpRequest, attachment_id: int, name: str) -> HttpResponse:
    """The file itself. Its name in the URL is for people and "save as"; the id decides."""
    attachment = attachment_for(request.user, attachment_id)
    if attachment is None:
        raise Http404("No such file")
    return file_response(
        request,
        attachment.file.name,
        content_type=attachment.content_type,
        filename=attachment.name,
        etag=f'"f{attachment.pk}"',
        size=attachment.size,
    )


@require_safe
def serve_thumbnail(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """An image's thumbnail (an image small enough is its own, at its file's URL)."""
    attachment = attachment_for(request.user, attachment_id)
    if attachment is None or not attachment.thumbnail:
        raise Http404("No such file")
    extension = attachment.thumbnail.name.rpartition(".")[2]
    return file_response(
        request,
        attachment.thumbnail.name,
        content_type="image/png" if extension == "png" else "image/jpeg",
        filename=f"thumbnail-{attachment.name.rpartition('.')[0] or 'image'}.{extension}",
        etag=f'"t{attachment.pk}"',
    )
