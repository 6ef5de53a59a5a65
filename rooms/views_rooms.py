"""The pages where users make and run rooms: a new room, a new direct conversation, and
a room's settings (members, rename, invite, remove, archive, leave).

The rules are rooms.ownership's and rooms.direct's; these views only map their refusals:
a room the user may not see is 404 (never confirmed), running one they do not run 403,
anything else a message on the form.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from .access import get_room_for, role_in
from .direct import open_direct, shown_title
from .errors import (
    BAD_REQUEST,
    ERRORS,
    PERMISSION_DENIED,
    ROOM_ACCESS_DENIED,
    ROOM_INVALID,
    USER_INVALID,
    ChatError,
)
from .forms import DirectForm, InviteForm, NewRoomForm, RoomDetailsForm
from .models import Room, RoomKind
from .ownership import (
    archive,
    create_room,
    invite,
    leave_room,
    may_create_rooms,
    remove_member,
    rename,
    runs,
    set_muted,
)

LEFT_ROOM_KEY = "chat.left_room"
# A public room's members are everyone who ever opened it: the page lists this many.
MEMBERS_SHOWN = 200
# What these pages say where the socket's text (rooms.errors) is about messages.
PAGE_TEXTS = {
    PERMISSION_DENIED: "Only the room's owners may do that.",
    BAD_REQUEST: "That cannot be done here.",
}


def refusal_text(error: ChatError) -> str:
    return PAGE_TEXTS.get(error.code) or ERRORS[error.code].text


def raise_if_http(error: ChatError) -> None:
    """Refusals that are a status, not a message on the form."""
    if error.code in (ROOM_INVALID, ROOM_ACCESS_DENIED):
        raise Http404("No such room") from None
    if error.code == PERMISSION_DENIED:
        raise PermissionDenied from None


def room_or_404(request: HttpRequest, room_id: int) -> Room:
    try:
        return get_room_for(request.user, room_id)
    except ChatError:
        raise Http404("No such room") from None


@login_required
def new_room(request: HttpRequest) -> HttpResponse:
    if not may_create_rooms(request.user):
        raise PermissionDenied
    form = NewRoomForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            room = create_room(request.user, data["title"], data["description"], data["kind"])
        except ChatError as error:
            raise_if_http(error)
            form.add_error("title", refusal_text(error))
        else:
            messages.success(request, f"Made {room.title}. You are its owner.")
            return redirect("rooms:room", room.pk)
    return render(request, "rooms/new_room.html", {"form": form})


@login_required
def new_direct(request: HttpRequest) -> HttpResponse:
    form = DirectForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            room = open_direct(request.user, form.cleaned_data["usernames"])
        except ChatError as error:
            raise_if_http(error)
            form.add_error("usernames", refusal_text(error))
        else:
            return redirect("rooms:room", room.pk)
    return render(request, "rooms/new_direct.html", {"form": form})


@login_required
def room_settings(request: HttpRequest, room_id: int) -> HttpResponse:
    return settings_page(request, room_or_404(request, room_id))


def settings_page(request: HttpRequest, room: Room, **forms: object) -> HttpResponse:
    """The settings page, with any form that came back with errors in place of a fresh one."""
    role = role_in(request.user.pk, room)
    username = f"user__{get_user_model().USERNAME_FIELD}"
    members = room.memberships.select_related("user").order_by("-role", username)
    forms.setdefault(
        "details_form",
        RoomDetailsForm(initial={"title": room.title, "description": room.description}),
    )
    forms.setdefault("invite_form", InviteForm())
    return render(
        request,
        "rooms/settings.html",
        {
            "room": room,
            "name": shown_title(room, request.user),
            "role": role,
            "muted": role is not None
            and room.memberships.filter(user=request.user, muted=True).exists(),
            "runs": runs(request.user, room, role),
            "staff": request.user.is_staff or request.user.is_superuser,
            "members": members[:MEMBERS_SHOWN],
            "member_count": members.count(),
            # Removing from a public room only ends a membership: anyone may open it again.
            "removable": room.kind == RoomKind.PRIVATE,
            **forms,
        },
    )


@login_required
@require_POST
def rename_room(request: HttpRequest, room_id: int) -> HttpResponse:
    room = room_or_404(request, room_id)
    form = RoomDetailsForm(request.POST)
    if form.is_valid():
        try:
            rename(request.user, room, form.cleaned_data["title"], form.cleaned_data["description"])
        except ChatError as error:
            raise_if_http(error)
            form.add_error("title", refusal_text(error))
        else:
            messages.success(request, "Saved the room's name and description.")
            return redirect("rooms:settings", room.pk)
    room.refresh_from_db()
    return settings_page(request, room, details_form=form)


@login_required
@require_POST
def invite_member(request: HttpRequest, room_id: int) -> HttpResponse:
    room = room_or_404(request, room_id)
    form = InviteForm(request.POST)
    if form.is_valid():
        name = form.cleaned_data["username"]
        try:
            membership = invite(request.user, room, name)
        except ChatError as error:
            raise_if_http(error)
            text = refusal_text(error)
            if error.code == USER_INVALID:
                text = f"Nobody called {name} can be invited to this room."
            form.add_error("username", text)
        else:
            messages.success(request, f"{membership.user.get_username()} is a member now.")
            return redirect("rooms:settings", room.pk)
    return settings_page(request, room, invite_form=form)


@login_required
@require_POST
def remove_room_member(request: HttpRequest, room_id: int) -> HttpResponse:
    room = room_or_404(request, room_id)
    name = request.POST.get("username", "")
    try:
        remove_member(request.user, room, name)
    except ChatError as error:
        raise_if_http(error)
        messages.error(request, f"{name} was not removed: {refusal_text(error)}")
    else:
        messages.success(request, f"Removed {name} from the room.")
    return redirect("rooms:settings", room.pk)


@login_required
def archive_room(request: HttpRequest, room_id: int) -> HttpResponse:
    """GET asks to confirm, POST archives."""
    room = room_or_404(request, room_id)
    if not runs(request.user, room, role_in(request.user.pk, room)):
        raise PermissionDenied
    if request.method == "POST":
        try:
            archive(request.user, room)
        except ChatError as error:
            raise_if_http(error)
            raise
        messages.success(
            request,
            f"Archived {room.title}: nobody sees it on the site now. "
            "An administrator can bring it back.",
        )
        return redirect("rooms:lobby")
    return render(request, "rooms/archive.html", {"room": room})


@login_required
@require_POST
def leave(request: HttpRequest, room_id: int) -> HttpResponse:
    room = room_or_404(request, room_id)
    name = shown_title(room, request.user)
    try:
        left = leave_room(request.user, room)
    except ChatError as error:
        raise_if_http(error)
        raise
    if left:
        messages.success(request, f"You left {name}.")
        # The lobby tells its page (data-left-room) not to open it again from the tab's
        # saved rooms: that would make a public room's membership anew.
        request.session[LEFT_ROOM_KEY] = room.pk
    else:
        messages.info(request, f"You were not a member of {name}.")
    return redirect("rooms:lobby")


@login_required
@require_POST
def mute(request: HttpRequest, room_id: int) -> HttpResponse:
    """Mute the room (`muted=1`) or hear it again (`muted=0`)."""
    room = room_or_404(request, room_id)
    muted = request.POST.get("muted") == "1"
    try:
        member = set_muted(request.user, room, muted)
    except ChatError as error:
        raise_if_http(error)
        raise
    name = shown_title(room, request.user)
    if not member:
        messages.info(request, f"You are not a member of {name}.")
    elif muted:
        messages.success(request, f"Muted {name}: only mentions of you count there now.")
    else:
        messages.success(request, f"{name} is no longer muted.")
    return redirect("rooms:settings", room.pk)
