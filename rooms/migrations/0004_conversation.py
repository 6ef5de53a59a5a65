"""Messages become mutable through the room's seq: a stable `number` (the seq a message
was created with), edits, tombstones, replies, reactions, a change log."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def number_existing_messages(apps, schema_editor):
    # Until now a message never changed: its seq is the seq it was created with.
    apps.get_model("rooms", "Message").objects.update(number=F("seq"))


class Migration(migrations.Migration):
    dependencies = [
        ("rooms", "0003_message_type_choices"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="room",
            options={
                "ordering": ["title"],
                "permissions": [
                    ("moderate_room", "Can delete any message in the rooms they can see")
                ],
            },
        ),
        migrations.AddField(
            model_name="message",
            name="number",
            field=models.PositiveBigIntegerField(editable=False, null=True),
        ),
        migrations.RunPython(number_existing_messages, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="message",
            name="number",
            field=models.PositiveBigIntegerField(editable=False),
        ),
        migrations.AlterModelOptions(name="message", options={"ordering": ["room", "number"]}),
        migrations.AddField(
            model_name="message",
            name="edited",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="message",
            name="deleted",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="message",
            name="html",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.AddField(
            model_name="message",
            name="reply_to",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="replies",
                to="rooms.message",
            ),
        ),
        migrations.AddConstraint(
            model_name="message",
            constraint=models.UniqueConstraint(
                fields=("room", "number"), name="message_unique_number_per_room"
            ),
        ),
        migrations.CreateModel(
            name="Reaction",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("emoji", models.CharField(max_length=64)),
                (
                    "created",
                    models.DateTimeField(default=django.utils.timezone.now, editable=False),
                ),
                (
                    "message",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="reactions",
                        to="rooms.message",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, to=settings.AUTH_USER_MODEL
                    ),
                ),
            ],
            options={
                "ordering": ["created", "pk"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("message", "user", "emoji"), name="reaction_once_per_user_and_emoji"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="MessageChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.PositiveBigIntegerField(editable=False)),
                (
                    "kind",
                    models.CharField(
                        choices=[("edit", "edit"), ("delete", "deletion"), ("react", "reaction")],
                        max_length=8,
                    ),
                ),
                ("client_id", models.CharField(blank=True, default="", max_length=64)),
                (
                    "created",
                    models.DateTimeField(default=django.utils.timezone.now, editable=False),
                ),
                (
                    "actor",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "message",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="changes",
                        to="rooms.message",
                    ),
                ),
                (
                    "room",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="changes",
                        to="rooms.room",
                    ),
                ),
            ],
            options={
                "ordering": ["room", "seq"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("room", "seq"), name="change_unique_seq_per_room"
                    ),
                    models.UniqueConstraint(
                        condition=models.Q(("client_id", ""), _negated=True),
                        fields=("room", "actor", "client_id"),
                        name="change_unique_client_id_per_actor_and_room",
                    ),
                ],
            },
        ),
        migrations.CreateModel(
            name="ModerationLogEntry",
            fields=[],
            options={
                "verbose_name": "moderation log entry",
                "verbose_name_plural": "moderation log",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("rooms.messagechange",),
        ),
    ]
