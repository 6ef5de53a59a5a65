"""Files over the API: uploaded by a bot, sent with a post, shown to the room as the
page's uploads are; refused with the upload's codes."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from attachments.models import Attachment
from rooms.models import MemberRole, Membership, Message, RoomKind

pytestmark = pytest.mark.django_db


def png() -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(data, "PNG")
    data.seek(0)
    data.name = "chart.txt"  # the name says text: the content decides
    return data


def upload(api, room, file):
    return api.post(f"/api/v1/rooms/{room.pk}/attachments", {"file": file}, format="multipart")


def test_a_bot_uploads_an_image_and_posts_it(api_for, alice, bob, general, client):
    api = api_for(alice)
    uploaded = upload(api, general, png())
    assert uploaded.status_code == 201
    file = uploaded.json()
    assert (file["content_type"], file["image"], file["width"]) == ("image/png", True, 40)
    posted = api.post(
        f"/api/v1/rooms/{general.pk}/messages",
        {"text": "", "attachments": [file["id"]]},
        format="json",
    )
    assert posted.status_code == 201
    message = posted.json()["message"]
    assert [a["id"] for a in message["attachments"]] == [file["id"]]
    assert file["url"] in message["html"]
    client.force_login(bob)
    assert client.get(file["url"]).status_code == 200  # a member's page gets the file


def test_a_file_is_refused_for_its_content_and_size(api_for, alice, general, settings):
    api = api_for(alice)
    exe = io.BytesIO(b"MZ\x90\x00" + bytes(200))
    exe.name = "tool.png"
    refused = upload(api, general, exe)
    assert (refused.status_code, refused.json()["error"]) == (415, "FILE_TYPE_REFUSED")
    settings.CHAT_MAX_UPLOAD_BYTES = 10
    too_big = upload(api, general, png())
    assert (too_big.status_code, too_big.json()["error"]) == (413, "FILE_TOO_LARGE")
    assert not Attachment.objects.exists()


def test_no_upload_into_a_room_of_others_and_no_sending_anothers_file(
    api_for, alice, bob, general, make_room
):
    secret = make_room("Secret", kind=RoomKind.PRIVATE)
    Membership.objects.create(room=secret, user=bob, role=MemberRole.OWNER)
    alices, bobs = api_for(alice), api_for(bob)
    refused = upload(alices, secret, png())
    assert (refused.status_code, refused.json()["error"]) == (404, "ROOM_INVALID")
    bobs_file = upload(bobs, general, png()).json()["id"]
    taken = alices.post(
        f"/api/v1/rooms/{general.pk}/messages",
        {"text": "mine now", "attachments": [bobs_file]},
        format="json",
    )
    assert (taken.status_code, taken.json()["error"]) == (400, "FILE_INVALID")
    assert not Message.objects.exists()
