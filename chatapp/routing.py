"""Project-wide websocket routes: each app's routing.py, as urls.py does for HTTP."""

from django.apps import apps

import chatapp.websocket.routing
import rooms.routing

websocket_urlpatterns = (
    rooms.routing.websocket_urlpatterns + chatapp.websocket.routing.websocket_urlpatterns
)

if apps.is_installed("chatapp.features"):  # the deletable demo app
    from chatapp.features.routing import websocket_urlpatterns as feature_patterns

    websocket_urlpatterns += feature_patterns
