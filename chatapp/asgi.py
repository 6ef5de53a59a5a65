"""ASGI entry point: Django for HTTP, the project's websocket routes for websockets."""

import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatapp.settings")
GC_GEN0_THRESHOLD = 20_000  # Python's default is 700
# Set Django up before anything imports models (consumers do, through routing).
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from chatapp import routing  # noqa: E402
from chatapp.websocket import (  # noqa: E402
    AuthMiddlewareTogetherStack,
    SiteOriginValidator,
    TrustedProxyMiddleware,
)


def build_application(websocket_urlpatterns: list) -> TrustedProxyMiddleware:
    """The site's ASGI stack around these websocket routes (bench/asgi.py adds one)."""
    return TrustedProxyMiddleware(
        ProtocolTypeRouter(
            {
                "http": django_asgi_app,
                # The site's own origin (scheme, host, port) or CSRF_TRUSTED_ORIGINS.
                # Channels' session and user look-up, made together for the sockets
                # connecting at one moment (chatapp/websocket/connect_auth.py).
                "websocket": SiteOriginValidator(
                    AuthMiddlewareTogetherStack(URLRouter(websocket_urlpatterns))
                ),
            }
        )
    )


application = build_application(routing.websocket_urlpatterns)

# Everything imported so far lives as long as the process: keep the garbage
# collector from walking it again and again, and let it run less often under
# the many short-lived objects of a busy fan-out.
gc.freeze()
gc.set_threshold(GC_GEN0_THRESHOLD, 20, 20)
