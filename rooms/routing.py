from django.urls import path

from chatapp.websocket import NO_PERM_REQUIRED

from .consumers import ChatConsumer

# Login is checked per command (USER_HAS_TO_LOGIN), room access per room.
websocket_urlpatterns = [
    path("chat/stream/", ChatConsumer.as_asgi(perm=NO_PERM_REQUIRED), name="chat_stream"),
]
