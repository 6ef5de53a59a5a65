"""The chat in Chromium: two users, rooms side by side, staff rules, backend sends."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from chatapp.testing import REQUIRE_SERVICES

SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "screenshot.png"


def open_room(page, title):
    """Open a room from the sidebar (in place of the one in view)."""
    page.get_by_role("link", name=title, exact=True).click()
    room = page.get_by_role("article", name=title)
    expect(room).to_be_visible()
    return room


def say(room, text):
    box = room.get_by_label("Message", exact=True)
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


def test_two_users_chat_both_ways_and_another_room_sees_nothing(new_page, make_user, rooms):
    alice, bob, carol = (new_page(make_user(name)) for name in ("alice", "bob", "carol"))
    for page in (alice, bob, carol):
        page.goto("/")
    alice_room, bob_room = open_room(alice, "General"), open_room(bob, "General")
    carol_room = open_room(carol, "Random")
    expect(alice_room.get_by_text("bob joined")).to_be_visible()
    say(alice_room, "Hi Bob!")
    expect(bob_room.locator(".msg-text", has_text="Hi Bob!")).to_be_visible()
    say(bob_room, "Hi Alice!")
    expect(alice_room.locator(".msg-text", has_text="Hi Alice!")).to_be_visible()
    expect(alice_room.locator(".msg-own .msg-text")).to_have_text("Hi Bob!")
    expect(carol_room.locator(".msg-text")).to_have_count(0)
    expect(carol.get_by_text("Hi Bob!")).to_have_count(0)


def test_messages_that_arrive_together_show_once_each_in_order(
    new_context, make_user, rooms, lingering_server
):
    page = new_context(make_user(), on=lingering_server).new_page()
    batches = []
    page.on(
        "websocket",
        lambda ws: ws.on(
            "framereceived",
            lambda payload: batches.append(payload) if '{"batch":' in str(payload) else None,
        ),
    )
    page.goto("/")
    room = open_room(page, "General")
    for text in ("first", "second", "third"):
        say(room, text)
    stored = room.locator(".msg:not(.msg-pending) .msg-text")
    expect(stored).to_have_text(["first", "second", "third"])
    assert batches, "the later two went out as one batch frame"


def open_beside(page, title):
    """Open a room next to the one in view (wide screens)."""
    page.get_by_role("button", name=f"Open {title} beside").click()
    room = page.get_by_role("article", name=title)
    expect(room).to_be_visible()
    return room


def test_rooms_open_side_by_side_and_close_again(new_page, make_user, rooms):
    page = new_page(make_user())
    page.goto("/")
    open_room(page, "General")
    open_beside(page, "Help")
    expect(page.locator("article.room")).to_have_count(2)
    general = page.get_by_role("article", name="General")
    general.get_by_role("button", name="Close room").click()  # closing leaves
    expect(page.locator("article.room")).to_have_count(1)
    expect(page.get_by_role("article", name="Help")).to_be_visible()


def test_member_never_sees_the_staff_room_and_a_forced_join_is_refused(new_page, make_user, rooms):
    page = new_page(make_user())
    page.goto("/")
    expect(page.get_by_role("link", name="General", exact=True)).to_be_visible()
    expect(page.get_by_text("Staff lounge")).to_have_count(0)
    staff_room = rooms["Staff lounge"].pk
    page.evaluate(
        "([url, id]) => window.chatSockets.send(url, {command: 'join', room: id})",
        [page.locator("#lobby").get_attribute("data-chat-socket"), staff_room],
    )
    expect(page.get_by_role("alert")).to_have_text(
        re.compile("You do not have access to this room")
    )
    expect(page.get_by_text("Staff lounge")).to_have_count(0)


def test_message_markup_shows_as_text(new_page, make_user, rooms):
    page = new_page(make_user())
    page.goto("/")
    room = open_room(page, "General")
    text = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
    say(room, text)
    expect(room.locator(".msg-text")).to_have_text(text)
    assert page.evaluate("window.pwned") is None
    expect(room.locator(".messages img")).to_have_count(0)


def test_history_appears_on_reload(new_page, make_user, rooms):
    page = new_page(make_user())
    page.goto(f"/rooms/{rooms['Help'].pk}/")
    room = page.get_by_role("article", name="Help")
    say(room, "remember me")
    # Stored and acknowledged (a reload before the ack would rightly resend it).
    stored = ".msg:not(.msg-pending) .msg-text"
    expect(room.locator(stored, has_text="remember me")).to_be_visible()
    page.reload()
    expect(page.get_by_role("article", name="Help").locator(".msg-text")).to_have_text(
        "remember me"
    )


def test_shift_enter_makes_a_new_line_and_enter_sends_both_lines(new_page, make_user, rooms):
    page = new_page(make_user())
    page.goto("/")
    room = open_room(page, "General")
    box = room.get_by_label("Message", exact=True)
    box.type("first line")
    box.press("Shift+Enter")
    box.type("second line")
    expect(box).to_have_value("first line\nsecond line")
    box.press("Enter")
    expect(room.locator(".msg-text")).to_have_text("first line\nsecond line")


def test_load_older_messages_pages_back_through_history(new_page, make_user, rooms):
    from rooms.posting import post_message

    author = make_user("historian")
    for n in range(1, 61):
        post_message(room=rooms["Help"], author=author, text=f"note {n}")
    page = new_page(make_user())
    page.goto("/")
    room = open_room(page, "Help")
    expect(room.locator(".msg-text").first).to_have_text("note 11")
    room.get_by_role("button", name="Load older messages").click()
    expect(room.locator(".msg-text").first).to_have_text("note 1")
    expect(room.locator(".msg-text")).to_have_count(60)
    expect(room.get_by_role("button", name="Load older messages")).to_be_hidden()


def test_refused_message_keeps_its_text_and_says_why(new_page, make_user, rooms):
    page = new_page(make_user())
    page.goto("/")
    room = open_room(page, "General")
    box = room.get_by_label("Message", exact=True)
    box.fill("x" * 2001)
    box.press("Enter")
    expect(room.get_by_role("alert")).to_have_text(
        "That message is too long. 2,000 characters at most."
    )
    expect(box).to_have_value("x" * 2001)


def test_staff_send_page_reaches_an_open_room(new_page, make_user, rooms):
    reader = new_page(make_user())
    reader.goto("/")
    room = open_room(reader, "General")
    staff = new_page(make_user("boss", staff=True))
    staff.goto("/rooms/send/")
    staff.get_by_label("Room").select_option(label="General")
    staff.get_by_label("Type").select_option(label="Warning")
    staff.get_by_label("Text").fill("Server restart at noon")
    staff.get_by_role("button", name="Send").click()
    expect(staff.get_by_text(re.compile("Sent to General"))).to_be_visible()
    expect(room.locator(".msg-warning .msg-text")).to_have_text("Server restart at noon")


def test_management_command_reaches_an_open_room(new_page, make_user, rooms, server):
    if not server.env.get("REDIS_URL"):
        if REQUIRE_SERVICES:
            pytest.fail("Redis is required (REQUIRE_SERVICES=1) for cross-process sends")
        pytest.skip("another process reaches the server only through Redis (REDIS_URL)")
    page = new_page(make_user())
    page.goto("/")
    room = open_room(page, "Random")
    result = server.manage(
        "send_room_message", str(rooms["Random"].pk), "From cron", "--type", "alert"
    )
    assert result.returncode == 0, result.stderr
    expect(room.locator(".msg-alert .msg-text")).to_have_text("From cron")


def test_room_added_in_the_admin_appears_in_an_open_lobby(new_page, make_user, rooms):
    lobby = new_page(make_user())
    lobby.goto("/")
    expect(lobby.get_by_role("link", name="General", exact=True)).to_be_visible()
    admin = new_page(make_user("root", staff=True, is_superuser=True))
    admin.goto("/admin/rooms/room/add/")
    admin.get_by_label("Title").fill("Brand new room")
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(lobby.get_by_role("link", name="Brand new room")).to_be_visible()


def test_screenshot_for_the_readme(new_page, make_user, rooms):
    """Not a check: keeps docs/screenshot.png in step with the real page."""
    alice, bob = new_page(make_user("alice")), new_page(make_user("bob"))
    alice.goto("/")
    bob.goto("/")
    alice_general, bob_general = open_room(alice, "General"), open_room(bob, "General")
    open_beside(alice, "Help")
    say(bob_general, "Morning! Anyone tried the new rooms?")
    say(alice_general, "Yes, two open side by side. Shift+Enter for new lines too.")
    expect(alice_general.locator(".msg-text")).to_have_count(2)
    SCREENSHOT.parent.mkdir(exist_ok=True)
    alice.screenshot(path=SCREENSHOT)


def test_pages_run_under_the_content_security_policy(new_page, make_user, rooms):
    """No page needs an inline script: Chromium reports no CSP violation anywhere."""
    page = new_page(make_user("strict", staff=True, is_superuser=True))
    violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    for url in (
        "/",
        "/features/",
        "/rooms/send/",
        "/admin/rooms/room/add/",
        "/accounts/password/change/",
    ):
        page.goto(url)
        page.wait_for_load_state("networkidle")
    page.goto("/")
    open_room(page, "General")
    assert violations == []
