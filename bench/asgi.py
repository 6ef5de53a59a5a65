"""The site's ASGI application plus the tutorial consumer at /bench/tutorial/<room>/.

Both sit behind the same stack (client address, origin check, session authentication).
"""

from django.urls import path

from chatapp.asgi import build_application
from chatapp.routing import websocket_urlpatterns

from .tutorial import TutorialChatConsumer

application = build_application(
    [path("bench/tutorial/<room_name>/", TutorialChatConsumer.as_asgi()), *websocket_urlpatterns]
)
