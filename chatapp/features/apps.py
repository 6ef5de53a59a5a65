from django.apps import AppConfig


class FeaturesConfig(AppConfig):
    name = "chatapp.features"
    label = "features"
    verbose_name = "Websocket features page"
