"""Settings of the HTTP API (api/): Django REST framework and its OpenAPI schema.
Taken into chatapp/settings.py; every variable is in the README's table."""

from __future__ import annotations

from chatapp.env import env_int

REST_FRAMEWORK = {
    # Tokens only: a session-authenticated API would need CSRF on every write, and the
    # site's own pages use the socket and their forms, not the API.
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.auth.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Chat API",
    "DESCRIPTION": "Rooms, messages, reactions and search for bots and integrations.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # An edit (PATCH) needs its text: the same body as described, not an all-optional copy.
    "COMPONENT_SPLIT_PATCH": False,
}

# API tokens one user may hold at once.
CHAT_MAX_API_TOKENS = env_int("CHAT_MAX_API_TOKENS", 20)
# Requests per minute to the API, per user (all their tokens together; on top of the
# chat's own limits), and per client address for requests without a valid token.
CHAT_MAX_API_REQUESTS_PER_MINUTE = env_int("CHAT_MAX_API_REQUESTS_PER_MINUTE", 120)
# Incoming webhooks one room may have.
CHAT_MAX_WEBHOOKS_PER_ROOM = env_int("CHAT_MAX_WEBHOOKS_PER_ROOM", 10)
# Posts per minute to one incoming webhook.
CHAT_MAX_WEBHOOK_POSTS_PER_MINUTE = env_int("CHAT_MAX_WEBHOOK_POSTS_PER_MINUTE", 30)
