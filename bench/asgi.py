"""The site's ASGI application plus the tutorial consumer at /bench/tutorial/<room>/.

Both sit behind the same origin check and session authentication.
"""

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from django.urls import path

from chatapp.asgi import django_asgi_app
from chatapp.routing import websocket_urlpatterns
from chatapp.websocket.security import SiteOriginValidator

from .tutorial import TutorialChatConsumer

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SiteOriginValidator(
            AuthMiddlewareStack(
                URLRouter(
                    [
                        path("bench/tutorial/<room_name>/", TutorialChatConsumer.as_asgi()),
                        *websocket_urlpatterns,
                    ]
                )
            )
        ),
    }
)
