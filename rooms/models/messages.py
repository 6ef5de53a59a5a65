"""Messages and what happens to them: `MessageType`, `Message`, its reactions and
mentions, and `MessageChange` (edits, deletions, reactions, each with its seq), with
the admin's moderation log.

Import it through rooms.models.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from .rooms import Room


class MessageType(models.IntegerChoices):
    """What a message is. The numbers are the multichat protocol's `msg_type`."""

    MESSAGE = 0, "message"  # a user's chat message
    WARNING = 1, "warning"  # server messages, shown styled
    ALERT = 2, "alert"
    MUTED = 3, "muted"
    ENTER = 4, "enter"  # "alice joined": live only, never stored
    LEAVE = 5, "leave"  # "alice left": live only, never stored

    @classmethod
    def by_name(cls) -> dict[str, int]:
        """{"message": 0, …}: what pages and scripts use instead of the numbers."""
        return {member.label: member.value for member in cls}


def message_type_choices() -> list[tuple[int, str]]:
    """Referenced by migration 0001 (the choices were once read from settings)."""
    return MessageType.choices


class Message(models.Model):
    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    # The message's identity in its room, the protocol's `id`: the seq it was created with.
    number = models.PositiveBigIntegerField(editable=False)
    # The seq of its latest change (its creation, an edit, a deletion, a reaction): what
    # clients resume from. Every change takes the room's next seq, so seqs have no gaps.
    seq = models.PositiveBigIntegerField(editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="chat_messages",
        help_text="Empty for messages sent by the server.",
    )
    text = models.TextField()
    msg_type = models.PositiveSmallIntegerField(
        choices=MessageType.choices, default=MessageType.MESSAGE
    )
    reply_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies"
    )
    # Chosen by the client so that a retried send is stored once.
    client_id = models.CharField(max_length=64, blank=True, default="")
    created = models.DateTimeField(default=timezone.now, editable=False)
    edited = models.DateTimeField(null=True, blank=True, editable=False)
    # A deleted message is a tombstone: text, HTML and reactions are wiped, the row stays
    # so that resuming clients are told.
    deleted = models.DateTimeField(null=True, blank=True, editable=False)
    # The message as every page shows it (rooms/message.html), rendered once per change;
    # empty until first rendered (rooms.rendering) and for tombstones.
    html = models.TextField(blank=True, default="", editable=False)
    # Kept with every change so that no change, join or replay reads the reactions or
    # the replies again. The reactions as events show them (rooms.reactions; the
    # Reaction rows are the record of who gave what), and whether anything ever
    # replied to it (an edit or deletion then re-renders the replies' quotes).
    reaction_summary = models.JSONField(default=list, blank=True, editable=False)
    replied = models.BooleanField(default=False, editable=False)
    # The usernames of the members it names (`@alice`), as events show them; the Mention
    # rows are what unread counts read (rooms.mentions).
    mentioned = models.JSONField(default=list, blank=True, editable=False)

    class Meta:
        ordering = ["room", "number"]
        constraints = [
            models.UniqueConstraint(fields=["room", "seq"], name="message_unique_seq_per_room"),
            models.UniqueConstraint(
                fields=["room", "number"], name="message_unique_number_per_room"
            ),
            models.UniqueConstraint(
                fields=["room", "author", "client_id"],
                condition=~models.Q(client_id=""),
                name="message_unique_client_id_per_author_and_room",
            ),
        ]

    def __str__(self) -> str:
        # No text: the admin's history keeps this string, also of deleted messages.
        return f"{self.room} #{self.number}"


class Reaction(models.Model):
    """One user's emoji on a message (a user gives each emoji once per message)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reactions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    emoji = models.CharField(max_length=64)
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["created", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "user", "emoji"], name="reaction_once_per_user_and_emoji"
            )
        ]

    def __str__(self) -> str:
        return f"{self.emoji} on #{self.message.number}"


class Mention(models.Model):
    """A message names a member (`@username`): counted in their mentions until read.
    Kept with every send and edit of the message (rooms.mentions)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="mentions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="chat_mentions"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="mention_once_per_message")
        ]
        indexes = [models.Index(fields=["user", "message"], name="mention_by_user")]

    def __str__(self) -> str:
        return f"@{self.user} in #{self.message.number}"


class ChangeKind(models.TextChoices):
    EDIT = "edit", "edit"
    DELETE = "delete", "deletion"
    REACT = "react", "reaction"


class MessageChange(models.Model):
    """A change to a stored message, with the seq it took: who made it and with which
    client_id (so a retried command changes nothing twice). Deletions by someone else
    than the author are the moderation log (the text is not kept)."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="changes")
    seq = models.PositiveBigIntegerField(editable=False)
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(max_length=8, choices=ChangeKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    client_id = models.CharField(max_length=64, blank=True, default="")
    created = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["room", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["room", "seq"], name="change_unique_seq_per_room"),
            models.UniqueConstraint(
                fields=["room", "actor", "client_id"],
                condition=~models.Q(client_id=""),
                name="change_unique_client_id_per_actor_and_room",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of #{self.message.number} in {self.room}"


class ModerationLogEntry(MessageChange):
    """The deletions, for the admin's moderation log."""

    class Meta:
        proxy = True
        verbose_name = "moderation log entry"
        verbose_name_plural = "moderation log"
