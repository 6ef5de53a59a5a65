"""The API's refusals: the socket's error codes (rooms/errors.py) with an HTTP status.

Every refusal is `{"error": CODE, "message": text}` (plus `fields` for a malformed
body): the codes, texts and rules are the socket's, so a bot and a page are told the
same thing for the same mistake. The README's refusals table lists them.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError
from redis.exceptions import RedisError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from rooms.errors import (
    ERRORS,
    RATE_LIMITED,
    SERVER_ERROR,
    SERVICE_UNAVAILABLE,
    ChatError,
)

NOT_FOUND = "NOT_FOUND"  # a URL of no endpoint, or an unknown webhook
STATUS_OF_CODE = {
    NOT_FOUND: status.HTTP_404_NOT_FOUND,
    "USER_HAS_TO_LOGIN": status.HTTP_401_UNAUTHORIZED,
    "ROOM_INVALID": status.HTTP_404_NOT_FOUND,
    "ROOM_ACCESS_DENIED": status.HTTP_403_FORBIDDEN,
    "MESSAGE_INVALID": status.HTTP_404_NOT_FOUND,
    "PERMISSION_DENIED": status.HTTP_403_FORBIDDEN,
    "ROOM_TITLE_TAKEN": status.HTTP_409_CONFLICT,
    "FILE_TOO_LARGE": status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    "IMAGE_TOO_LARGE": status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    "FILE_TYPE_REFUSED": status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    "RATE_LIMITED": status.HTTP_429_TOO_MANY_REQUESTS,
    "SERVER_ERROR": status.HTTP_500_INTERNAL_SERVER_ERROR,
    "SERVICE_UNAVAILABLE": status.HTTP_503_SERVICE_UNAVAILABLE,
}
# What a lost connection to the database or Redis raises: SERVICE_UNAVAILABLE, as on the
# socket (the page tries again; a bot should too).
OUTAGES: tuple[type[Exception], ...] = (DatabaseError, RedisError, ConnectionError, TimeoutError)

logger = logging.getLogger(__name__)


def refusal(code: str, http_status: int | None = None, **extra: Any) -> Response:
    known = ERRORS.get(code)
    body = {"error": code, "message": known.text if known else code.replace("_", " ").lower()}
    response = Response(
        body | extra, status=http_status or STATUS_OF_CODE.get(code, status.HTTP_400_BAD_REQUEST)
    )
    if code in (RATE_LIMITED, SERVICE_UNAVAILABLE):
        response["Retry-After"] = "60" if code == RATE_LIMITED else "5"
    return response


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ChatError):
        return refusal(exc.code)
    if isinstance(exc, exceptions.ValidationError):
        return refusal("BAD_REQUEST", fields=exc.detail)
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        response = refusal("USER_HAS_TO_LOGIN")
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    if isinstance(exc, exceptions.Throttled):
        return refusal(RATE_LIMITED)
    if isinstance(exc, exceptions.NotFound):
        return refusal(NOT_FOUND, status.HTTP_404_NOT_FOUND)
    if isinstance(exc, exceptions.PermissionDenied):
        return refusal("PERMISSION_DENIED")
    if isinstance(exc, OUTAGES):
        logger.warning("API request met an outage: %r", exc)
        return refusal(SERVICE_UNAVAILABLE)
    handled = drf_exception_handler(exc, context)  # unsupported media, method not allowed…
    if handled is not None:
        handled.data = {"error": "BAD_REQUEST", "message": str(getattr(exc, "detail", exc))}
        return handled
    logger.exception("API request failed", exc_info=exc)
    return refusal(SERVER_ERROR)
