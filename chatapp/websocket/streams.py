"""HTML stream relay: push server-rendered fragments (Turbo Stream elements) to a page.

A page subscribes to a *stream name* through a signed URL
(`{% stream_url "news" %}`), so a client can only listen to streams a page gave
it. Anything with the name can then push HTML: `stream_send("news", html)` from
a view, a management command or the shell; `turbo_stream(...)` renders the
`<turbo-stream>` element the client runtime (or Hotwired Turbo) applies.
"""

from __future__ import annotations

import hashlib
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core import signing
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from .commands import DOM_ACTIONS
from .consumers import CLOSE_PERMISSION_DENIED, WebsocketConsumer

_signer = signing.Signer(salt="chatapp.websocket.stream")


def sign_stream_name(name: str) -> str:
    """The signed form of a stream name that goes into a page's socket URL."""
    return _signer.sign_object(name)


def unsign_stream_name(signed: str) -> str | None:
    """The stream name behind a signed one, or None if the signature does not hold."""
    try:
        name = _signer.unsign_object(signed)
    except (signing.BadSignature, ValueError):
        return None
    return name if isinstance(name, str) else None


def stream_group(name: str) -> str:
    """The channel-layer group of a stream (hashed: stream names are free text)."""
    return "stream." + hashlib.sha256(name.encode()).hexdigest()[:32]


def stream_path(name: str) -> str:
    """The socket path a page opens to receive the stream `name`."""
    # sign_object() output is URL-safe base64, so it fits in one path segment.
    return f"/ws/stream/{sign_stream_name(name)}/"


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
        """Called on the handshake: a forged or altered stream name is refused."""
        signed = self.scope["url_route"]["kwargs"]["signed_name"]
        self.stream_name = unsign_stream_name(signed)
        if self.stream_name is None:
            await self.accept()
            await self.send_permission_denied()
            await self.close(code=CLOSE_PERMISSION_DENIED)
            return
        await super().websocket_connect(message)

    async def get_groups(self) -> list[str]:
        return [stream_group(self.stream_name)]

    async def html_message(self, event: dict[str, Any]) -> None:
        """Called for each fragment pushed to the stream: forward it unchanged."""
        await self.send(text_data=event["html"])
