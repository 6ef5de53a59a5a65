"""The two statements every change (edit, deletion, reaction) runs, written out once.

The read: a message with its room's access (staff flag, kind, membership), its
author's name and the parent it quotes, the acting user (still active? staff?) and the
change its client_id already made, if any: everything a change decides on, in one
round trip. The write: the changed fields, the new seq and HTML, only if the message
is still as it was read (its seq, its replies, a reply's parent).

Composed by the ORM on every call, these cost more Python than a whole send (python -m
bench.changes); as SQL built once per process from the models' own table and column
names, each is one round trip. Rows come back as model instances (Model.from_db), so
rendering and events use them like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from .models import Membership, Message, MessageChange, Room

# The parent's columns a quote needs (rooms.events.reply_of), and the acting user's.
PARENT_FIELDS = ("id", "number", "seq", "text", "deleted", "author_id")
ACTOR_FIELDS = ("id", "is_staff", "is_superuser", "is_active")


@dataclass
class Target:
    """What a change needs to decide, read at once."""

    message: Message  # deleted or not
    staff_only: bool  # its room's
    kind: str  # its room's
    archived: bool  # its room's
    role: str | None  # the acting user's in its room (None: not a member)
    actor: Any  # the acting user if active, else AnonymousUser
    done: tuple[int, str, int] | None  # the change its client_id made: seq, kind, message id


@cache
def target_sql() -> tuple[str, list[Any]]:
    """The SELECT, and the message's fields in its column order."""
    user_model = get_user_model()
    user = user_model._meta
    username = user.get_field(user_model.USERNAME_FIELD).column
    qn = connection.ops.quote_name
    fields = [f for f in Message._meta.concrete_fields if f.name != "html"]  # rewritten anyway
    columns = [f"m.{qn(f.column)}" for f in fields]
    parent = [f"p.{qn(Message._meta.get_field(name).column)}" for name in PARENT_FIELDS]
    actor = [f"u.{qn(user.get_field(name).column)}" for name in ACTOR_FIELDS]
    message_table, room_table, user_table, change_table, membership_table = (
        qn(Message._meta.db_table),
        qn(Room._meta.db_table),
        qn(user.db_table),
        qn(MessageChange._meta.db_table),
        qn(Membership._meta.db_table),
    )
    sql = (
        f"SELECT {', '.join(columns)}, r.{qn('staff_only')}, r.{qn('kind')},"  # noqa: S608 (names from the models)
        f" r.{qn('archived')},"
        f" (SELECT s.{qn('role')} FROM {membership_table} s"
        f" WHERE s.{qn('room_id')} = m.{qn('room_id')} AND s.{qn('user_id')} = %s),"
        f" a.{qn(username)},"
        f" {', '.join(parent)}, pa.{qn(username)},"
        f" {', '.join(actor)}, u.{qn(username)},"
        f" c.{qn('seq')}, c.{qn('kind')}, cm.{qn('number')}"
        f" FROM {message_table} m"
        f" JOIN {room_table} r ON r.{qn('id')} = m.{qn('room_id')}"
        f" LEFT JOIN {user_table} a ON a.{qn('id')} = m.{qn('author_id')}"
        f" LEFT JOIN {message_table} p ON p.{qn('id')} = m.{qn('reply_to_id')}"
        f" LEFT JOIN {user_table} pa ON pa.{qn('id')} = p.{qn('author_id')}"
        f" LEFT JOIN {user_table} u ON u.{qn('id')} = %s AND u.{qn('is_active')} = %s"
        f" LEFT JOIN {change_table} c ON c.{qn('room_id')} = m.{qn('room_id')}"
        f" AND c.{qn('actor_id')} = %s AND c.{qn('client_id')} = %s"
        f" LEFT JOIN {message_table} cm ON cm.{qn('id')} = c.{qn('message_id')}"
        f" WHERE m.{qn('room_id')} = %s AND m.{qn('number')} = %s"
    )
    return sql, fields


def read_target(room_id: int, number: int, actor_id: int | None, client_id: str) -> Target | None:
    """Message `number` of the room, its room's access flag, the acting user and the
    change `client_id` made before (if any); None if there is no such message."""
    sql, fields = target_sql()
    names = [f.attname for f in fields]
    with connection.cursor() as cursor:
        # An empty client_id matches no logged change (only changes with one are logged).
        cursor.execute(
            sql, [actor_id, actor_id, True, actor_id, client_id or None, room_id, number]
        )
        row = cursor.fetchone()
    if row is None:
        return None
    message = Message.from_db(connection.alias, names, converted(row[: len(names)]))
    rest = list(row[len(names) :])
    staff_only, kind, archived, role = bool(rest[0]), rest[1], rest[2] is not None, rest[3]
    author_name, rest = rest[4], rest[5:]
    if message.author_id is not None:
        message.author = user_named(message.author_id, author_name)
    width = len(PARENT_FIELDS)
    parent, parent_author, rest = rest[:width], rest[width], rest[width + 1 :]
    if message.reply_to_id is not None:
        values = dict(zip(PARENT_FIELDS, parent, strict=True))
        values["deleted"] = Message._meta.get_field("deleted").to_python(values["deleted"])
        quoted = loaded(Message, values)
        if quoted.author_id is not None:
            quoted.author = user_named(quoted.author_id, parent_author)
        message.reply_to = quoted
    actor_values, actor_name, done = rest[:4], rest[4], rest[5:]
    actor: Any = AnonymousUser()
    if actor_values[0] is not None:
        model = get_user_model()
        flags = [actor_values[0], *map(bool, actor_values[1:])]
        values = dict(zip(ACTOR_FIELDS, flags, strict=True))
        actor = loaded(model, {**values, model.USERNAME_FIELD: actor_name})
    previous = (done[0], done[1], done[2]) if done[0] is not None else None
    return Target(message, staff_only, kind, archived, role, actor, previous)


def user_named(pk: int, username: str) -> Any:
    """A user with only its id and name loaded (any other field loads on first use)."""
    model = get_user_model()
    return loaded(model, {"id": pk, model.USERNAME_FIELD: username})


def loaded(model: Any, values: dict[str, Any]) -> Any:
    """An instance with `values` loaded by field name (Model.from_db takes them in the
    order of the model's fields) and the other fields deferred."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(connection.alias, names, [values[name] for name in names])


@cache
def converters() -> list[list[Any]]:
    """Per message column, what the ORM does to its value (aware datetimes on SQLite,
    parsed JSON, booleans)."""
    table = Message._meta.db_table
    per_field = []
    for field in target_sql()[1]:
        column = field.get_col(table)
        per_field.append(
            [
                (converter, column)
                for converter in connection.ops.get_db_converters(column)
                + field.get_db_converters(connection)
            ]
        )
    return per_field


def converted(values: tuple[Any, ...]) -> list[Any]:
    """The database's values as the model's fields hold them."""
    out = []
    for value, field_converters in zip(values, converters(), strict=True):
        for converter, column in field_converters:
            value = converter(value, column, connection)
        out.append(value)
    return out


@cache
def update_sql(fields: tuple[str, ...], reply: bool) -> str:
    qn = connection.ops.quote_name
    table = qn(Message._meta.db_table)
    columns = [Message._meta.get_field(name).column for name in ("seq", "html", *fields)]
    assignments = ", ".join(f"{qn(column)} = %s" for column in columns)
    # As it was read: its seq, whether it has replies (their quotes are re-rendered
    # with it), and a reply's parent (its quote is part of this message's HTML).
    unchanged = f"{qn('id')} = %s AND {qn('seq')} = %s AND {qn('replied')} = %s"
    if reply:
        unchanged += (
            f" AND (SELECT p.{qn('seq')} FROM {table} p"  # noqa: S608 (names from the model)
            f" WHERE p.{qn('id')} = {table}.{qn('reply_to_id')}) = %s"
        )
    return f"UPDATE {table} SET {assignments} WHERE {unchanged}"  # noqa: S608 (names from the model)


def store_change(message: Message, read_at: int, fields: tuple[str, ...]) -> bool:
    """Write the message's seq, HTML and `fields` if nothing it shows changed since it was
    read at seq `read_at` (False: then nothing is written, and it is read again)."""
    values = [
        Message._meta.get_field(name).get_db_prep_save(getattr(message, name), connection)
        for name in ("seq", "html", *fields)
    ]
    values += [message.pk, read_at, message.replied]
    reply = message.reply_to_id is not None
    if reply:
        values.append(message.reply_to.seq)
    with connection.cursor() as cursor:
        cursor.execute(update_sql(fields, reply), values)
        return cursor.rowcount == 1
