"""Sending files over /chat/stream/: the `send` command's `attachments`, through the
routed application."""

import pytest
from asgiref.sync import sync_to_async
from django.core.files.storage import default_storage
from django.test import Client

from attachments.models import Attachment
from rooms.models import Message
from rooms.tests.conftest import STREAM, drain, joined

from .conftest import PDF, image_bytes, uploaded

pytestmark = pytest.mark.django_db(transaction=True)


@sync_to_async
def upload_as(user, room, content=None, name="cat.png"):
    client = Client()
    client.force_login(user)
    return uploaded(client, room, content or image_bytes((1600, 1200)), name)


@sync_to_async
def attachment_rows():
    return list(Attachment.objects.values_list("pk", "message__number"))


async def send(socket, room, **fields):
    """Send; the frames it got back (the ack or error first), waiting for the message's
    own event (or the refusal) however slow the machine, then for what follows it."""
    await drain(socket)
    await socket.send_json_to({"command": "send", "room": room.pk, **fields})
    frames = [await socket.receive_json_from(timeout=10)]  # the ack, or the refusal
    # The message's event follows a new message's ack (a retry's ack comes alone).
    if "ack" in frames[0] and not await socket.receive_nothing(timeout=3):
        frames.append(await socket.receive_json_from())
    return frames + await drain(socket)


async def test_bob_sees_the_image_alice_sends_without_text(connect, room, alice, bob):
    answer = await upload_as(alice, room)
    mine, theirs = await joined(connect, alice, room), await joined(connect, bob, room)
    frames = await send(mine, room, message="", attachments=[answer["id"]], client_id="c1")
    assert frames[0] == {"ack": "c1", "room": room.pk, "seq": 1}
    (event,) = [f for f in await drain(theirs) if "html" in f]
    assert event["message"] == ""
    assert event["attachments"] == [answer]
    html = event["html"]
    assert f'<a href="{answer["url"]}" target="_blank" rel="noopener noreferrer">' in html
    assert f'<img src="{answer["thumbnail_url"]}" alt="cat.png" width="400" height="300"' in html
    assert await attachment_rows() == [(answer["id"], 1)]


async def test_a_file_shows_its_name_size_and_type_as_a_download(connect, room, alice):
    answer = await upload_as(alice, room, PDF, "minutes.pdf")
    socket = await joined(connect, alice, room)
    frames = await send(socket, room, message="the minutes", attachments=[answer["id"]])
    (event,) = [f for f in frames if "html" in f]
    assert f'<a href="{answer["url"]}" download="minutes.pdf">' in event["html"]
    assert f'<span class="msg-file-info">{len(PDF)} bytes, PDF</span>' in event["html"]


@pytest.mark.parametrize("whose", ["another user's", "already sent", "another room's", "missing"])
async def test_an_id_that_is_not_ones_own_waiting_upload_is_file_invalid(
    connect, room, alice, bob, amake_room, whose
):
    other_room = await amake_room("Other")
    socket = await joined(connect, alice, room)
    if whose == "another user's":
        file_id = (await upload_as(bob, room))["id"]
    elif whose == "already sent":
        file_id = (await upload_as(alice, room))["id"]
        await send(socket, room, message="first", attachments=[file_id])
    elif whose == "another room's":
        file_id = (await upload_as(alice, other_room))["id"]
    else:
        file_id = 987654
    before = await sync_to_async(Message.objects.count)()
    frames = await send(socket, room, message="again", attachments=[file_id], client_id="c2")
    assert frames == [{"error": "FILE_INVALID", "room": room.pk, "client_id": "c2"}]
    assert await sync_to_async(Message.objects.count)() == before


async def test_one_bad_id_stores_nothing_and_links_none(connect, room, alice, bob):
    mine, theirs = (await upload_as(alice, room))["id"], (await upload_as(bob, room))["id"]
    socket = await joined(connect, alice, room)
    frames = await send(socket, room, message="both", attachments=[mine, theirs])
    assert frames == [{"error": "FILE_INVALID", "room": room.pk}]
    assert sorted(await attachment_rows()) == [(mine, None), (theirs, None)]
    frames = await send(socket, room, message="mine", attachments=[mine])
    assert frames[0] == {"ack": None, "room": room.pk, "seq": 1}  # the seq was not taken


async def test_a_retried_send_links_nothing_twice(connect, room, alice, bob):
    answer = await upload_as(alice, room)
    socket, listener = await joined(connect, alice, room), await joined(connect, bob, room)
    frame = {"message": "cat", "attachments": [answer["id"]], "client_id": "same"}
    first = await send(socket, room, **frame)
    again = await send(socket, room, **frame)
    assert first[0] == again[0] == {"ack": "same", "room": room.pk, "seq": 1}
    assert await sync_to_async(Message.objects.count)() == 1
    assert await attachment_rows() == [(answer["id"], 1)]
    events = [f for f in await drain(listener) if "html" in f]
    assert len(events) == 1  # broadcast once


async def test_more_files_than_a_message_carries_is_too_many_files(connect, room, alice, settings):
    settings.CHAT_MAX_ATTACHMENTS_PER_MESSAGE = 2
    socket = await joined(connect, alice, room)
    frames = await send(socket, room, message="x", attachments=[1, 2, 3])
    assert frames == [{"error": "TOO_MANY_FILES", "room": room.pk}]


@pytest.mark.parametrize("value", ["1", [True], [1.5], {"id": 1}, ["a"]])
async def test_a_malformed_attachments_field_is_bad_request(connect, room, alice, value):
    socket = await joined(connect, alice, room)
    frames = await send(socket, room, message="x", attachments=value)
    assert frames == [{"error": "BAD_REQUEST", "room": room.pk}]


async def test_a_send_without_text_or_files_is_still_message_empty(connect, room, alice):
    socket = await joined(connect, alice, room)
    for frame in ({"message": "  "}, {"message": "", "attachments": []}):
        assert await send(socket, room, **frame) == [{"error": "MESSAGE_EMPTY", "room": room.pk}]


async def test_deleting_the_message_deletes_its_files(connect, room, alice):
    answer = await upload_as(alice, room)
    socket = await joined(connect, alice, room)
    await send(socket, room, message="soon gone", attachments=[answer["id"]])
    row = await sync_to_async(Attachment.objects.get)()
    names = row.stored_files()
    assert len(names) == 2 and all(default_storage.exists(name) for name in names)
    await socket.send_json_to({"command": "delete", "room": room.pk, "id": 1})
    frames = await drain(socket)
    assert frames[0] == {"ack": None, "room": room.pk, "seq": 2}
    assert await attachment_rows() == []
    assert not any(default_storage.exists(name) for name in names)


async def test_a_rejoin_shows_the_files_in_the_history(connect, room, alice, bob):
    answer = await upload_as(alice, room, PDF, "notes.pdf")
    socket = await joined(connect, alice, room)
    await send(socket, room, message="read this", attachments=[answer["id"]])
    late = await connect(STREAM, bob)
    await late.send_json_to({"command": "join", "room": room.pk})
    history = [f for f in await drain(late) if "html" in f]
    assert history[0]["attachments"] == [answer]
    assert 'class="msg-files"' in history[0]["html"]
