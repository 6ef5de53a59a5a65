from django.urls import path

from .permissions import NO_PERM_REQUIRED
from .streams import StreamConsumer

# The signature is the permission: only pages the server rendered know a valid one.
websocket_urlpatterns = [
    path(
        "ws/stream/<str:signed_name>/",
        StreamConsumer.as_asgi(perm=NO_PERM_REQUIRED),
        name="stream",
    ),
]
