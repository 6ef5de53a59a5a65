"""Attachments in the rest of a message's life: its edits, reactions and replies, the
pages that show it, its deletion and its room's, the cleanup of unsent uploads, the
admin; and what a message without files costs."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from attachments.models import Attachment
from attachments.shown import MARKER
from rooms.changes import delete_message, edit_message
from rooms.errors import ChatError
from rooms.events import message_event
from rooms.models import Message
from rooms.posting import post_message, store_message
from rooms.reactions import react

from .conftest import PDF, image_bytes, stored_files, uploaded

pytestmark = pytest.mark.django_db


def send_with_file(client, room, author, text="look", content=PDF, name="a.pdf") -> Message:
    answer = uploaded(client, room, content, name)
    return post_message(room=room, author=author, text=text, attachments=[answer["id"]]).message


def html_of(message: Message) -> str:
    return Message.objects.get(pk=message.pk).html


def attachment_queries(captured) -> list[str]:
    """The statements that read or write attachments, beside the seq statement that
    tells whether a changed message has any."""
    table = Attachment._meta.db_table
    return [
        q["sql"]
        for q in captured
        if table in q["sql"] and not q["sql"].startswith("UPDATE rooms_room")
    ]


def test_a_message_without_files_costs_no_attachment_query_to_send_edit_react_or_delete(
    alice, room, settings
):
    settings.CHAT_MAX_MESSAGES_PER_MINUTE = 0
    with CaptureQueriesContext(connection) as sending:
        event, _ = store_message(alice, room.pk, "plain words", "")
    number = event["id"]
    with CaptureQueriesContext(connection) as changing:
        edit_message(alice.pk, room.pk, number, "plain words, edited", "")
        react(alice.pk, room.pk, number, "👍", True, "")
        react(alice.pk, room.pk, number, "👍", False, "")
        delete_message(alice.pk, room.pk, number)
    assert attachment_queries(sending.captured_queries) == []
    assert attachment_queries(changing.captured_queries) == []


def test_an_edit_and_a_reaction_keep_the_files_in_the_html(alice_client, alice, room):
    message = send_with_file(alice_client, room, alice)
    edit_message(alice.pk, room.pk, message.number, "look at this", "")
    assert MARKER in html_of(message) and "look at this" in html_of(message)
    changed = react(alice.pk, room.pk, message.number, "🎉", True, "")
    assert MARKER in changed.event["html"] and "a.pdf" in changed.event["html"]
    assert changed.event["attachments"][0]["name"] == "a.pdf"


def test_a_message_with_files_may_lose_its_text_and_one_without_may_not(alice_client, alice, room):
    with_file = send_with_file(alice_client, room, alice)
    edit_message(alice.pk, room.pk, with_file.number, "   ", "")
    assert Message.objects.get(pk=with_file.pk).text == ""
    assert MARKER in html_of(with_file)
    plain = post_message(room=room, author=alice, text="words").message
    with pytest.raises(ChatError) as refused:
        edit_message(alice.pk, room.pk, plain.number, "", "")
    assert refused.value.code == "MESSAGE_EMPTY"


def test_a_reply_to_a_message_with_files_keeps_its_own_files_when_the_parent_changes(
    alice_client, alice, room
):
    parent = post_message(room=room, author=alice, text="question").message
    answer = uploaded(alice_client, room, PDF, "answer.pdf")
    reply = post_message(
        room=room, author=alice, text="see file", reply_to=parent.number, attachments=[answer["id"]]
    ).message
    edit_message(alice.pk, room.pk, parent.number, "the question", "")
    html = html_of(reply)
    assert "the question" in html and "answer.pdf" in html


def test_older_pages_show_the_files(alice_client, alice, room, settings):
    settings.CHAT_HISTORY_ON_JOIN = 1
    send_with_file(alice_client, room, alice, name="early.pdf")
    newest = post_message(room=room, author=alice, text="later").message
    response = alice_client.get(f"/rooms/{room.pk}/messages/?before={newest.number}")
    (older,) = response.json()["messages"]
    assert older["attachments"][0]["name"] == "early.pdf"
    assert "early.pdf" in older["html"]


def test_a_message_text_that_looks_like_the_files_list_shows_no_files(alice, room):
    message = post_message(room=room, author=alice, text=MARKER + ">").message
    assert MARKER not in message.html
    assert "attachments" not in message_event(Message.objects.get(pk=message.pk))


def test_deleting_a_room_deletes_its_files(
    alice_client, alice, room, media, django_capture_on_commit_callbacks
):
    send_with_file(alice_client, room, alice, content=image_bytes((1600, 1200)), name="x.png")
    uploaded(alice_client, room, b"unsent", "draft.txt")
    assert len(stored_files(media)) == 3
    with django_capture_on_commit_callbacks(execute=True):
        room.delete()
    assert not Attachment.objects.exists()
    assert stored_files(media) == []


def test_a_deletion_that_rolls_back_keeps_the_files(
    alice_client, alice, room, media, django_capture_on_commit_callbacks
):
    uploaded(alice_client, room, b"keep me", "keep.txt")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        Attachment.objects.all().delete()
        transaction.set_rollback(True)
    assert Attachment.objects.count() == 1
    assert len(stored_files(media)) == 1


def test_the_cleanup_deletes_old_unsent_uploads_and_says_how_many(
    alice_client, alice, room, media, capsys, django_capture_on_commit_callbacks
):
    old = uploaded(alice_client, room, image_bytes((1600, 1200)), "old.png")
    recent = uploaded(alice_client, room, b"recent", "recent.txt")
    sent = send_with_file(alice_client, room, alice, name="sent.pdf")
    day_ago = timezone.now() - timedelta(hours=25)
    Attachment.objects.exclude(pk=recent["id"]).update(created=day_ago)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("delete_unsent_attachments")
    assert capsys.readouterr().out == "deleted 1 unsent upload older than 24 hours\n"
    left = set(Attachment.objects.values_list("pk", flat=True))
    assert left == {recent["id"], sent.attachments.get().pk}
    assert not Attachment.objects.filter(pk=old["id"]).exists()
    assert len(stored_files(media)) == 2  # the recent upload and the sent file


def test_the_cleanup_age_is_a_setting_and_an_option(alice_client, room, settings, capsys):
    settings.CHAT_UNSENT_ATTACHMENT_HOURS = 1
    uploaded(alice_client, room, b"x", "x.txt")
    Attachment.objects.update(created=timezone.now() - timedelta(hours=2))
    call_command("delete_unsent_attachments", hours=3)
    assert capsys.readouterr().out == "deleted 0 unsent uploads older than 3 hours\n"
    call_command("delete_unsent_attachments")
    assert capsys.readouterr().out == "deleted 1 unsent upload older than 1 hours\n"


def test_the_admin_lists_attachments_read_only(alice_client, alice, room, make_user):
    send_with_file(alice_client, room, alice, name="listed.pdf")
    admin = make_user("root", staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    page = client.get("/admin/attachments/attachment/")
    assert page.status_code == 200
    content = page.content.decode()
    assert "listed.pdf" in content and "General" in content and "alice" in content
    assert client.get("/admin/attachments/attachment/add/").status_code == 403
    pk = Attachment.objects.get().pk
    change = client.get(f"/admin/attachments/attachment/{pk}/change/")
    assert change.status_code == 200 and "Save" not in change.content.decode()


def test_a_stored_file_stays_when_nothing_deleted_it(alice_client, room):
    answer = uploaded(alice_client, room, b"x", "x.txt")
    assert default_storage.exists(Attachment.objects.get(pk=answer["id"]).file.name)
