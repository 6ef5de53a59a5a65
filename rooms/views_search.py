"""The search page, `/search/?q=…&room=ID`: the messages the user may see that match."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from chatapp.ratelimit import within_rate

from .direct import with_shown_titles
from .models import Room
from .search import QUERY_MAX_LENGTH, RESULTS_LIMIT, search_messages


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:QUERY_MAX_LENGTH]
    rooms = with_shown_titles(Room.objects.visible_to(request.user), request.user)
    try:
        room_id = int(request.GET.get("room", "")) if request.GET.get("room") else None
    except ValueError:
        room_id = None
    if room_id is not None and room_id not in {room.pk for room in rooms}:
        room_id = None  # a room not theirs narrows nothing, and is never named
    limited = bool(query) and not within_rate(
        f"chat-search:{request.user.pk}", settings.CHAT_MAX_SEARCHES_PER_MINUTE
    )
    hits = search_messages(request.user, query, room_id) if query and not limited else []
    return render(
        request,
        "rooms/search.html",
        {
            "query": query,
            "rooms": rooms,
            "room_id": room_id,
            "hits": hits,
            "limit": RESULTS_LIMIT,
            "max_length": QUERY_MAX_LENGTH,
            "limited": limited,
        },
        status=429 if limited else 200,
    )
