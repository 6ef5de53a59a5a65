"""HTML stream relay: push server-rendered fragments (Turbo Stream elements) to a page.

A page subscribes to a *stream name* through a signed URL
(`{% stream_url "news" %}`), so a client can only listen to streams a page gave
it. Anything with the name can then push HTML: `stream_send("news", html)` from
a view, a management command or the shell; `turbo_stream(...)` renders the
`<turbo-stream>` element the client runtime (or Hotwired Turbo) applies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from .codes import CLOSE_PERMISSION_DENIED
from .commands import DOM_ACTIONS
from .consumers import WebsocketConsumer

_signer = signing.Signer(salt="chatapp.websocket.stream")
_user_signer = signing.TimestampSigner(salt="chatapp.websocket.stream.user")

# Stream name -> who may receive it, re-checked at connect and whenever the user
# changes (register_stream_access). A stream without a rule is for whoever holds
# the signed name: use such streams for public content only.
_access_rules: dict[str, Callable[[Any], bool]] = {}


def register_stream_access(name: str, may_receive: Callable[[Any], bool]) -> None:
    """Only users for whom `may_receive(user)` holds get stream `name` (e.g. staff)."""
    _access_rules[name] = may_receive


def may_receive(name: str, user: Any) -> bool:
    rule = _access_rules.get(name)
    return rule is None or bool(user.is_authenticated and rule(user))


def sign_stream_name(name: str, user_id: int | None = None) -> str:
    """The signed form of a stream name that goes into a page's socket URL. With a
    user id, it is that user's alone and expires with a session (SESSION_COOKIE_AGE)."""
    if user_id is None:
        return _signer.sign_object(name)
    return _user_signer.sign_object({"stream": name, "user": user_id})


def unsign_stream_name(signed: str) -> tuple[str, int | None] | None:
    """(stream name, user id or None) behind a signed name, or None if the signature
    does not hold or a user's name has expired."""
    try:
        payload = _user_signer.unsign_object(signed, max_age=settings.SESSION_COOKIE_AGE)
    except (signing.BadSignature, ValueError):
        try:
            payload = _signer.unsign_object(signed)
        except (signing.BadSignature, ValueError):
            return None
        return (payload, None) if isinstance(payload, str) else None
    if not isinstance(payload, dict):
        return None
    name, user_id = payload.get("stream"), payload.get("user")
    if not isinstance(name, str) or not isinstance(user_id, int):
        return None
    return name, user_id


def stream_group(name: str) -> str:
    """The channel-layer group of a stream (hashed: stream names are free text)."""
    return "stream." + hashlib.sha256(name.encode()).hexdigest()[:32]


def stream_path(name: str, user: Any = None) -> str:
    """The socket path a page opens to receive the stream `name`; for a logged-in
    `user`, a path that works only on a socket logged in as that user."""
    user_id = user.pk if user is not None and user.is_authenticated else None
    # sign_object() output is URL-safe base64, so it fits in one path segment.
    return f"/ws/stream/{sign_stream_name(name, user_id)}/"


def turbo_stream(
    action: str,
    target: str,
    template_name: str | None = None,
    context: dict[str, Any] | None = None,
    *,
    html: str = "",
) -> SafeString:
    """A `<turbo-stream>` element; its content is the autoescaped template output."""
    if action not in DOM_ACTIONS:
        raise ValueError(f"turbo stream action must be one of {DOM_ACTIONS}, not {action!r}")
    if template_name is not None:
        html = render_to_string(template_name, context or {})
    if action == "remove":
        return format_html('<turbo-stream action="remove" target="{}"></turbo-stream>', target)
    return format_html(
        '<turbo-stream action="{}" target="{}"><template>{}</template></turbo-stream>',
        action,
        target,
        mark_safe(html),  # noqa: S308 (template output or the caller's own HTML, escaped)
    )


async def astream_send(name: str, html: str) -> None:
    """Push `html` (one or more turbo-stream elements) to every page on stream `name`."""
    await get_channel_layer().group_send(stream_group(name), {"type": "html_message", "html": html})


def stream_send(name: str, html: str) -> None:
    """Sync form of `astream_send`, for views, management commands and the shell."""
    async_to_sync(astream_send)(name, html)


class StreamConsumer(WebsocketConsumer):
    """Relays `html_message` events of one signed stream to the socket as text frames."""

    async def websocket_connect(self, message: dict[str, Any]) -> None:
        """Called on the handshake: a forged, altered or expired stream name, a name
        made for another user, or a stream this user may not receive is refused."""
        signed = self.scope["url_route"]["kwargs"]["signed_name"]
        unsigned = unsign_stream_name(signed)
        user = self.scope.get("user")
        if unsigned is not None:
            self.stream_name, self.bound_user_id = unsigned
            if self.bound_user_id is not None and getattr(user, "pk", None) != self.bound_user_id:
                unsigned = None  # another user's name, or no login at all
        if unsigned is None or not may_receive(self.stream_name, user):
            await self.accept()
            await self.send_permission_denied()
            await self.close(code=CLOSE_PERMISSION_DENIED)
            return
        await super().websocket_connect(message)

    async def get_groups(self) -> list[str]:
        return [stream_group(self.stream_name)]

    async def user_changed(self) -> None:
        """Called when the user changed (e.g. lost is_staff): stop if no longer allowed."""
        if not may_receive(self.stream_name, self.user):
            await self.leave_hub()
            await self.send_permission_denied()
            await self.close(code=CLOSE_PERMISSION_DENIED)

    async def html_message(self, event: dict[str, Any]) -> None:
        """Called for each fragment pushed to the stream: forward it unchanged."""
        await self.send(text_data=event["html"])
