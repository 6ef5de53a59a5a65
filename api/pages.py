"""The pages where people manage the API's secrets: their tokens (on the account page)
and a room's incoming webhooks (from the room's settings). A new secret is shown once,
on the page the form redirects to, and never again (only its hash is kept)."""

from __future__ import annotations

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from rooms.direct import shown_title
from rooms.errors import ChatError
from rooms.models import Room

from .forms import TokenForm, WebhookForm
from .tokens import TooManyTokens, create_token, revoke_token, tokens_of
from .webhooks import (
    TooManyWebhooks,
    create_webhook,
    delete_webhook,
    may_manage_webhooks,
    webhooks_of,
)


def shown_once_key(*where: object) -> str:
    """The session key a new secret waits under until the page that shows it loads: one per
    page (tokens; each room's webhooks), so no other page ever shows it."""
    return ":".join(["api-secret-shown-once", *map(str, where)])


@never_cache  # a secret may be on it
@login_required
@require_http_methods(["GET", "POST"])
# Minting a credential that outlives the session asks for the password again if the
# login is more than a few minutes old (allauth's ACCOUNT_REAUTHENTICATION_TIMEOUT).
@reauthentication_required(allow_get=True)
def tokens(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _, secret = create_token(
                request.user, form.cleaned_data["name"], form.cleaned_data["expires"]
            )
        except TooManyTokens:
            form.add_error(None, "You have as many tokens as one may have: revoke one first.")
        else:
            request.session[shown_once_key("token")] = secret
            return redirect("api_tokens")
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "tokens": tokens_of(request.user),
            "secret": request.session.pop(shown_once_key("token"), None),
            "api_url": request.build_absolute_uri(reverse("api:rooms")).rsplit("/", 1)[0],
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    if revoke_token(request.user, token_id):
        messages.success(request, "The token is revoked: it no longer works.")
    return redirect("api_tokens")


def _room_run_by(request: HttpRequest, room_id: int) -> Room:
    """The room if the user runs it; a 404 otherwise (never says that it exists)."""
    room = Room.objects.filter(pk=room_id).first()
    if room is None or not room.is_visible_to(request.user):
        raise Http404
    if not may_manage_webhooks(request.user, room):
        raise Http404
    return room


@never_cache  # a secret may be on it
@login_required
@require_http_methods(["GET", "POST"])
def integrations(request: HttpRequest, room_id: int) -> HttpResponse:
    room = _room_run_by(request, room_id)
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _, secret = create_webhook(request.user, room, form.cleaned_data["name"])
        except ChatError:
            raise Http404 from None
        except TooManyWebhooks:
            form.add_error(None, "This room has as many webhooks as a room may have.")
        else:
            request.session[shown_once_key("webhook", room.pk)] = secret
            return redirect("api_integrations", room.pk)
    secret = request.session.pop(shown_once_key("webhook", room.pk), None)
    return render(
        request,
        "api/integrations.html",
        {
            "room": room,
            "name": shown_title(room, request.user),
            "form": form,
            "hooks": webhooks_of(room),
            "hook_url": (
                request.build_absolute_uri(reverse("api:hook", args=[secret])) if secret else None
            ),
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def delete_integration(request: HttpRequest, room_id: int, hook_id: int) -> HttpResponse:
    room = _room_run_by(request, room_id)
    if delete_webhook(request.user, room, hook_id):
        messages.success(request, "The webhook is deleted: its URL no longer works.")
    return redirect("api_integrations", room.pk)
