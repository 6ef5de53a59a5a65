import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

DEMO_ADMIN = "admin"


class Command(BaseCommand):
    help = "Development only: create the 'admin' superuser with a random password, printed once."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            # Production never gets an account it did not ask for.
            self.stdout.write("DEBUG is off: no demo admin (use manage.py createsuperuser).")
            return
        User = get_user_model()
        if User.objects.filter(username=DEMO_ADMIN).exists():
            self.stdout.write(
                f"Demo admin '{DEMO_ADMIN}' exists (its password was printed when it was made; "
                f"set a new one with: python manage.py changepassword {DEMO_ADMIN})."
            )
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(DEMO_ADMIN, "admin@localhost", password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo admin created. Log in as '{DEMO_ADMIN}' with password: {password}"
            )
        )
