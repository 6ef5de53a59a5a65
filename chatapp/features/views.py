from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from chatapp.websocket import consumer_command, stream_send, turbo_stream

from .consumers import announcements, chat, counter, moderation, sockets

FEATURES_STREAM = "features"
MAX_TEXT = 300


def push_to_stream(text: str, source: str) -> None:
    """Append an item to the open features pages through the HTML stream relay."""
    html = turbo_stream(
        "append", "stream-log", "features/stream_item.html", {"text": text, "source": source}
    )
    stream_send(FEATURES_STREAM, html)


@login_required
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "features/index.html",
        {
            "counter_path": counter.reverse(),
            "chat_path": chat.reverse(room_name="lobby"),
            "announcements_path": announcements.reverse(),
            "sockets_path": sockets.reverse(),
            "moderation_path": moderation.reverse(),
            "features_stream": FEATURES_STREAM,
        },
    )


def _text(request: HttpRequest) -> str | None:
    text = request.POST.get("text", "").strip()
    return text[:MAX_TEXT] if text else None


@login_required
@require_POST
def announce(request: HttpRequest) -> JsonResponse:
    """Backend send: an alert command to every socket of the announcements consumer."""
    text = _text(request)
    if text is None:
        return JsonResponse({"error": "MESSAGE_EMPTY"}, status=400)
    consumer_command(announcements.group_name(), [["alert", f"{request.user}: {text}"]])
    return JsonResponse({"sent": True})


@login_required
@require_POST
def push(request: HttpRequest) -> JsonResponse:
    """HTML stream relay from a view: a <turbo-stream> appended on every open page."""
    text = _text(request)
    if text is None:
        return JsonResponse({"error": "MESSAGE_EMPTY"}, status=400)
    push_to_stream(text, source=f"view, by {request.user}")
    return JsonResponse({"sent": True})
