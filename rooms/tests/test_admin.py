"""Moderation in the admin: deletions go through the service (tombstone, seq, log)."""

import pytest
from django.test import Client

from rooms.models import Message, MessageChange
from rooms.posting import post_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(make_user):
    user = make_user("moderator", staff=True, is_superuser=True)
    client = Client()
    client.force_login(user)
    return client


def test_a_bulk_deletion_in_the_admin_leaves_tombstones_with_new_seqs(
    moderator, make_room, make_user
):
    room, alice = make_room("General"), make_user("alice")
    posted = [post_message(room=room, author=alice, text=f"m{n}").message for n in range(3)]
    response = moderator.post(
        "/admin/rooms/message/",
        {
            "action": "delete_selected",
            "_selected_action": [posted[0].pk, posted[2].pk],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    rows = {m.number: m for m in Message.objects.filter(room=room)}
    assert len(rows) == 3  # rows stay: resuming clients are told
    assert [(rows[n].text, rows[n].deleted is not None) for n in (1, 2, 3)] == [
        ("", True),
        ("m1", False),
        ("", True),
    ]
    assert sorted(rows[n].seq for n in (1, 3)) == [4, 5]
    room.refresh_from_db()
    assert room.last_seq == 5


def test_the_moderation_log_says_who_deleted_whose_message(moderator, make_room, make_user):
    room, alice = make_room("General"), make_user("alice")
    message = post_message(room=room, author=alice, text="rude").message
    moderator.post(f"/admin/rooms/message/{message.pk}/delete/", {"post": "yes"})
    entry = MessageChange.objects.get()
    assert (entry.kind, entry.actor.username, entry.message.author.username) == (
        "delete",
        "moderator",
        "alice",
    )
    moderator.get("/admin/")  # shows (and uses up) the "was deleted" notice
    page = moderator.get("/admin/rooms/moderationlogentry/").content.decode()
    assert "moderator" in page and "alice" in page and "rude" not in page


def test_the_admin_shows_message_text_read_only(moderator, make_room, make_user):
    message = post_message(room=make_room(), author=make_user(), text="as sent").message
    page = moderator.get(f"/admin/rooms/message/{message.pk}/change/").content.decode()
    assert 'name="text"' not in page and "as sent" in page
