"""`@consumer` functions the core's tests connect to (routed by tests/asgi.py)."""

from __future__ import annotations

from django.template.loader import render_to_string

from chatapp.websocket import LOGIN_REQUIRED, command, consumer

MAX_MESSAGE = 500
# Two permissions every Django project has (django.contrib.auth's own models).
MODERATOR_PERMS = ["auth.delete_user", "auth.change_group"]


@consumer(
    perm=LOGIN_REQUIRED,
    target_id="counter-value",
    base_template="websocket_tests/counter_value.html",
    broadcast=False,
)
def counter(consumer, request, step=1):
    """State on the consumer instance: each socket counts for itself."""
    if not isinstance(step, int) or isinstance(step, bool):
        return [command("error", "BAD_REQUEST", "step must be an integer")]
    consumer.count = getattr(consumer, "count", 0) + step
    return {"count": consumer.count}


@consumer(
    perm=LOGIN_REQUIRED,
    path="<slug:room_name>",
    target_id="chat-length",
    base_template="websocket_tests/chat_length.html",
)
def chat(consumer, request, message, *, room_name):
    """Every socket on the same URL gets the message and its length."""
    message = str(message)[:MAX_MESSAGE]
    if not message.strip():
        return [command("error", "MESSAGE_EMPTY", "write something first")]
    item = render_to_string(
        "websocket_tests/chat_message.html", {"message": message, "user": request.user}
    )
    command("append", "chat-messages", item)
    return {"length": len(message), "room_name": room_name}


@consumer(perm=LOGIN_REQUIRED, group_name=lambda consumer: "tests.announcements")
def announcements(consumer, request):
    """Receives backend sends only; a fixed group name."""


@consumer(perm=LOGIN_REQUIRED, broadcast=False)
def sockets(consumer, request, action):
    """Opens or closes the announcements socket with the websocket.* commands."""
    url = announcements.reverse()
    if action == "close":
        command("websocket.close", url)
        command("update", "socket-state", "closed")
    else:
        command("websocket.open", url)
        command("update", "socket-state", "open")


@consumer(perm=MODERATOR_PERMS, any_perm=True)
def moderation(consumer, request):
    """Only moderators (either permission) may connect; others get permission denied."""
