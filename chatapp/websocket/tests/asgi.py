"""The application the core's tests connect through: the core's middleware and routes
(origin check, proxy hops, sessions and auth), with the test consumers."""

from channels.routing import ProtocolTypeRouter, URLRouter

from chatapp.websocket import (
    AuthMiddlewareTogetherStack,
    SiteOriginValidator,
    TrustedProxyMiddleware,
    autoconsumers,
)
from chatapp.websocket.routing import websocket_urlpatterns as core_patterns

application = TrustedProxyMiddleware(
    ProtocolTypeRouter(
        {
            "websocket": SiteOriginValidator(
                AuthMiddlewareTogetherStack(
                    URLRouter(autoconsumers("chatapp.websocket.tests") + core_patterns)
                )
            )
        }
    )
)
