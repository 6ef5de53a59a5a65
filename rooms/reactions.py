"""Reactions: a user's emoji on a message, and the summary every event of it shows.

The Reaction rows are the record of who gave which emoji (each once per message). The
message keeps the summary its events show (Message.reaction_summary): per emoji, in
the order each was first given, the count and the first REACTION_NAMES names. It
changes with the rows, in the same transaction under the room's lock, so neither a
reaction change, an edit, a join nor a replay reads the reactions back.
"""

from __future__ import annotations

from typing import Any

import emoji as emoji_data
from django.db import connection
from django.utils import timezone

from .changes import Changed, changing, record_change, target_of
from .errors import BAD_REQUEST, ChatError
from .events import message_event, render_message
from .models import ChangeKind, Message, Reaction
from .posting import CAN_RETURN, check_rate_limit

# How many reacting users an emoji's entry names (the count counts them all).
REACTION_NAMES = 20

REACTION_TABLE = Reaction._meta.db_table
GIVE_SQL = (
    f"INSERT INTO {REACTION_TABLE} (message_id, user_id, emoji, created)"  # noqa: S608 (the model's own table name)
    " VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING id"
)

TAKE_BACK_SQL = (
    f"DELETE FROM {REACTION_TABLE} WHERE message_id = %s AND user_id = %s AND emoji = %s"  # noqa: S608 (the model's own table name)
)

Summary = list[dict[str, Any]]


def is_one_emoji(value: Any) -> bool:
    """One emoji (one grapheme: skin tones, ZWJ families and flags included)."""
    return isinstance(value, str) and len(value) <= 64 and emoji_data.is_emoji(value)


def with_reaction(summary: Summary, emoji: str, username: str) -> Summary:
    """The summary after `username` gave `emoji`."""
    summary = [dict(entry, users=list(entry["users"])) for entry in summary]
    entry = next((e for e in summary if e["emoji"] == emoji), None)
    if entry is None:
        summary.append({"emoji": emoji, "count": 1, "users": [username]})
        return summary
    entry["count"] += 1
    if len(entry["users"]) < REACTION_NAMES:
        entry["users"].append(username)
    return summary


def without_reaction(summary: Summary, emoji: str, username: str) -> Summary | None:
    """The summary after `username` took `emoji` back, or None if only the rows can tell:
    when they gave it first and others gave it too (the emoji may move back in the
    order), or the entry named them among more users than it names (the next name is
    in the rows)."""
    changed: Summary = []
    for entry in summary:
        if entry["emoji"] != emoji:
            changed.append(entry)
            continue
        count = entry["count"] - 1
        if count == 0:
            continue  # the emoji goes; the others keep their order
        users = [name for name in entry["users"] if name != username]
        if entry["users"][0] == username or len(users) != min(count, REACTION_NAMES):
            return None
        changed.append({"emoji": emoji, "count": count, "users": users})
    return changed


def summary_of(message: Message) -> Summary:
    """The summary as the rows have it, in the order they were stored (what the kept
    summary must always equal)."""
    summary: Summary = []
    for reaction in message.reactions.select_related("user").order_by("pk"):
        summary = with_reaction(summary, reaction.emoji, reaction.user.get_username())
    return summary


def give(message: Message, user_id: int, emoji: str) -> bool:
    """Store the reaction; False if the user had given it already."""
    if not CAN_RETURN:  # SQLite before 3.35; the room's lock keeps this free of races
        if Reaction.objects.filter(message=message, user_id=user_id, emoji=emoji).exists():
            return False
        Reaction.objects.create(message=message, user_id=user_id, emoji=emoji)
        return True
    created = Reaction._meta.get_field("created").get_db_prep_value(
        timezone.now(), connection, prepared=False
    )
    with connection.cursor() as cursor:
        # One statement for "is it new?" and "store it".
        cursor.execute(GIVE_SQL, [message.pk, user_id, emoji, created])
        return cursor.fetchone() is not None


def take_back(message: Message, user_id: int, emoji: str) -> bool:
    """Delete the reaction; False if the user had not given it."""
    with connection.cursor() as cursor:
        # Not QuerySet.delete(): that first collects what else to delete (nothing here).
        cursor.execute(TAKE_BACK_SQL, [message.pk, user_id, emoji])
        return cursor.rowcount > 0


def react(user_id: int, room_id: int, number: int, emoji: Any, on: Any, client_id: str) -> Changed:
    """Add (`on`) or remove the user's reaction `emoji` to a message. Asking for the state
    the reaction is already in changes nothing (acknowledged with the message's seq)."""
    if not is_one_emoji(emoji) or not isinstance(on, bool):
        raise ChatError(BAD_REQUEST, room_id)
    found = target_of(user_id, room_id, number, client_id, ChangeKind.REACT)
    if isinstance(found, Changed):
        return found  # a retry is answered, never refused for the rate
    user, message = found.actor, found.message
    check_rate_limit(user_id)
    username = user.get_username()

    def change(message: Message, seq: int) -> Changed | None:
        # The message first (its summary as it will be), then the row: the row's write
        # tells whether the reaction was given already, and if so it all rolls back.
        unchanged = Changed(message.seq, None)
        if on:
            summary = with_reaction(message.reaction_summary, emoji, username)
        else:
            summary = without_reaction(message.reaction_summary, emoji, username)
        message.reaction_summary = summary if summary is not None else []
        if not record_change(message, seq, ChangeKind.REACT, user, client_id, "reaction_summary"):
            return None
        if not (give if on else take_back)(message, user.pk, emoji):
            return unchanged
        if summary is None:  # rare: only the rows can tell, now that theirs is gone
            message.reaction_summary = summary_of(message)
            message.html = render_message(message)
            Message.objects.filter(pk=message.pk).update(
                html=message.html, reaction_summary=message.reaction_summary
            )
        return Changed(seq, message_event(message))

    return changing(change, message, user, client_id, ChangeKind.REACT)
