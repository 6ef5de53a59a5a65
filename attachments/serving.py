"""The response that serves a stored file: streamed from the storage a chunk at a time
(a local file or S3 alike), with headers that keep a file from ever acting as a page
of this site.

- `X-Content-Type-Options: nosniff`, and the type recorded from the content.
- `Content-Security-Policy: default-src 'none'; sandbox`: opened in a tab, a file runs
  nothing and loads nothing, even if a browser took it for HTML.
- Only the raster types that were cleaned (PNG, JPEG, GIF, WebP) are shown inline;
  everything else is `Content-Disposition: attachment`, with its name encoded as RFC
  6266 says (filename*=UTF-8''…).
- `Cache-Control: private, no-cache` and an ETag: browsers keep a copy but ask again
  each time, so access is checked on every request (a 304 costs no file read), and
  no shared cache keeps one.
- `Cross-Origin-Resource-Policy: same-origin`: other sites cannot embed it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import IO

from asgiref.sync import sync_to_async
from django.core.files.storage import default_storage
from django.core.handlers.asgi import ASGIRequest
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header, parse_etags

from .sizes import IMAGE_NAMES

CHUNK = 64 * 1024
FILE_POLICY = "default-src 'none'; sandbox"


def file_response(
    request: HttpRequest,
    stored: str,
    *,
    content_type: str,
    filename: str,
    etag: str,
    size: int | None = None,
) -> HttpResponse:
    """Serve the stored file `stored` (see the module's docstring)."""
    inline = content_type in IMAGE_NAMES
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        response = HttpResponse(status=304)
    else:
        if request.method == "HEAD":  # the headers alone: the file is not opened
            response = HttpResponse(content_type=_with_charset(content_type))
        else:
            response = StreamingHttpResponse(
                _chunks(request, stored), content_type=_with_charset(content_type)
            )
        if size is not None:
            response.headers["Content-Length"] = str(size)
        response.headers["Content-Disposition"] = content_disposition_header(
            as_attachment=not inline, filename=filename
        )
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = FILE_POLICY
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def _chunks(request: HttpRequest, stored: str) -> Iterator[bytes] | AsyncIterator[bytes]:
    try:
        file = default_storage.open(stored, "rb")
    except FileNotFoundError:
        raise Http404("No such file") from None
    # Under ASGI an async iterator, so the server sends each chunk as it is read (a sync
    # one would be read whole first); under WSGI (the tests' client) a plain one.
    return async_chunks(file) if isinstance(request, ASGIRequest) else sync_chunks(file)


def _with_charset(content_type: str) -> str:
    return f"{content_type}; charset=utf-8" if content_type.startswith("text/") else content_type


def sync_chunks(file: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := file.read(CHUNK):
            yield chunk
    finally:
        file.close()


async def async_chunks(file: IO[bytes]) -> AsyncIterator[bytes]:
    # Storage reads block (a disk, or S3 over the network): each in a worker thread,
    # not the one that runs the site's sync views.
    read = sync_to_async(file.read, thread_sensitive=False)
    try:
        while chunk := await read(CHUNK):
            yield chunk
    finally:
        await sync_to_async(file.close, thread_sensitive=False)()
