"""Security headers that Django's own settings do not cover."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


def content_security_policy(host: str) -> str:
    """No inline scripts anywhere on the site: every script is a static ES module.

    Inline style attributes are allowed (the admin uses a few). Websockets may go to
    this host only (named explicitly: older browsers do not read 'self' as ws/wss).
    """
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            f"connect-src 'self' ws://{host} wss://{host}",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


class ContentSecurityPolicyMiddleware:
    """Adds the Content-Security-Policy header to every response that has none."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = content_security_policy(request.get_host())
        response.headers.setdefault("Content-Security-Policy", policy)
        return response
