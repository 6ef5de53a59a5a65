from django.db import migrations, models

# Frozen here (not imported from rooms.reactions): a migration must keep meaning what
# it meant when it was written.
NAMES = 20


def fill(apps, schema_editor):
    """Messages stored before: their reaction summary and whether anything replies to them."""
    Message = apps.get_model("rooms", "Message")
    Reaction = apps.get_model("rooms", "Reaction")
    Message.objects.filter(
        pk__in=Message.objects.filter(reply_to__isnull=False).values("reply_to")
    ).update(replied=True)
    summaries: dict[int, dict[str, dict]] = {}
    given = Reaction.objects.select_related("user").order_by("message_id", "created", "pk")
    for reaction in given.iterator():
        by_emoji = summaries.setdefault(reaction.message_id, {})
        entry = by_emoji.setdefault(
            reaction.emoji, {"emoji": reaction.emoji, "count": 0, "users": []}
        )
        entry["count"] += 1
        if len(entry["users"]) < NAMES:
            entry["users"].append(reaction.user.username)
    for message_id, by_emoji in summaries.items():
        Message.objects.filter(pk=message_id).update(reaction_summary=list(by_emoji.values()))


class Migration(migrations.Migration):
    dependencies = [
        ("rooms", "0004_conversation"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="reaction_summary",
            field=models.JSONField(blank=True, default=list, editable=False),
        ),
        migrations.AddField(
            model_name="message",
            name="replied",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
