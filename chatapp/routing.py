"""Project-wide websocket routes: each app's routing.py, as urls.py does for HTTP."""

import chatapp.features.routing
import chatapp.websocket.routing
import rooms.routing

websocket_urlpatterns = (
    rooms.routing.websocket_urlpatterns
    + chatapp.websocket.routing.websocket_urlpatterns
    + chatapp.features.routing.websocket_urlpatterns
)
