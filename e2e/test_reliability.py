"""Nothing lost across restarts, cut sockets and reloads; presence; forced logout."""

import re

from playwright.sync_api import expect

from .network import ChatSocketCut
from .test_chat import open_room, say


def texts(room):
    return room.locator(".msg:not(.msg-pending) .msg-text")


def test_server_restart_loses_nothing_and_sends_what_was_typed_meanwhile(
    new_page, make_user, rooms, server
):
    alice, bob = new_page(make_user("alice")), new_page(make_user("bob"))
    for page in (alice, bob):
        page.goto("/")
    alice_room, bob_room = open_room(alice, "General"), open_room(bob, "General")
    say(alice_room, "before 1")
    say(bob_room, "before 2")
    expect(texts(alice_room)).to_have_text(["before 1", "before 2"])
    server.stop()
    expect(alice.locator("#ws-status")).to_have_text("Reconnecting…")
    for n in (1, 2, 3):
        say(alice_room, f"offline {n}")
    expect(alice_room.locator(".msg-pending")).to_have_count(3)
    expect(alice_room.locator(".msg-pending .msg-status").first).to_have_text(
        "Waiting for connection"
    )
    expect(alice_room).to_have_class(re.compile("presence-stale"))
    server.start()
    expected = ["before 1", "before 2", "offline 1", "offline 2", "offline 3"]
    for room in (alice_room, bob_room):
        expect(texts(room)).to_have_text(expected, timeout=20_000)
    expect(alice_room.locator(".msg-pending")).to_have_count(0)
    from rooms.models import Message

    assert list(Message.objects.order_by("seq").values_list("text", flat=True)) == expected


def test_cut_socket_gets_every_missed_message_in_order(new_page, make_user, rooms):
    reader, writer = new_page(make_user("reader")), new_page(make_user("writer"))
    cut = ChatSocketCut(reader)
    reader.goto("/")
    writer.goto("/")
    reader_room, writer_room = open_room(reader, "Random"), open_room(writer, "Random")
    cut.drop()  # the network drops the reader's socket
    expect(reader.locator("#ws-status")).to_have_text("Reconnecting…")
    for n in range(1, 21):
        say(writer_room, f"missed {n}")
    expect(texts(writer_room)).to_have_count(20)
    cut.restore()
    expect(texts(reader_room)).to_have_text([f"missed {n}" for n in range(1, 21)], timeout=40_000)


def test_pending_message_survives_a_reload(new_page, make_user, rooms, server):
    page = new_page(make_user("reloader"))
    page.goto("/")
    room = open_room(page, "Help")
    server.stop()
    say(room, "typed while the server was away")
    expect(room.locator(".msg-pending")).to_have_count(1)
    server.start()
    page.reload()
    room = page.get_by_role("article", name="Help")
    expect(texts(room)).to_have_text(["typed while the server was away"])
    expect(room.locator(".msg-pending")).to_have_count(0)


def test_logging_out_in_one_tab_closes_the_other_and_asks_to_log_in(new_context, make_user, rooms):
    context = new_context(make_user("twotabs"))
    first, second = context.new_page(), context.new_page()
    for page in (first, second):
        page.goto("/")
        open_room(page, "General")
    first.get_by_role("button", name="Log out").click()
    expect(second.locator("#ws-status")).to_contain_text("You were logged out.")
    expect(second.get_by_role("link", name="Log in again")).to_be_visible()


def test_second_tab_does_not_double_the_count_and_closing_both_removes_the_user(
    new_context, new_page, make_user, rooms
):
    watcher = new_page(make_user("watcher"))
    watcher.goto("/")
    watcher_room = open_room(watcher, "General")
    expect(watcher_room.locator(".member-count")).to_have_text("1 online")
    context = new_context(make_user("tabby"))
    tabs = [context.new_page() for _ in range(2)]
    for tab in tabs:
        tab.goto("/")
        open_room(tab, "General")
    expect(watcher_room.locator(".member-count")).to_have_text("2 online")
    expect(watcher_room.locator(".members")).to_have_text("tabby, watcher")
    tabs[0].close()
    expect(watcher_room.locator(".member-count")).to_have_text("2 online")
    tabs[1].close()
    expect(watcher_room.locator(".member-count")).to_have_text("1 online", timeout=15_000)
    expect(watcher_room.locator(".members")).to_have_text("watcher")


def test_typing_shows_in_the_other_users_room(new_page, make_user, rooms):
    typist, reader = new_page(make_user("typist")), new_page(make_user("reader2"))
    for page in (typist, reader):
        page.goto("/")
    typist_room, reader_room = open_room(typist, "Random"), open_room(reader, "Random")
    typist_room.get_by_label("Message", exact=True).type("hel")
    expect(reader_room.locator(".typing")).to_have_text("typist is typing…")
    expect(reader_room.locator(".typing")).to_have_text("", timeout=8_000)


def test_mentions_count_in_the_page_title_of_a_background_tab(new_page, make_user, rooms):
    reader, writer = new_page(make_user("away")), new_page(make_user("talker"))
    for page in (reader, writer):
        page.goto("/")
    open_room(reader, "Help")
    writer_room = open_room(writer, "Help")
    reader.evaluate(
        """() => {
            const hidden = {value: "hidden", configurable: true};
            Object.defineProperty(document, "visibilityState", hidden);
            document.dispatchEvent(new Event("visibilitychange"));
        }"""
    )
    say(writer_room, "are you there?")
    expect(reader).to_have_title(re.compile(r"^• "))  # news, none of it for the reader
    say(writer_room, "@away hello?")
    expect(reader).to_have_title(re.compile(r"^\(1\) "))
    expect(reader.get_by_role("article", name="Help").locator(".unread")).to_have_text("2 new")


def test_redis_restart_under_two_processes_loses_nothing(new_page, two_servers, make_user):
    """Alice is on one daphne, Bob on another; Redis restarts while Alice keeps talking."""
    (first, second), redis = two_servers
    assert first.manage("load_demo_rooms").returncode == 0
    pages = [new_page(make_user("alice"), on=first), new_page(make_user("bob"), on=second)]
    for page in pages:
        page.goto("/")
    alice_room, bob_room = open_room(pages[0], "General"), open_room(pages[1], "General")
    say(alice_room, "across processes")
    expect(texts(bob_room)).to_have_text(["across processes"])
    redis.stop()
    for text in ("while redis was down 1", "while redis was down 2"):
        say(alice_room, text)
    redis.start()
    expected = ["across processes", "while redis was down 1", "while redis was down 2"]
    for room in (alice_room, bob_room):
        expect(texts(room)).to_have_text(expected, timeout=40_000)
    from rooms.models import Message

    assert list(Message.objects.order_by("seq").values_list("text", flat=True)) == expected
