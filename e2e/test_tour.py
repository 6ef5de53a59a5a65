"""Not checks: the screenshot tour in docs/tour/ (shown in the README), taken from the
real pages so it stays in step with them. Each test asserts only what it shows."""

import re
from pathlib import Path

from playwright.sync_api import expect

from e2e.test_chat import open_beside, open_room, say
from e2e.test_message_actions import stored
from rooms.direct import open_direct

TOUR = Path(__file__).resolve().parent.parent / "docs" / "tour"
PHONE = {"width": 360, "height": 740}


def open_listed(page, title):
    """Open a room from the sidebar, whatever its unread count adds to the link's name."""
    page.get_by_role("link", name=re.compile(rf"^{title}\b")).first.click()
    room = page.get_by_role("article", name=title)
    expect(room).to_be_visible()
    return room


def shot(page, name: str) -> None:
    TOUR.mkdir(exist_ok=True)
    page.screenshot(path=TOUR / f"{name}.png")


def chatting(new_page, make_user, **options):
    alice = new_page(make_user("alice"), **options)
    bob = new_page(make_user("bob"))
    alice.goto("/")
    bob.goto("/")
    mine, theirs = open_room(alice, "General"), open_room(bob, "General")
    say(theirs, "Morning! Has anyone tried the new layout?")
    say(mine, "Yes: rooms on the left, the conversation **full height**.")
    say(theirs, "And on a phone the list and the room are two screens.")
    expect(stored(mine, "And on a phone the list and the room are two screens.")).to_be_visible()
    return alice, bob, mine, theirs


def test_tour_desktop_conversation_two_rooms_and_dark_mode(new_page, make_user, rooms):
    alice, _, _, _ = chatting(new_page, make_user)
    shot(alice, "1-desktop-conversation")
    open_beside(alice, "Help")
    shot(alice, "2-two-rooms-side-by-side")
    dark = new_page(make_user("carol"), color_scheme="dark")
    dark.goto("/")
    open_room(dark, "General")
    expect(dark.locator(".msg")).not_to_have_count(0)
    shot(dark, "5-dark-mode")


def test_tour_phone_list_and_conversation(new_page, make_user, rooms):
    alice, _, _, _ = chatting(new_page, make_user, viewport=PHONE)
    alice.goto("/")
    expect(alice.get_by_role("link", name=re.compile("^General"))).to_be_visible()
    shot(alice, "3-phone-list")
    open_listed(alice, "General")
    shot(alice, "4-phone-conversation")


def test_tour_editing_and_replying(new_page, make_user, rooms):
    alice, _, mine, _ = chatting(new_page, make_user)
    message = stored(mine, "Yes: rooms on the left, the conversation full height.")
    message.focus()
    message.get_by_role("button", name="Edit message").click()
    expect(message.get_by_role("textbox", name="Edit text")).to_be_focused()
    theirs = stored(mine, "And on a phone the list and the room are two screens.")
    theirs.focus()
    theirs.get_by_role("button", name="Reply", exact=True).click()
    expect(mine.locator(".reply-bar")).to_be_visible()
    shot(alice, "6-editing-and-replying")


def test_tour_direct_message_with_a_notification_search_and_offline(new_page, make_user, rooms):
    alice, bob = make_user("alice"), make_user("bob")
    open_direct(bob, ["alice"])
    alices, bobs = new_page(alice), new_page(bob)
    for page in (alices, bobs):
        page.goto("/")
    open_room(alices, "General")
    room = open_listed(bobs, "alice")
    say(room, "Lunch at one? @alice")
    expect(alices.get_by_role("link", name=re.compile("^bob"))).to_have_class(
        re.compile("has-unread")
    )
    shot(alices, "7-direct-message-unread")
    alices.goto("/search/?q=lunch")
    expect(alices.locator("mark").first).to_be_visible()
    shot(alices, "8-search-results")
    alices.goto("/")
    open_room(alices, "General")
    alices.context.set_offline(True)
    expect(alices.locator("#ws-status")).to_contain_text("You are offline")
    say(alices.get_by_role("article", name="General"), "this waits for the connection")
    shot(alices, "9-offline")
    alices.context.set_offline(False)
