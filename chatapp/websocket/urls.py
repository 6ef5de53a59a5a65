"""Websocket URLs as the browser must see them."""

from __future__ import annotations

from django.http import HttpRequest


def ws_url(request: HttpRequest, path: str) -> str:
    """The absolute websocket URL of `path`: wss:// when the page itself is secure.

    `request.is_secure()` honours SECURE_PROXY_SSL_HEADER, so a site behind a
    TLS-terminating proxy gets wss:// too. DEBUG plays no part.
    """
    scheme = "wss" if request.is_secure() else "ws"
    return f"{scheme}://{request.get_host()}{path}"
