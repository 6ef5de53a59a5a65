from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from .access import get_room_for, is_moderator
from .direct import with_shown_titles
from .errors import BAD_REQUEST, ChatError, errors_for_page
from .forms import BackendSendForm
from .history import events_of, messages_before
from .models import MessageType, Room, RoomKind, has_own_address
from .ownership import may_create_rooms
from .posting import send_room_message
from .signals import lobby_stream_for
from .views_rooms import LEFT_ROOM_KEY


def _visible_room_or_404(request: HttpRequest, room_id: int):
    try:
        return get_room_for(request.user, room_id)
    except ChatError:
        # Not "forbidden": a staff-only room must not even be confirmed to exist.
        raise Http404("No such room") from None


def _message_number(request: HttpRequest) -> int | None:
    value = request.GET.get("message", "")
    # ASCII digits only: "²" is a digit to str.isdigit and not to int().
    return int(value) if value.isascii() and value.isdigit() and len(value) < 19 else None


@login_required
def lobby(request: HttpRequest, room_id: int | None = None) -> HttpResponse:
    """The lobby; /rooms/<id>/ is the same page with that room opened."""
    room = _visible_room_or_404(request, room_id) if room_id is not None else None
    return _lobby_page(request, room)


@login_required
def room_by_slug(request: HttpRequest, slug: str) -> HttpResponse:
    """/rooms/<slug>/: the lobby with that public or private room opened. A direct room
    has no address by slug (`Room.get_absolute_url`); a room the user may not see is a
    404 here too, by whichever address."""
    room = Room.objects.filter(slug=slug).exclude(kind=RoomKind.DIRECT).first()
    if room is None or not has_own_address(slug):
        raise Http404("No such room")
    return _lobby_page(request, _visible_room_or_404(request, room.pk))


def _lobby_page(request: HttpRequest, room: Room | None) -> HttpResponse:
    return render(
        request,
        "rooms/lobby.html",
        {
            "rooms": Room.objects.listed_to(request.user),
            # Private and direct rooms the user is in: never in the live list (rooms/signals.py).
            # A direct room is listed by the others' names.
            "my_rooms": with_shown_titles(Room.objects.joined_by(request.user), request.user),
            "may_create_rooms": may_create_rooms(request.user),
            "open_room_id": room.pk if room else None,
            # /rooms/<id>/?message=N (a search result): the page opens the room at N.
            "open_message": _message_number(request) if room else None,
            "left_room_id": request.session.pop(LEFT_ROOM_KEY, None),
            "lobby_stream": lobby_stream_for(request.user),
            "max_length": settings.CHAT_MAX_MESSAGE_LENGTH,
            "message_types": MessageType.by_name(),
            "chat_errors": errors_for_page(),
            # Whether the page offers Delete on everyone's messages (the server decides).
            "moderator": is_moderator(request.user),
        },
    )


@login_required
@require_GET
def older_messages(request: HttpRequest, room_id: int) -> JsonResponse:
    """`?before=ID`: the page of history just older than message ID, for "load older
    messages" (as they are now; deleted ones left out unless replied to)."""
    room = _visible_room_or_404(request, room_id)
    try:
        before = int(request.GET.get("before", ""))
    except ValueError:
        return JsonResponse({"error": BAD_REQUEST}, status=400)
    page = messages_before(room, before)
    return JsonResponse({"room": room.pk, "messages": events_of(page)})


@login_required
def backend_send(request: HttpRequest) -> HttpResponse:
    """Staff page that sends a stored message or server notice into a room."""
    if not request.user.is_staff:
        raise PermissionDenied
    form = BackendSendForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            message = send_room_message(
                room=form.cleaned_data["room"],
                text=form.cleaned_data["text"],
                msg_type=form.cleaned_data["msg_type"],
            )
        except ChatError as error:
            form.add_error("text", error.code.replace("_", " ").capitalize())
        else:
            messages.success(request, f"Sent to {message.room} as message #{message.number}.")
            return redirect("rooms:send")
    return render(request, "rooms/send.html", {"form": form})
