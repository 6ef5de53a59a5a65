from django.core.management.base import BaseCommand

from rooms.models import Room

DEMO_ROOMS = [
    ("General", "Say hello. Everyone is welcome.", False),
    ("Random", "Anything goes (within reason).", False),
    ("Help", "Questions about the site.", False),
    ("Staff lounge", "Staff only: moderation and planning.", True),
]


class Command(BaseCommand):
    help = "Create the demo rooms (three public, one staff-only) if they are missing."

    def handle(self, *args, **options):
        for title, description, staff_only in DEMO_ROOMS:
            _, created = Room.objects.get_or_create(
                title=title, defaults={"description": description, "staff_only": staff_only}
            )
            if created:
                self.stdout.write(f"created room {title!r}")
