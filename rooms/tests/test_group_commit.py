"""Sends and joins stored in batches (rooms/group_posting.py, rooms/group_joining.py):
the same rules, refusals and events as one at a time, in fewer statements."""

from __future__ import annotations

import asyncio
import json

import pytest
from asgiref.sync import sync_to_async
from django.db import connection
from django.test.utils import CaptureQueriesContext

from rooms.errors import MESSAGE_EMPTY, ROOM_INVALID, ChatError
from rooms.events import message_event
from rooms.group_joining import Join
from rooms.group_posting import Send
from rooms.history import forget_latest_pages
from rooms.models import Membership, Message, Room, RoomKind
from rooms.notices import names_together
from rooms.posting import post_message
from rooms.room_commit import RoomCommit

from .conftest import STREAM, drain, joined

pytestmark = pytest.mark.django_db(transaction=True)


def flat(frames: list) -> list:
    """The frames, batch frames unpacked (chat.v2)."""
    return [item for frame in frames for item in frame.get("batch", [frame])]


def batch(*changes):
    """Run these changes as one batch of a lane: (room id, change) pairs."""
    return RoomCommit().run_batch([(change.room_id, change, None) for change in changes])


def sent(outcome) -> dict:
    seq, carried = outcome
    event = json.loads(carried["text"])
    assert event["seq"] == seq
    return event


def test_plain_sends_of_a_batch_are_stored_with_consecutive_seqs_and_their_events(
    make_user, make_room
):
    alice, bob = make_user("alice"), make_user("bob")
    general, random = make_room("General"), make_room("Random")
    outcomes = batch(
        Send(alice, general.pk, " hello ", "c1"),
        Send(bob, random.pk, "over here", "c2"),
        Send(bob, general.pk, "**hi** alice", "c3"),
    )
    events = [sent(outcome) for outcome in outcomes]
    assert [(e["room"], e["seq"]) for e in events] == [
        (general.pk, 1),
        (random.pk, 1),
        (general.pk, 2),
    ]
    for event in events:  # the event is what the stored row gives, as a send alone
        stored = Message.objects.select_related("author").get(room=event["room"], seq=event["seq"])
        assert event == message_event(stored)
    assert events[0]["message"] == "hello"  # cleaned as alone
    assert "<strong>hi</strong>" in events[2]["html"]
    assert Room.objects.get(pk=general.pk).last_seq == 2


def test_a_refused_send_in_a_batch_stores_nothing_and_the_others_are_stored(make_user, make_room):
    alice = make_user("alice")
    general = make_room("General")
    secret = make_room("Secret", kind=RoomKind.PRIVATE)
    outcomes = batch(
        Send(alice, secret.pk, "not a member", "c1"),
        Send(alice, general.pk, "   ", "c2"),
        Send(alice, general.pk, "fine", "c3"),
        Send(alice, 999_999, "no such room", "c4"),
    )
    assert isinstance(outcomes[0], ChatError) and outcomes[0].code == ROOM_INVALID
    assert isinstance(outcomes[1], ChatError) and outcomes[1].code == MESSAGE_EMPTY
    assert sent(outcomes[2])["seq"] == 1
    assert isinstance(outcomes[3], ChatError) and outcomes[3].code == ROOM_INVALID
    assert list(Message.objects.values_list("text", flat=True)) == ["fine"]
    assert Room.objects.get(pk=secret.pk).last_seq == 0


def test_a_retried_client_id_in_a_batch_is_acknowledged_again_and_stored_once(make_user, make_room):
    alice = make_user("alice")
    general = make_room("General")
    first = post_message(room=general, author=alice, text="once", client_id="same").message
    outcomes = batch(
        Send(alice, general.pk, "once", "same"),  # a retry of the stored one
        Send(alice, general.pk, "twice", "new"),
        Send(alice, general.pk, "twice", "new"),  # the same send on two sockets
    )
    assert outcomes[0] == (first.seq, None)
    assert sent(outcomes[1])["seq"] == 2
    assert outcomes[2] == (2, None)
    assert Message.objects.filter(room=general).count() == 2


def test_sends_with_a_mention_or_a_reply_go_alone_beside_the_plain_in_the_order_sent(
    make_user, make_room
):
    alice, bob = make_user("alice"), make_user("bob")
    general = make_room("General")
    Membership.objects.create(room=general, user=bob)
    post_message(room=general, author=bob, text="a question")
    outcomes = batch(
        Send(alice, general.pk, "plain", "c1"),
        Send(alice, general.pk, "hey @bob", "c2"),
        Send(alice, general.pk, "an answer", "c3", reply_to=1),
        Send(alice, general.pk, "plain again", "c4"),
    )
    events = [sent(outcome) for outcome in outcomes]
    # One socket's sends in flight share a batch: their seqs follow the order sent.
    assert [e["seq"] for e in events] == [2, 3, 4, 5]
    assert events[1]["mentions"] == ["bob"]
    assert events[2]["reply_to"]["id"] == 1


def test_a_batch_of_plain_sends_costs_a_fixed_number_of_statements(make_user, make_room):
    users = [make_user(f"u{n}") for n in range(6)]
    rooms = [make_room(f"R{n}") for n in range(3)]

    def statements(count: int) -> int:
        sends = [Send(users[n], rooms[n % 3].pk, f"m{n}", f"q{n}-{count}") for n in range(count)]
        with CaptureQueriesContext(connection) as queries:
            outcomes = batch(*sends)
        assert all(isinstance(outcome, tuple) for outcome in outcomes)
        return len(queries)

    assert statements(6) == statements(3)


def test_joins_of_a_batch_share_the_page_and_make_the_memberships_at_once(make_user, make_room):
    forget_latest_pages()
    users = [make_user(f"u{n}") for n in range(4)]
    general = make_room("General")
    secret = make_room("Secret", kind=RoomKind.PRIVATE)
    for n in range(3):
        post_message(room=general, author=users[0], text=f"history {n}")
    outcomes = batch(
        *(Join(user, general.pk, None) for user in users), Join(users[1], secret.pk, None)
    )
    pages = outcomes[:4]
    assert all(p.last_seq == 3 and [e["seq"] for e in p.history] == [1, 2, 3] for p in pages)
    assert all(p.history_frames is pages[0].history_frames for p in pages)  # read once
    assert isinstance(outcomes[4], ChatError) and outcomes[4].code == ROOM_INVALID
    assert Membership.objects.filter(room=general).count() == 4
    assert set(Membership.objects.filter(room=general).values_list("read_seq", flat=True)) == {3}


def test_a_crowds_joined_notices_are_merged_into_one():
    assert names_together(["ann"]) == "ann"
    assert names_together(["ann", "bob"]) == "ann and bob"
    assert names_together(["ann", "bob", "cid"]) == "ann, bob and cid"
    assert names_together([f"u{n}" for n in range(1000)]) == "u0, u1 and 998 others"


def test_a_big_rooms_news_is_merged_over_a_longer_window(settings, monkeypatch):
    from rooms import notices

    settings.CHAT_PRESENCE_COALESCE_SECONDS = 0.25
    settings.CHAT_PRESENCE_DELIVERIES_PER_SECOND = 2000
    monkeypatch.setattr(notices, "local_sockets", lambda group: 10)
    assert notices.news_window(1) == 0.25
    monkeypatch.setattr(notices, "local_sockets", lambda group: 5000)
    assert notices.news_window(1) == 2.5  # told of itself at most 2,000 times a second
    settings.CHAT_PRESENCE_DELIVERIES_PER_SECOND = 0
    assert notices.news_window(1) == 0.25  # no budget: the window as set
    settings.CHAT_PRESENCE_COALESCE_SECONDS = 0
    assert notices.news_window(1) == 0  # no merging at all


async def test_sockets_sending_at_once_are_all_acknowledged_and_everyone_gets_everything(
    connect, amake_user, amake_room, settings
):
    settings.NOTIFY_USERS_ON_ENTER_OR_LEAVE_ROOMS = False
    rooms = [await amake_room(f"Room {n}") for n in range(3)]
    users = [await amake_user(f"user{n}") for n in range(6)]
    sockets = [await joined(connect, user, rooms[n % 3]) for n, user in enumerate(users)]
    for socket in sockets:
        await drain(socket)
    await asyncio.gather(
        *(
            socket.send_json_to(
                {
                    "command": "send",
                    "room": rooms[n % 3].pk,
                    "message": f"m{n}",
                    "client_id": f"c{n}",
                }
            )
            for n, socket in enumerate(sockets)
        )
    )
    for n, socket in enumerate(sockets):
        frames = flat(await drain(socket))
        acks = [f for f in frames if f.get("ack") == f"c{n}"]
        texts = sorted(f["message"] for f in frames if "message" in f and "seq" in f)
        assert len(acks) == 1
        assert texts == sorted(f"m{k}" for k in range(6) if k % 3 == n % 3)
    seqs = await sync_to_async(lambda: sorted(Message.objects.values_list("room_id", "seq")))()
    assert seqs == sorted((room.pk, s) for room in rooms for s in (1, 2))


async def test_a_crowd_joining_at_once_each_get_the_history_and_the_join_reply(
    connect, amake_user, amake_room
):
    room = await amake_room("General")
    author = await amake_user("author")
    for n in range(5):
        await sync_to_async(post_message)(room=room, author=author, text=f"h{n}")
    users = [await amake_user(f"crowd{n}") for n in range(8)]
    sockets = [await connect(STREAM, user) for user in users]
    await asyncio.gather(
        *(socket.send_json_to({"command": "join", "room": room.pk}) for socket in sockets)
    )
    for socket in sockets:
        frames = flat(await drain(socket))
        assert {"join": room.pk, "title": "General", "seq": 5} in frames
        history = [f["message"] for f in frames if "seq" in f and "message" in f]
        assert history == [f"h{n}" for n in range(5)]
