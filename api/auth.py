"""How the API knows who is calling: `Authorization: Bearer <token>`, and how often.

Tokens only (no session): a browser's cookie cannot be made to call the API from
another site, so the API needs no CSRF check, and a revoked token stops at once.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.throttling import BaseThrottle

from chatapp.ratelimit import within_rate

from .tokens import user_of_token


class BearerTokenAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword:
            return None  # no credentials: IsAuthenticated answers 401
        if len(header) != 2:
            failed_attempt(request)
            raise AuthenticationFailed("Authorization: Bearer <token>")
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid token.") from None
        found = user_of_token(secret)
        if found is None:  # unknown, revoked, expired, or its user deactivated
            failed_attempt(request)
            raise AuthenticationFailed("Invalid token.")
        return found

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'  # makes an unauthenticated answer a 401, not a 403


def failed_attempt(request) -> None:
    """A request with a wrong token counts against its client address: past the limit it
    is refused before the token is even looked up."""
    address = request.META.get("REMOTE_ADDR", "")
    if not within_rate(f"api-anon:{address}", settings.CHAT_MAX_API_REQUESTS_PER_MINUTE):
        raise Throttled(wait=60)


class TokenRateThrottle(BaseThrottle):
    """CHAT_MAX_API_REQUESTS_PER_MINUTE per user, whichever of their tokens they use, in
    the shared cache (every process); per client address for requests without a token."""

    def allow_request(self, request, view) -> bool:
        if request.user.is_authenticated:
            key = f"api:{request.user.pk}"
        else:
            key = f"api-anon:{request.META.get('REMOTE_ADDR', '')}"
        return within_rate(key, settings.CHAT_MAX_API_REQUESTS_PER_MINUTE)

    def wait(self) -> float:
        return 60.0


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """How the OpenAPI schema describes the token (drf-spectacular finds it by import)."""

    target_class = BearerTokenAuthentication
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token, made on the account's API tokens page.",
        }
