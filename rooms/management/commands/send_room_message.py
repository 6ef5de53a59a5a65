from django.core.management.base import BaseCommand, CommandError

from chatapp.websocket import layer_is_process_local
from rooms.errors import ChatError
from rooms.models import Room
from rooms.posting import SERVER_MESSAGE_TYPES, send_room_message


class Command(BaseCommand):
    help = "Store a server message in a room and broadcast it to the room's open sockets."

    def add_arguments(self, parser):
        parser.add_argument("room_id", type=int)
        parser.add_argument("text")
        parser.add_argument("--type", choices=sorted(SERVER_MESSAGE_TYPES), default="message")

    def handle(self, *args, room_id: int, text: str, type: str, **options):
        room = Room.objects.filter(pk=room_id).first()
        if room is None:
            raise CommandError(f"no room with id {room_id}")
        try:
            message = send_room_message(room=room, text=text, msg_type=SERVER_MESSAGE_TYPES[type])
        except ChatError as error:
            raise CommandError(error.code) from None
        if layer_is_process_local():
            self.stderr.write(
                "Stored. Without REDIS_URL this process cannot reach the web server's sockets: "
                "open pages show the message when they next load the room."
            )
        self.stdout.write(f"sent to {room} as #{message.seq}")
