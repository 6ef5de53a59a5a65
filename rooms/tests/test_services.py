"""Seq assignment, idempotent sends and visibility rules."""

import threading

import pytest
from django.db import connection

from rooms.access import get_room_for
from rooms.errors import ChatError
from rooms.history import messages_before, recent_messages
from rooms.models import Message, Room
from rooms.posting import clean_text, post_message


@pytest.mark.django_db
def test_seqs_start_at_one_and_count_up_per_room(make_room, make_user):
    first, second = make_room("A"), make_room("B")
    author = make_user()
    seqs = [
        post_message(room=r, author=author, text="x").message.seq for r in (first, first, second)
    ]
    assert seqs == [1, 2, 1]


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_get_distinct_consecutive_seqs(make_room, make_user):
    room = make_room()
    authors = [make_user() for _ in range(8)]
    errors = []

    def send(author):
        try:
            for n in range(5):
                post_message(room=room, author=author, text=f"{author.username} {n}")
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(a,)) for a in authors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(Message.objects.filter(room=room).values_list("seq", flat=True)) == list(
        range(1, 41)
    )


@pytest.mark.django_db
def test_same_client_id_returns_the_stored_message(make_room, make_user):
    room, author = make_room(), make_user()
    first = post_message(room=room, author=author, text="hi", client_id="c1")
    again = post_message(room=room, author=author, text="hi", client_id="c1")
    assert first.created and not again.created
    assert again.message.pk == first.message.pk
    assert Message.objects.count() == 1


@pytest.mark.django_db
def test_client_ids_are_per_author(make_room, make_user):
    room = make_room()
    post_message(room=room, author=make_user(), text="a", client_id="same")
    post_message(room=room, author=make_user(), text="b", client_id="same")
    assert Message.objects.count() == 2


@pytest.mark.django_db
def test_staff_only_rooms_are_hidden_from_members(make_room, make_user):
    make_room("Open")
    make_room("Closed", staff_only=True)
    assert [r.title for r in Room.objects.visible_to(make_user())] == ["Open"]
    assert [r.title for r in Room.objects.visible_to(make_user(staff=True))] == ["Closed", "Open"]


@pytest.mark.django_db
def test_rooms_are_ordered_by_title(make_room, make_user):
    for title in ("b", "C", "a"):
        make_room(title)
    assert [r.title for r in Room.objects.visible_to(make_user())] == ["C", "a", "b"]


@pytest.mark.django_db
def test_get_room_for_member_denies_staff_room(make_room, make_user):
    room = make_room(staff_only=True)
    with pytest.raises(ChatError) as error:
        get_room_for(make_user(), room.pk)
    assert error.value.code == "ROOM_ACCESS_DENIED"


@pytest.mark.parametrize("text", ["", "  ", "\n"])
def test_blank_text_is_empty(text):
    with pytest.raises(ChatError, match="MESSAGE_EMPTY"):
        clean_text(text)


def test_text_over_the_limit_is_too_long(settings):
    settings.CHAT_MAX_MESSAGE_LENGTH = 5
    assert clean_text("12345") == "12345"
    with pytest.raises(ChatError, match="MESSAGE_TOO_LONG"):
        clean_text("123456")


@pytest.mark.django_db
def test_history_pages_are_oldest_first(make_room, make_user, settings):
    room, author = make_room(), make_user()
    for n in range(1, 8):
        post_message(room=room, author=author, text=str(n))
    assert [m.seq for m in recent_messages(room, 3)] == [5, 6, 7]
    settings.CHAT_HISTORY_ON_JOIN = 2
    assert [m.number for m in messages_before(room, 5)] == [3, 4]
    assert messages_before(room, 1) == []


@pytest.mark.django_db
def test_slug_is_made_from_the_title(make_room):
    assert make_room("Coffee & Tea").slug == "coffee-tea"
