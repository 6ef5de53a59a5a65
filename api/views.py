"""The API's endpoints under /api/v1/: thin views over the services the socket uses
(rooms.posting, rooms.changes, rooms.reactions, rooms.history, rooms.search), so a bot
is held to the same rules, limits and error codes as a page, and a change it makes
reaches open pages live."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
)
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from attachments.services import store_upload
from attachments.shown import describe
from chatapp.ratelimit import within_rate
from rooms.access import get_room_for
from rooms.changes import Changed, delete_on_socket, edit_message
from rooms.direct import with_shown_titles
from rooms.errors import BAD_REQUEST, FILE_TOO_LARGE, RATE_LIMITED, ChatError
from rooms.events import room_broadcast
from rooms.history import missed_messages
from rooms.models import Room
from rooms.posting import store_message
from rooms.reactions import react
from rooms.search import search_messages
from rooms.unread import room_counts

from . import serializers as s
from .auth import TokenRateThrottle
from .broadcast import tell_room
from .errors import NOT_FOUND, refusal

ERRORS = {code: s.ErrorOut for code in (400, 401, 403, 404, 429)}


def checked(serializer_class, data) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class ApiView(APIView):
    throttle_classes = [TokenRateThrottle]


class Me(ApiView):
    @extend_schema(responses={200: s.MeOut, **ERRORS}, summary="The token's user")
    def get(self, request: Request) -> Response:
        return Response({"id": request.user.pk, "username": request.user.get_username()})


class Rooms(ApiView):
    @extend_schema(responses={200: s.RoomsOut, **ERRORS}, summary="The rooms I may see")
    def get(self, request: Request) -> Response:
        """Every public room and every room I am a member of, with my unread counts."""
        user = request.user
        rooms = with_shown_titles(Room.objects.visible_to(user).order_by("title"), user)
        counts = {c.room_id: c for c in room_counts(user)}
        listed = []
        for room in rooms:
            mine = counts.get(room.pk)
            listed.append(
                {
                    "id": room.pk,
                    "title": mine.title if mine else room.title,
                    "kind": room.kind,
                    "slug": room.slug,
                    "description": room.description,
                    "last_seq": room.last_seq,
                    "member": mine is not None,
                    "unread": mine.unread if mine else 0,
                    "mentions": mine.mentions if mine else 0,
                    "muted": mine.muted if mine else False,
                }
            )
        return Response({"rooms": listed})


class Messages(ApiView):
    @extend_schema(
        parameters=[s.MessagesQuery],
        responses={200: s.MessagesOut, **ERRORS},
        summary="A room's messages changed after a seq",
    )
    def get(self, request: Request, room_id: int) -> Response:
        """Every message whose last change came after `after`, as it is now (edits
        applied, a deleted one as `deleted: true`), in seq order: the socket's resume.
        Page on with `next_after` while `has_more`."""
        query = checked(s.MessagesQuery, request.query_params)
        room = get_room_for(request.user, room_id)
        limit = query["limit"]
        page = missed_messages(room.pk, query["after"], room.last_seq + 1, limit + 1)
        has_more = len(page) > limit
        page = page[:limit]
        next_after = page[-1]["seq"] if page else query["after"]
        return Response({"messages": page, "next_after": next_after, "has_more": has_more})

    @extend_schema(
        request=s.PostMessageIn,
        responses={201: s.PostedOut, 200: s.PostedOut, **ERRORS},
        summary="Post a message",
    )
    def post(self, request: Request, room_id: int) -> Response:
        """Post as the token's user. With a `client_id`, posting again returns the
        message the first post stored (200, `created: false`) and stores nothing."""
        body = checked(s.PostMessageIn, request.data)
        event, created = store_message(
            request.user,
            room_id,
            body["text"],
            body["client_id"],
            body.get("reply_to"),
            attachments=body["attachments"],
        )
        if created:
            tell_room(room_id, room_broadcast(event))
        return Response(
            {"message": event, "created": created},
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


def changed_answer(room_id: int, changed: Changed) -> Response:
    tell_room(room_id, changed.broadcast())
    answer: dict[str, Any] = {"seq": changed.seq}
    if changed.event is not None:
        answer["message"] = changed.event
    return Response(answer)


class MessageDetail(ApiView):
    @extend_schema(request=s.EditMessageIn, responses={200: s.ChangedOut, **ERRORS}, summary="Edit")
    def patch(self, request: Request, room_id: int, number: int) -> Response:
        """Change the text of a message of mine (within the edit window, if one is set)."""
        body = checked(s.EditMessageIn, request.data)
        changed = edit_message(request.user.pk, room_id, number, body["text"], body["client_id"])
        return changed_answer(room_id, changed)

    @extend_schema(
        parameters=[s.DeleteQuery], responses={200: s.ChangedOut, **ERRORS}, summary="Delete"
    )
    def delete(self, request: Request, room_id: int, number: int) -> Response:
        """Delete a message of mine, or any message of a room I moderate."""
        query = checked(s.DeleteQuery, request.query_params)
        changed = delete_on_socket(request.user.pk, room_id, number, query["client_id"])
        return changed_answer(room_id, changed)


class Reactions(ApiView):
    @extend_schema(request=s.ReactIn, responses={200: s.ChangedOut, **ERRORS}, summary="React")
    def post(self, request: Request, room_id: int, number: int) -> Response:
        """Add (`on`, the default) or take back my reaction with one emoji."""
        body = checked(s.ReactIn, request.data)
        changed = react(
            request.user.pk, room_id, number, body["emoji"], body["on"], body["client_id"]
        )
        return changed_answer(room_id, changed)


class Attachments(ApiView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        request={"multipart/form-data": s.UploadIn},
        responses={201: s.AttachmentOut, 413: s.ErrorOut, 415: s.ErrorOut, **ERRORS},
        summary="Upload a file to send",
    )
    def post(self, request: Request, room_id: int) -> Response:
        """Upload one file (multipart, `file`) to a room I may post in: it waits, seen by
        me only, until a post names its id in `attachments`. As the page's upload: type
        from the content, images cleaned and given a thumbnail, unsent ones removed after
        CHAT_UNSENT_ATTACHMENT_HOURS. (Files are served to logged-in pages.)"""
        user = request.user
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > settings.CHAT_MAX_UPLOAD_BYTES + 64 * 1024:
            raise ChatError(FILE_TOO_LARGE)  # refused before the body is parsed
        if not within_rate(f"chat-upload:{user.pk}", settings.CHAT_MAX_UPLOADS_PER_MINUTE):
            raise ChatError(RATE_LIMITED)
        room = get_room_for(user, room_id)
        files = request.FILES.getlist("file")
        if len(files) != 1:
            raise ChatError(BAD_REQUEST)
        attachment = store_upload(user, room, files[0])
        return Response(describe(attachment), status=status.HTTP_201_CREATED)


class Search(ApiView):
    @extend_schema(
        parameters=[s.SearchQuery],
        responses={200: s.SearchOut, **ERRORS},
        summary="Search the messages I may see",
    )
    def get(self, request: Request) -> Response:
        """The search page's results: messages of rooms I may see now, as they are now."""
        query = checked(s.SearchQuery, request.query_params)
        if not within_rate(f"chat-search:{request.user.pk}", settings.CHAT_MAX_SEARCHES_PER_MINUTE):
            raise ChatError(RATE_LIMITED)
        hits = search_messages(request.user, query["q"], query.get("room"))
        return Response(
            {
                "results": [
                    {
                        "room": hit.room_id,
                        "room_title": hit.room_title,
                        "id": hit.number,
                        "username": hit.username,
                        "created": hit.created,
                        "snippet_html": str(hit.snippet),
                    }
                    for hit in hits
                ]
            }
        )


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([])
@permission_classes([])
def not_found(request: Request) -> Response:
    return refusal(NOT_FOUND, status.HTTP_404_NOT_FOUND)
