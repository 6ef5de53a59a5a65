"""/api/v1/: the HTTP API (api/views.py), its incoming webhooks and its OpenAPI schema."""

from django.urls import path, re_path, register_converter
from django.views.decorators.cache import cache_page
from drf_spectacular.views import SpectacularAPIView

from . import views, views_webhooks
from .converters import IdConverter

register_converter(IdConverter, "id")

app_name = "api"

urlpatterns = [
    path("me", views.Me.as_view(), name="me"),
    path("rooms", views.Rooms.as_view(), name="rooms"),
    path("rooms/<id:room_id>/messages", views.Messages.as_view(), name="messages"),
    path(
        "rooms/<id:room_id>/messages/<id:number>",
        views.MessageDetail.as_view(),
        name="message",
    ),
    path(
        "rooms/<id:room_id>/messages/<id:number>/reactions",
        views.Reactions.as_view(),
        name="reactions",
    ),
    path("rooms/<id:room_id>/attachments", views.Attachments.as_view(), name="attachments"),
    path("search", views.Search.as_view(), name="search"),
    path("hooks/<str:key>", views_webhooks.IncomingWebhook.as_view(), name="hook"),
    path(
        "schema",
        # Made once an hour, not per request: it costs about 100 ms, and anyone may ask.
        cache_page(60 * 60)(
            SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[])
        ),
        name="schema",
    ),
    # Last: any other address under /api/v1/ (a room id that is no number…) answers
    # in the API's JSON, not with the site's HTML page.
    re_path(r"", views.not_found),
]
