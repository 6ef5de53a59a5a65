from django.core.management.base import BaseCommand

from chatapp.features.views import push_to_stream
from chatapp.websocket import layer_is_process_local


class Command(BaseCommand):
    help = "Append a line to every open /features/ page through the HTML stream relay."

    def add_arguments(self, parser):
        parser.add_argument("text")

    def handle(self, *args, text: str, **options):
        if layer_is_process_local():
            self.stderr.write(
                "The in-memory channel layer cannot reach the web server from this process: "
                "set REDIS_URL (the same as the server's)."
            )
        push_to_stream(text, source="manage.py push_feature_stream")
        self.stdout.write("pushed")
