"""The reaction summary kept on each message, and a change to a message that changed
after it was read. Service level: the socket's commands are in test_conversation.py."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from rooms import changes
from rooms.changes import edit_message
from rooms.models import Message, Reaction
from rooms.posting import post_message
from rooms.reactions import REACTION_NAMES, react, summary_of

pytestmark = pytest.mark.django_db


def test_the_summary_counts_everyone_and_names_the_first_twenty(make_user, make_room):
    room = make_room()
    author = make_user()
    number = post_message(room=room, author=author, text="vote").message.number
    voters = [make_user(f"voter-{n:02}") for n in range(REACTION_NAMES + 2)]
    for voter in voters:
        react(voter.pk, room.pk, number, "👍", True, "")
    react(voters[0].pk, room.pk, number, "🎉", True, "")
    message = Message.objects.get(room=room, number=number)
    thumbs = message.reaction_summary[0]
    assert thumbs["count"] == REACTION_NAMES + 2
    assert thumbs["users"] == [v.username for v in voters[:REACTION_NAMES]]
    assert message.reaction_summary == summary_of(message)


def test_a_named_user_taking_a_reaction_back_names_the_next_one(make_user, make_room):
    room = make_room()
    number = post_message(room=room, author=make_user(), text="vote").message.number
    voters = [make_user(f"voter-{n:02}") for n in range(REACTION_NAMES + 1)]
    for voter in voters:
        react(voter.pk, room.pk, number, "👍", True, "")
    react(voters[3].pk, room.pk, number, "👍", False, "")
    message = Message.objects.get(room=room, number=number)
    assert message.reaction_summary == [
        {
            "emoji": "👍",
            "count": REACTION_NAMES,
            "users": [v.username for v in voters if v != voters[3]],
        }
    ]
    assert message.reaction_summary == summary_of(message)
    assert f'<span class="reaction-count">{REACTION_NAMES}</span>' in message.html


def test_the_last_reaction_taken_back_removes_its_emoji(make_user, make_room):
    room = make_room()
    alice = make_user()
    number = post_message(room=room, author=alice, text="hi").message.number
    react(alice.pk, room.pk, number, "👍", True, "")
    react(alice.pk, room.pk, number, "👍", False, "")
    message = Message.objects.get(room=room, number=number)
    assert message.reaction_summary == [] and not Reaction.objects.exists()


def test_a_message_changed_after_it_was_read_is_read_again_and_both_changes_stay(
    make_user, make_room, monkeypatch
):
    """An edit reads its message, a reaction to it commits, then the edit takes the room's
    lock: the edit must not write the message as it read it (the reaction would be lost)."""
    room = make_room()
    alice, bob = make_user(), make_user()
    number = post_message(room=room, author=alice, text="first").message.number
    read = changes.read_target
    reads = []

    def read_then_someone_reacts(room_id, message_number, *args):
        found = read(room_id, message_number, *args)
        reads.append(found.message.seq)
        if len(reads) == 1:
            react(bob.pk, room_id, message_number, "👍", True, "")
        return found

    monkeypatch.setattr(changes, "read_target", read_then_someone_reacts)
    changed = edit_message(alice.pk, room.pk, number, "second", "")
    # The edit reads it, the reaction reads it, the edit reads it again under the lock.
    assert reads == [1, 1, 2]
    message = Message.objects.get(room=room, number=number)
    assert (message.text, message.seq, changed.seq) == ("second", 3, 3)
    assert message.reaction_summary == summary_of(message) != []
    assert changed.event["reactions"] == message.reaction_summary
    assert room.__class__.objects.get(pk=room.pk).last_seq == 3


def test_the_migration_fills_the_summary_and_the_replied_flag(make_user, make_room):
    room = make_room()
    alice, bob = make_user("alice-m"), make_user("bob-m")
    parent = post_message(room=room, author=alice, text="parent").message
    post_message(room=room, author=bob, text="reply", reply_to=parent.number)
    # Rows as an older version stored them: reactions without a summary, no flag.
    Reaction.objects.create(message=parent, user=bob, emoji="👍")
    Reaction.objects.create(message=parent, user=alice, emoji="👍")
    Message.objects.update(reaction_summary=[], replied=False)
    migration = importlib.import_module("rooms.migrations.0005_reaction_summary")
    migration.fill(apps, None)
    parent.refresh_from_db()
    assert parent.replied
    assert parent.reaction_summary == [{"emoji": "👍", "count": 2, "users": ["bob-m", "alice-m"]}]
    assert not Message.objects.exclude(pk=parent.pk).filter(replied=True).exists()


def test_a_reaction_to_a_reply_whose_parent_is_deleted_meanwhile_quotes_no_deleted_text(
    make_user, make_room, monkeypatch
):
    """Bob's reaction reads the reply with its parent's text; a moderator deletes the
    parent before the reaction takes the room's lock: the reply must not be stored (or
    sent) quoting the deleted text again."""
    room = make_room()
    alice, bob, moderator = make_user(), make_user(), make_user(staff=True)
    parent = post_message(room=room, author=alice, text="regrettable words").message
    reply = post_message(room=room, author=bob, text="what?", reply_to=parent.number).message
    read = changes.read_target

    def read_then_the_parent_is_deleted(room_id, number, *args):
        found = read(room_id, number, *args)
        if number == reply.number and not Message.objects.filter(deleted__isnull=False):
            changes.delete_message(moderator.pk, room_id, parent.number)
        return found

    monkeypatch.setattr(changes, "read_target", read_then_the_parent_is_deleted)
    changed = react(bob.pk, room.pk, reply.number, "👍", True, "")
    stored = Message.objects.get(pk=reply.pk)
    assert "regrettable" not in stored.html
    assert changed.event["reply_to"] == {"id": parent.number, "username": None, "excerpt": None}
    assert stored.reaction_summary == summary_of(stored) != []


def test_an_edit_of_a_reply_keeps_quoting_its_parent(make_user, make_room):
    room = make_room()
    alice, bob = make_user("alice-q"), make_user("bob-q")
    parent = post_message(room=room, author=alice, text="the parent").message
    reply = post_message(room=room, author=bob, text="reply", reply_to=parent.number).message
    changed = edit_message(bob.pk, room.pk, reply.number, "reply, edited", "")
    assert changed.event["reply_to"] == {
        "id": parent.number,
        "username": "alice-q",
        "excerpt": "the parent",
    }
    assert "the parent" in Message.objects.get(pk=reply.pk).html


def test_when_the_first_giver_takes_an_emoji_back_it_moves_after_emoji_given_before(
    make_user, make_room
):
    room = make_room()
    a, b, c = make_user("a-o"), make_user("b-o"), make_user("c-o")
    number = post_message(room=room, author=a, text="hi").message.number
    react(a.pk, room.pk, number, "👍", True, "")
    react(b.pk, room.pk, number, "🎉", True, "")
    react(c.pk, room.pk, number, "👍", True, "")
    react(a.pk, room.pk, number, "👍", False, "")
    message = Message.objects.get(room=room, number=number)
    assert [(e["emoji"], e["users"]) for e in message.reaction_summary] == [
        ("🎉", ["b-o"]),
        ("👍", ["c-o"]),
    ]
    assert message.reaction_summary == summary_of(message)
