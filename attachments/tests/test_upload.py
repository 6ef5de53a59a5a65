"""Uploading a file to a room: what is accepted, what it becomes, what is refused."""

import io
import re

import pytest
from django.test import Client
from PIL import ExifTags, Image, PngImagePlugin

from attachments.models import Attachment
from attachments.views import ERROR_STATUS
from rooms.access import get_room_for
from rooms.errors import ChatError, errors_for_page
from rooms.models import RoomKind

from .conftest import (
    HTML,
    PDF,
    SVG,
    image_bytes,
    read_stored,
    stored_files,
    upload,
    upload_url,
    uploaded,
)

pytestmark = pytest.mark.django_db


def test_an_uploaded_image_is_answered_with_what_the_page_shows(alice_client, alice, room):
    answer = uploaded(alice_client, room, image_bytes((640, 480)), "cat.png")
    attachment = Attachment.objects.get()
    assert answer == {
        "id": attachment.pk,
        "name": "cat.png",
        "size": attachment.size,
        "content_type": "image/png",
        "image": True,
        "width": 640,
        "height": 480,
        "url": f"/files/{attachment.pk}/cat.png",
        "thumbnail_url": f"/files/{attachment.pk}/thumbnail",
    }
    assert (attachment.uploader, attachment.room, attachment.message) == (alice, room, None)


def test_a_file_is_stored_under_a_random_name_never_the_users(alice_client, room, media):
    uploaded(alice_client, room, b"hello\n", "my secret plans.txt")
    (stored,) = stored_files(media)
    assert "secret" not in str(stored)
    assert re.fullmatch(r"[0-9a-f]{32}\.txt", stored.name)
    assert Attachment.objects.get().name == "my secret plans.txt"


def test_a_png_named_txt_is_a_png_and_gets_the_extension_of_one(alice_client, room):
    answer = uploaded(alice_client, room, image_bytes(), "notes.txt")
    assert (answer["content_type"], answer["image"]) == ("image/png", True)
    assert answer["name"] == "notes.txt.png"


@pytest.mark.parametrize(("content", "name"), [(HTML, "cat.png"), (SVG, "logo.svg")])
def test_html_and_svg_are_plain_text_whatever_their_name(alice_client, room, content, name):
    answer = uploaded(alice_client, room, content, name)
    assert (answer["content_type"], answer["image"], answer["thumbnail_url"]) == (
        "text/plain",
        False,
        None,
    )
    assert answer["name"] == f"{name}.txt"  # never opened as a page once downloaded


def test_a_pdf_and_a_zip_are_accepted_by_their_content(alice_client, room):
    assert uploaded(alice_client, room, PDF, "report")["content_type"] == "application/pdf"
    archive = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("a.txt", "hello")
    answer = uploaded(alice_client, room, archive.getvalue(), "files.zip")
    assert (answer["content_type"], answer["name"]) == ("application/zip", "files.zip")


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"MZ\x90\x00" + bytes(200), "a Windows program"),
        (b"\x1f\x8b\x08" + bytes(200), "gzip: not in the default list"),
        (b"plain text then \xff\xfe binary", "not UTF-8"),
        (b"text with a \x00 NUL", "a NUL"),
    ],
)
def test_a_type_not_allowed_is_415_and_nothing_is_stored(alice_client, room, media, content, why):
    response = upload(alice_client, room, content, "harmless.txt")
    assert (response.status_code, response.json()) == (415, {"error": "FILE_TYPE_REFUSED"}), why
    assert not Attachment.objects.exists() and stored_files(media) == []


def test_the_allowed_types_are_a_setting(alice_client, room, settings):
    settings.CHAT_UPLOAD_TYPES = ["application/pdf"]
    assert upload(alice_client, room, b"hello", "a.txt").status_code == 415
    assert upload(alice_client, room, PDF, "a.pdf").status_code == 201


def test_a_file_over_the_size_limit_is_413(alice_client, room, media, settings):
    settings.CHAT_MAX_UPLOAD_BYTES = 1000
    response = upload(alice_client, room, b"a" * 1001, "big.txt")
    assert (response.status_code, response.json()) == (413, {"error": "FILE_TOO_LARGE"})
    assert upload(alice_client, room, b"a" * 1000, "fits.txt").status_code == 201
    assert len(stored_files(media)) == 1


def test_the_size_refusal_says_the_limit():
    assert errors_for_page()["FILE_TOO_LARGE"]["text"] == "Files can be 10 MB at most."


def test_a_body_too_large_for_the_limit_is_refused_before_it_is_read(
    alice_client, room, monkeypatch
):
    import attachments.views

    def parsed(*args):
        raise AssertionError("the body was parsed")

    monkeypatch.setattr(attachments.views, "store_upload", parsed)
    response = alice_client.post(
        upload_url(room),
        data=b"--x\r\n",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(11 * 1024 * 1024),
    )
    assert (response.status_code, response.json()) == (413, {"error": "FILE_TOO_LARGE"})


def test_uploads_over_the_rate_are_429(alice_client, room, settings, one_rate_window):
    settings.CHAT_MAX_UPLOADS_PER_MINUTE = 2
    for n in range(2):
        assert upload(alice_client, room, b"hi", f"{n}.txt").status_code == 201
    response = upload(alice_client, room, b"hi", "3.txt")
    assert (response.status_code, response.json()) == (429, {"error": "RATE_LIMITED"})
    assert Attachment.objects.count() == 2


def test_an_upload_without_the_csrf_token_is_refused(alice, room, media):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert upload(client, room, b"hello", "a.txt").status_code == 403
    assert not Attachment.objects.exists() and stored_files(media) == []


def test_the_lobby_gives_the_composer_the_button_and_the_token_the_upload_takes(alice, room):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    page = client.get("/").content.decode()
    assert '<span class="visually-hidden">Attach a file</span>' in page
    assert 'data-upload-url="/rooms/0/attachments/"' in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    response = upload(client, room, b"hello", "a.txt", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201


def test_an_anonymous_upload_is_told_to_log_in(client, room):
    response = upload(client, room, b"hello", "a.txt")
    assert (response.status_code, response.json()) == (403, {"error": "USER_HAS_TO_LOGIN"})


def test_an_upload_to_a_room_the_user_cannot_see_is_refused_as_the_socket_refuses_it(
    bob, bob_client, private_room, make_room
):
    archived = make_room("Old", kind=RoomKind.PUBLIC)
    archived.archived = archived.created
    archived.save()
    staff_room = make_room("Staff", staff_only=True)
    for room in (private_room, staff_room, archived):
        with pytest.raises(ChatError) as socket_refusal:
            get_room_for(bob, room.pk)
        code = socket_refusal.value.code
        response = upload(bob_client, room, b"hello", "a.txt")
        assert (response.status_code, response.json()) == (ERROR_STATUS[code], {"error": code})
        assert response.status_code in (403, 404)
    assert not Attachment.objects.exists()


def test_an_upload_needs_exactly_one_file(alice_client, room):
    response = alice_client.post(upload_url(room), {"other": "x"})
    assert (response.status_code, response.json()) == (400, {"error": "BAD_REQUEST"})


def test_an_empty_file_is_file_invalid(alice_client, room):
    response = upload(alice_client, room, b"", "empty.txt")
    assert (response.status_code, response.json()) == (400, {"error": "FILE_INVALID"})


def test_a_large_image_gets_a_thumbnail_that_keeps_its_shape(alice_client, room):
    answer = uploaded(alice_client, room, image_bytes((1600, 1200)), "wide.png")
    attachment = Attachment.objects.get()
    thumbnail = Image.open(io.BytesIO(read_stored(attachment.thumbnail.name)))
    assert thumbnail.size == (400, 300)
    assert (answer["width"], answer["height"]) == (1600, 1200)
    assert answer["thumbnail_url"] == f"/files/{attachment.pk}/thumbnail"


def test_a_small_image_is_its_own_thumbnail(alice_client, room, media):
    answer = uploaded(alice_client, room, image_bytes((120, 80)), "icon.png")
    assert answer["thumbnail_url"] == answer["url"]
    assert len(stored_files(media)) == 1


def photo_with_gps(orientation: int = 6) -> bytes:
    """A phone's photo: where it was taken, which way up, a comment and XMP."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.Base.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (52.0, 31.0, 12.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (13.0, 24.0, 36.0),
    }
    return image_bytes(
        (800, 600),
        "JPEG",
        exif=exif,
        comment=b"taken at home",
        xmp=b"<x:xmpmeta>home</x:xmpmeta>",
    )


def test_a_photo_is_turned_upright_and_its_gps_position_is_gone(alice_client, room):
    original = photo_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    answer = uploaded(alice_client, room, original, "holiday.jpg")
    stored = read_stored(Attachment.objects.get().file.name)
    image = Image.open(io.BytesIO(stored))
    assert image.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
    assert dict(image.getexif()) == {}
    assert b"Exif" not in stored and b"PhoneMaker" not in stored
    assert b"taken at home" not in stored and b"xmpmeta" not in stored
    # Orientation 6: the camera was held sideways; stored upright.
    assert (answer["width"], answer["height"]) == (600, 800) == image.size


def test_a_png_loses_its_text_chunks_and_exif(alice_client, room):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "my address")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    uploaded(alice_client, room, image_bytes(pnginfo=info, exif=exif), "shot.png")
    stored = read_stored(Attachment.objects.get().file.name)
    assert b"my address" not in stored and b"PhoneMaker" not in stored


def test_a_gif_is_kept_as_uploaded(alice_client, room):
    frames = [Image.new("P", (60, 40), n) for n in range(3)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=80, loop=0)
    uploaded(alice_client, room, out.getvalue(), "dance.gif")
    assert read_stored(Attachment.objects.get().file.name) == out.getvalue()


def test_a_decompression_bomb_is_refused_before_it_is_decoded(alice_client, room, media):
    bomb = image_bytes((20_000, 20_000), mode="1", color=0)  # 400 megapixels in ~50 KB
    assert len(bomb) < 100_000
    response = upload(alice_client, room, bomb, "small.png")
    assert (response.status_code, response.json()) == (413, {"error": "IMAGE_TOO_LARGE"})
    assert stored_files(media) == []


def test_a_broken_image_is_file_invalid(alice_client, room):
    truncated = image_bytes((400, 400), "JPEG")[:600]
    response = upload(alice_client, room, truncated, "broken.jpg")
    assert (response.status_code, response.json()) == (400, {"error": "FILE_INVALID"})


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd", "passwd.txt"),
        ("C:\\Users\\me\\notes.md", "notes.md"),
        ("evil\u202egpj.exe", "evilgpj.exe.txt"),  # no right-to-left override trick
        ("  spaced \t out .txt ", "spaced out.txt"),
        ("...", "file.txt"),
        ("x" * 300 + ".txt", "x" * 196 + ".txt"),
        ("Ünïcödé.TXT", "Ünïcödé.TXT"),
    ],
)
def test_names_are_cleaned_for_display_and_download(alice_client, room, name, shown):
    assert uploaded(alice_client, room, b"hello", name)["name"] == shown
