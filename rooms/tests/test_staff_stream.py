"""The staff lobby's HTML stream: staff only, and closed when the staff flag goes."""

import json

import pytest
from asgiref.sync import sync_to_async

from chatapp.websocket import stream_path

pytestmark = pytest.mark.django_db(transaction=True)


async def commands_of(socket):
    return json.loads(await socket.receive_from())


async def test_staff_lobby_stream_refuses_a_user_who_is_not_staff(connect, amake_user):
    from rooms.signals import STAFF_LOBBY_STREAM

    member = await amake_user()
    socket = await connect(stream_path(STAFF_LOBBY_STREAM, member), member)
    assert (await commands_of(socket))[0][0] == "permission_denied"
    assert (await socket.receive_output())["code"] == 4403


async def test_staff_lobby_stream_closes_when_staff_is_removed_without_a_signal(
    connect, amake_user, settings
):
    from django.contrib.auth import get_user_model

    from rooms.signals import STAFF_LOBBY_STREAM

    settings.WEBSOCKET_AUTH_RECHECK_SECONDS = 0.2
    staff = await amake_user(staff=True)
    socket = await connect(stream_path(STAFF_LOBBY_STREAM, staff), staff)
    assert socket.connected
    users = get_user_model().objects.filter(pk=staff.pk)
    await sync_to_async(users.update)(is_staff=False)  # no signal, no event
    assert (await commands_of(socket))[0][0] == "permission_denied"
    assert (await socket.receive_output(timeout=3))["code"] == 4403
