"""Personal API tokens and incoming webhooks: the two ways in for bots and integrations.

Neither secret is stored: only its SHA-256 and a short prefix to recognise it by. The
secrets are 32 random bytes, so a plain hash is enough (a slow password hash guards
guessable secrets; these are not), and a token is found by its hash in one indexed read.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=60, help_text="What the token is for, for its owner.")
    prefix = models.CharField(max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created = models.DateTimeField(default=timezone.now, editable=False)
    expires = models.DateTimeField(null=True, blank=True, help_text="Empty: never expires.")
    last_used = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) of {self.user}"

    def expired(self, now=None) -> bool:
        return self.expires is not None and self.expires <= (now or timezone.now())


class Webhook(models.Model):
    """A secret URL that posts into one room as its bot user (a user of its own, so its
    messages carry its name and it follows every rule a member does)."""

    room = models.ForeignKey("rooms.Room", on_delete=models.CASCADE, related_name="webhooks")
    name = models.CharField(
        max_length=60,
        help_text="What it is for; its bot's username is made from it.",
    )
    bot = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks"
    )
    prefix = models.CharField(max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created = models.DateTimeField(default=timezone.now, editable=False)
    last_used = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["room", "name"]

    def __str__(self) -> str:
        return f"{self.name} in {self.room}"
