from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from attachments.services import delete_unsent


class Command(BaseCommand):
    help = (
        "Delete uploads that no message carries, older than CHAT_UNSENT_ATTACHMENT_HOURS "
        "(files and rows). Run it every hour or so: docs/attachments.md."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--hours",
            type=int,
            default=None,
            help="Age in hours instead of CHAT_UNSENT_ATTACHMENT_HOURS.",
        )

    def handle(self, *args, hours: int | None, **options) -> None:
        from datetime import timedelta

        hours = settings.CHAT_UNSENT_ATTACHMENT_HOURS if hours is None else hours
        if hours < 1:  # 0 would delete what someone is about to send this very moment
            raise CommandError("--hours must be 1 or more")
        deleted = delete_unsent(timedelta(hours=hours))
        noun = "upload" if deleted == 1 else "uploads"
        self.stdout.write(f"deleted {deleted} unsent {noun} older than {hours} hours")
