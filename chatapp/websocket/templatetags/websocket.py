"""Template tags that wire a page to the client runtime (static/websocket/websocket.js)."""

from __future__ import annotations

import json
from typing import Any

from django import template
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join, json_script
from django.utils.safestring import SafeString

from ..codes import client_contract
from ..streams import stream_path
from ..urls import ws_url

register = template.Library()

# The id of the JSON block the runtime reads its protocol constants from.
CONTRACT_ID = "websocket-contract"


@register.simple_tag
def websocket_runtime() -> SafeString:
    """`{% websocket_runtime %}` in <head>: the client runtime, and the protocol's
    command names, close codes and error texts it reads (defined in codes.py)."""
    return format_html(
        '{}<script type="module" src="{}"></script>',
        json_script(client_contract(), CONTRACT_ID),
        static("websocket/websocket.js"),
    )


@register.simple_tag(takes_context=True)
def socket_url(context: dict[str, Any], path: str) -> str:
    """`{% socket_url path %}`: the absolute ws:// or wss:// URL of a socket path."""
    return ws_url(context["request"], path)


@register.simple_tag(takes_context=True)
def stream_url(context: dict[str, Any], name: str) -> str:
    """`{% stream_url "name" %}`: the signed socket URL of an HTML stream, bound to
    the logged-in user (it works on no other login, and expires with a session)."""
    request = context["request"]
    return ws_url(request, stream_path(name, getattr(request, "user", None)))


@register.simple_tag(takes_context=True)
def callback(
    context: dict[str, Any],
    path: str,
    *inputs: str,
    event: str = "",
    when: str = "",
    clear: bool = False,
    args: Any = None,
) -> SafeString:
    """`{% callback path "input_id" when="Enter" clear=True %}`: attributes for an element
    whose event sends `{"args": [*args, value of each input]}` to the socket at `path`.
    """
    attrs: list[tuple[str, str]] = [("data-callback", ws_url(context["request"], path))]
    if inputs:
        attrs.append(("data-callback-inputs", " ".join(inputs)))
    if args is not None:
        static_args = list(args) if isinstance(args, list | tuple) else [args]
        attrs.append(("data-callback-args", json.dumps(static_args)))
    if event:
        attrs.append(("data-callback-event", event))
    if when:
        attrs.append(("data-callback-when", when))
    if clear:
        attrs.append(("data-callback-clear", ""))
    return format_html_join(" ", '{}="{}"', attrs) or format_html("")
