"""Fixtures of the attachment tests: a temporary MEDIA_ROOT for every test (nothing is
left behind), users, rooms, logged-in clients, and files made with Pillow."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from rooms.models import MemberRole, Membership, RoomKind

# A PDF as small as filetype recognises one (its magic bytes are all it reads).
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    """Every file a test stores goes to its own temporary folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def bob(make_user):
    return make_user("bob")


@pytest.fixture
def room(make_room):
    return make_room("General")


@pytest.fixture
def private_room(make_room, alice):
    room = make_room("Plans", kind=RoomKind.PRIVATE)
    Membership.objects.create(room=room, user=alice, role=MemberRole.OWNER)
    return room


@pytest.fixture
def alice_client(alice) -> Client:
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def bob_client(bob) -> Client:
    client = Client()
    client.force_login(bob)
    return client


def image_bytes(size=(800, 600), fmt="PNG", mode="RGB", color=(30, 120, 200), **options) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, format=fmt, **options)
    return out.getvalue()


def upload_url(room) -> str:
    return f"/rooms/{room.pk}/attachments/"


def upload(client: Client, room, content: bytes, name: str, **extra):
    """POST a file as the page does (the browser's own type for it is ignored)."""
    file = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post(upload_url(room), {"file": file}, **extra)


def uploaded(client: Client, room, content: bytes, name: str) -> dict:
    response = upload(client, room, content, name)
    assert response.status_code == 201, response.content
    return response.json()


def stored_files(media: Path) -> list[Path]:
    return sorted(path for path in media.rglob("*") if path.is_file())


def read_stored(name: str) -> bytes:
    with default_storage.open(name, "rb") as file:
        return file.read()
