"""Serving files: access checked on every request, headers that keep a file from acting
as a page of the site."""

import pytest
from django.core.files.storage import default_storage
from django.test import Client

from attachments.models import Attachment
from rooms.changes import delete_message
from rooms.models import Membership
from rooms.posting import post_message

from .conftest import HTML, PDF, image_bytes, read_stored, uploaded

pytestmark = pytest.mark.django_db


def sent(client, room, author, content, name, text="here"):
    """Upload a file and send it in a message; the upload's answer, and the message."""
    answer = uploaded(client, room, content, name)
    message = post_message(room=room, author=author, text=text, attachments=[answer["id"]]).message
    return answer, message


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_sent_image_is_shown_inline_to_the_room_with_protective_headers(
    alice_client, bob_client, alice, room
):
    answer, _ = sent(alice_client, room, alice, image_bytes(), "cat.png")
    response = bob_client.get(answer["url"])
    assert response.status_code == 200
    assert body(response) == read_stored(Attachment.objects.get().file.name)
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="cat.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-cache"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert int(response["Content-Length"]) == answer["size"]


def test_a_pdf_downloads_under_its_name_encoded_for_any_browser(
    alice_client, bob_client, alice, room
):
    answer, _ = sent(alice_client, room, alice, PDF, "Résumé 2024.pdf")
    response = bob_client.get(answer["url"])
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''R%C3%A9sum%C3%A9%202024.pdf"
    )
    assert body(response) == PDF


def test_html_named_png_downloads_as_plain_text(alice_client, bob_client, alice, room):
    answer, _ = sent(alice_client, room, alice, HTML, "cat.png")
    response = bob_client.get(answer["url"])
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="cat.png.txt"'
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_thumbnail_is_served_like_its_image(alice_client, bob_client, alice, room):
    answer, _ = sent(alice_client, room, alice, image_bytes((1600, 1200)), "big.png")
    response = bob_client.get(answer["thumbnail_url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_an_unsent_upload_is_its_uploaders_alone(alice_client, bob_client, room):
    answer = uploaded(alice_client, room, image_bytes((1600, 1200)), "draft.png")
    assert alice_client.get(answer["url"]).status_code == 200
    assert bob_client.get(answer["url"]).status_code == 404
    assert bob_client.get(answer["thumbnail_url"]).status_code == 404


def test_a_private_rooms_file_is_404_for_a_non_member_whatever_its_url(
    alice_client, bob_client, alice, bob, private_room
):
    answer, _ = sent(alice_client, private_room, alice, image_bytes((1600, 1200)), "plan.png")
    assert alice_client.get(answer["url"]).status_code == 200
    pk = answer["id"]
    for url in (answer["url"], answer["thumbnail_url"], f"/files/{pk}/other-name.png"):
        assert bob_client.get(url).status_code == 404
    Membership.objects.create(room=private_room, user=bob)
    assert bob_client.get(answer["url"]).status_code == 200


def test_a_member_removed_from_the_room_loses_its_files_at_once(
    alice_client, bob_client, alice, bob, private_room
):
    Membership.objects.create(room=private_room, user=bob)
    answer, _ = sent(alice_client, private_room, alice, PDF, "plan.pdf")
    assert bob_client.get(answer["url"]).status_code == 200
    Membership.objects.filter(user=bob).delete()
    assert bob_client.get(answer["url"]).status_code == 404


def test_an_archived_rooms_files_are_404(alice_client, bob_client, alice, room):
    answer, _ = sent(alice_client, room, alice, PDF, "old.pdf")
    room.archived = room.created
    room.save()
    assert bob_client.get(answer["url"]).status_code == 404
    assert alice_client.get(answer["url"]).status_code == 404


def test_a_deleted_messages_files_are_gone(
    alice_client, bob_client, alice, room, django_capture_on_commit_callbacks
):
    answer, message = sent(alice_client, room, alice, image_bytes((1600, 1200)), "gone.png")
    attachment = Attachment.objects.get()
    names = [attachment.file.name, attachment.thumbnail.name]
    with django_capture_on_commit_callbacks(execute=True):
        delete_message(alice.pk, room.pk, message.number)
    assert bob_client.get(answer["url"]).status_code == 404
    assert alice_client.get(answer["url"]).status_code == 404
    assert not Attachment.objects.exists()
    assert not any(default_storage.exists(name) for name in names)


def test_nobody_logged_out_gets_a_file(client, alice_client, alice, room):
    answer, _ = sent(alice_client, room, alice, PDF, "a.pdf")
    assert client.get(answer["url"]).status_code == 404
    assert client.get("/files/999999/x.pdf").status_code == 404


def test_a_copy_the_browser_kept_is_confirmed_after_the_access_check(
    alice_client, bob_client, alice, room
):
    answer, _ = sent(alice_client, room, alice, PDF, "a.pdf")
    etag = bob_client.get(answer["url"])["ETag"]
    again = bob_client.get(answer["url"], HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again["Cache-Control"] == "private, no-cache"
    room.archived = room.created
    room.save()
    assert bob_client.get(answer["url"], HTTP_IF_NONE_MATCH=etag).status_code == 404


def test_a_file_is_not_served_to_a_post(alice_client, alice, room):
    answer, _ = sent(alice_client, room, alice, PDF, "a.pdf")
    assert alice_client.post(answer["url"]).status_code == 405


def test_a_logged_in_client_without_the_room_sees_a_staff_rooms_file_as_missing(
    make_user, make_room, alice
):
    staff = make_user("boss", staff=True)
    staff_client = Client()
    staff_client.force_login(staff)
    lounge = make_room("Lounge", staff_only=True)
    answer, _ = sent(staff_client, lounge, staff, PDF, "minutes.pdf")
    client = Client()
    client.force_login(alice)
    assert client.get(answer["url"]).status_code == 404


def test_a_head_request_gets_the_headers_without_the_file(alice_client, bob_client, alice, room):
    answer, _ = sent(alice_client, room, alice, PDF, "a.pdf")
    response = bob_client.head(answer["url"])
    assert response.status_code == 200
    assert response["Content-Length"] == str(len(PDF))
    assert response["Content-Disposition"] == 'attachment; filename="a.pdf"'
    assert response.content == b""
