"""`POST /api/v1/hooks/<key>`: what an integration calls. The key in the URL is the only
credential (no token, no cookie, so no CSRF); an unknown or dead key is a plain 404."""

from __future__ import annotations

import json

from django.http import QueryDict
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import serializers as s
from .auth import failed_attempt
from .errors import NOT_FOUND, refusal
from .parsers import JSONParser
from .webhooks import post_from_webhook, working_hook


def slack_payload(data: object) -> object:
    """The body as Slack's clients send it: JSON, or a form whose `payload` is JSON."""
    if isinstance(data, QueryDict):
        if "payload" not in data:
            return data.dict()
        try:
            return json.loads(data["payload"])
        except (ValueError, RecursionError):
            return None
    return data


class IncomingWebhook(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        request=s.WebhookIn,
        responses={200: s.HookPostedOut, **{code: s.ErrorOut for code in (400, 404, 429)}},
        summary="Post through an incoming webhook",
        auth=[],
    )
    def post(self, request: Request, key: str) -> Response:
        """Posts `text` into the webhook's room as the webhook's bot. Other fields of a
        Slack payload (username, icons, attachments) are ignored. The answer names the
        message, and says nothing of the room."""
        hook = working_hook(key)
        if hook is None:
            failed_attempt(request)  # guessing keys is slowed per client address
            return refusal(NOT_FOUND)
        data = slack_payload(request.data)
        if not isinstance(data, dict):
            return refusal("BAD_REQUEST")
        body = s.WebhookIn(data=data)
        body.is_valid(raise_exception=True)
        event = post_from_webhook(hook, body.validated_data["text"])
        return Response({"id": event["id"], "seq": event["seq"]})
