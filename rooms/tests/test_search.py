"""Search: only what the user may see now, as it is now, on both ways of searching."""

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rooms.changes import delete_message, edit_message
from rooms.models import Membership, Room, RoomKind
from rooms.posting import post_message
from rooms.search import search_messages

pytestmark = pytest.mark.django_db

WAYS = [False, True] if connection.vendor == "postgresql" else [False]


@pytest.fixture(params=WAYS, ids=lambda full: "full-text" if full else "substring")
def full_text(request):
    return request.param


def found(user, query, full_text, **kwargs):
    return [
        (hit.room_id, hit.number)
        for hit in search_messages(user, query, full_text=full_text, **kwargs)
    ]


def test_an_edited_word_is_found_and_a_deleted_message_is_not(make_user, make_room, full_text):
    alice = make_user("alice")
    room = make_room("General")
    first = post_message(room=room, author=alice, text="the blue lagoon").message
    second = post_message(room=room, author=alice, text="a crimson tide").message
    edit_message(alice.pk, room.pk, first.number, "the green lagoon", "")
    delete_message(alice.pk, room.pk, second.number)
    assert found(alice, "green", full_text) == [(room.pk, first.number)]
    assert found(alice, "blue", full_text) == []
    assert found(alice, "crimson", full_text) == []


def test_every_word_must_match_and_a_minus_word_leaves_out(make_user, make_room, full_text):
    alice = make_user("alice")
    room = make_room("General")
    both = post_message(room=room, author=alice, text="deploy the release today").message
    post_message(room=room, author=alice, text="deploy tomorrow")
    assert found(alice, "deploy release", full_text) == [(room.pk, both.number)]
    assert found(alice, "deploy -release", full_text) != found(alice, "deploy", full_text)


def test_a_snippet_marks_the_match_and_escapes_the_text(make_user, make_room, full_text):
    alice = make_user("alice")
    room = make_room("General")
    post_message(room=room, author=alice, text="<script>alert(1)</script> needle \ue000 here")
    [hit] = search_messages(alice, "needle", full_text=full_text)
    assert "<mark>needle</mark>" in hit.snippet
    assert "<script>" not in hit.snippet and "&lt;script&gt;" in hit.snippet
    assert hit.snippet.count("<mark>") == hit.snippet.count("</mark>")


def test_the_room_filter_narrows_to_one_room(make_user, make_room, full_text):
    alice = make_user("alice")
    one, two = make_room("One"), make_room("Two")
    for room in (one, two):
        post_message(room=room, author=alice, text="shared word")
    assert {r for r, _ in found(alice, "shared", full_text, room_id=two.pk)} == {two.pk}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rooms=st.lists(
        st.tuples(
            st.sampled_from([RoomKind.PUBLIC, RoomKind.PRIVATE, RoomKind.DIRECT]),
            st.booleans(),  # staff-only
            st.booleans(),  # the searcher is a member
            st.booleans(),  # archived
        ),
        min_size=1,
        max_size=6,
    ),
    staff=st.booleans(),
    full=st.sampled_from(WAYS),
)
def test_search_finds_exactly_the_messages_of_rooms_the_user_may_see(make_user, rooms, staff, full):
    from django.utils import timezone

    with transaction.atomic():
        searcher = make_user("searcher", staff=staff)
        author = make_user("author")
        expected = set()
        for n, (kind, staff_only, member, archived) in enumerate(rooms):
            room = Room.objects.create(
                title=f"R{n}",
                kind=kind,
                staff_only=staff_only,
                archived=timezone.now() if archived else None,
                direct_key=str(10_000 + n) if kind == RoomKind.DIRECT else None,
            )
            if member:
                Membership.objects.create(room=room, user=searcher)
            message = post_message(room=room, author=author, text=f"needle {n}").message
            # The oracle, apart from the code's rule (rooms.models.may_see_room).
            sees = (
                not archived and (not staff_only or staff) and (kind == RoomKind.PUBLIC or member)
            )
            if sees:
                expected.add((room.pk, message.number))
        assert set(found(searcher, "needle", full)) == expected
        transaction.set_rollback(True)


def test_the_search_page_lists_hits_linking_into_the_room(client, make_user, make_room):
    alice = make_user("alice")
    room = make_room("General")
    message = post_message(room=room, author=alice, text="find <b>me</b> please").message
    client.force_login(alice)
    page = client.get("/search/", {"q": "find"}).content.decode()
    assert f'href="/rooms/{room.pk}/?message={message.number}"' in page
    assert "<mark>find</mark>" in page.lower() or "<mark>Find</mark>" in page
    assert "&lt;b&gt;me&lt;/b&gt;" in page
    assert 'role="search"' in page  # the header's box too


def test_a_room_filter_naming_a_room_one_may_not_see_is_ignored(client, make_user, make_room):
    alice, bob = make_user("alice"), make_user("bob")
    secret = Room.objects.create(title="Secret", kind=RoomKind.PRIVATE)
    Membership.objects.create(room=secret, user=bob)
    post_message(room=secret, author=bob, text="hidden needle")
    client.force_login(alice)
    page = client.get("/search/", {"q": "needle", "room": secret.pk}).content.decode()
    assert "Secret" not in page and "hidden needle" not in page
    assert "Nothing found" in page


def test_search_needs_a_login(client):
    assert client.get("/search/", {"q": "x"}).status_code == 302


def test_postgresql_searches_through_the_gin_index(needs_postgres, make_user):
    from rooms.models import Message
    from rooms.search import _postgres

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a test table is tiny
        cursor.execute("SET LOCAL enable_indexscan = off")  # not newest first by id
    plan = _postgres(Message.objects.all(), "needle").explain()
    assert "message_search_document" in plan


def test_the_stored_document_follows_every_insert_and_edit(needs_postgres, make_user, make_room):
    """The trigger of migration 0009, also for rows written around the services."""
    from rooms.models import Message

    alice = make_user("alice")
    room = make_room("General")
    [message] = Message.objects.bulk_create(
        [Message(room=room, author=alice, number=1, seq=1, text="straight in")]
    )
    assert found(alice, "straight", True) == [(room.pk, 1)]
    Message.objects.filter(pk=message.pk).update(text="changed around")
    assert found(alice, "straight", True) == []
    assert found(alice, "changed", True) == [(room.pk, 1)]


def test_the_migration_fills_the_documents_of_rows_without_one(
    needs_postgres, make_user, make_room
):
    import importlib

    migration = importlib.import_module("rooms.migrations.0009_search_document")
    alice = make_user("alice")
    room = make_room("General")
    number = post_message(room=room, author=alice, text="older needle").message.number
    with connection.cursor() as cursor:
        cursor.execute("UPDATE rooms_message SET search_document = NULL")
    assert found(alice, "needle", True) == []
    migration.backfill(connection)
    assert found(alice, "needle", True) == [(room.pk, number)]


def test_the_newest_matches_are_ranked(needs_postgres, make_user, make_room, monkeypatch):
    """A common word's best match among its newest RANK_CANDIDATES matches comes first,
    an older one does not take part."""
    monkeypatch.setattr("rooms.search.RANK_CANDIDATES", 2)
    alice = make_user("alice")
    room = make_room("General")
    texts = ["needle needle needle", "a needle", "needle needle", "one needle more"]
    numbers = [post_message(room=room, author=alice, text=t).message.number for t in texts]
    assert found(alice, "needle", True) == [(room.pk, numbers[2]), (room.pk, numbers[3])]


def test_a_search_past_its_time_finds_nothing(needs_postgres, make_user, make_room, monkeypatch):
    from django.db.models.expressions import RawSQL

    from rooms.models import Message

    alice = make_user("alice")
    post_message(room=make_room("General"), author=alice, text="needle")
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        [before] = cursor.fetchone()
    monkeypatch.setattr("rooms.search.SEARCH_TIMEOUT_MS", 50)
    slow = Message.objects.annotate(nap=RawSQL("pg_sleep(0.5)", [])).filter(pk__gt=0)
    monkeypatch.setattr("rooms.search._postgres", lambda messages, query: slow)
    assert search_messages(alice, "needle", full_text=True) == []
    monkeypatch.undo()
    assert found(alice, "needle", True) != []  # the connection and the timeout are as before
    with connection.cursor() as cursor:
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == before


@pytest.mark.parametrize("query", ["\x00", "needle\x00", '"', "-", "or", "-needle", "x" * 5000])
def test_odd_queries_are_answered_not_failed(client, make_user, make_room, query):
    alice = make_user("alice")
    post_message(room=make_room("General"), author=alice, text="needle")
    client.force_login(alice)
    assert client.get("/search/", {"q": query}).status_code == 200


def test_a_minus_word_alone_finds_nothing(make_user, make_room, full_text):
    alice = make_user("alice")
    post_message(room=make_room("General"), author=alice, text="anything at all")
    assert found(alice, "-needle", full_text) == []


def test_too_many_searches_a_minute_are_refused(client, make_user, settings, one_rate_window):
    settings.CHAT_MAX_SEARCHES_PER_MINUTE = 2
    client.force_login(make_user("alice"))
    codes = [client.get("/search/", {"q": "x"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


@pytest.mark.parametrize("message", ["²", "12abc", "9" * 30])
def test_a_room_link_with_an_odd_message_number_opens_the_room(
    client, make_user, make_room, message
):
    room = make_room("General")
    client.force_login(make_user("alice"))
    page = client.get(f"/rooms/{room.pk}/", {"message": message})
    assert page.status_code == 200 and b"data-open-message" not in page.content
