from django.apps import AppConfig


class WebsocketConfig(AppConfig):
    name = "chatapp.websocket"
    label = "websocket"
    verbose_name = "Websocket core"

    def ready(self) -> None:
        from . import signals

        signals.connect()
