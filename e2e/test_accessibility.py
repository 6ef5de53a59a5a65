"""axe-core (bundled by axe-playwright-python) on every page and state a user meets:
zero violations of any impact, in light and dark, on a desktop and a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from api.webhooks import create_webhook
from e2e.axe import assert_accessible
from e2e.network import ChatSocketCut
from e2e.test_chat import open_room, say
from e2e.test_message_actions import stored
from rooms.direct import open_direct
from rooms.models import MemberRole, Membership, Room, RoomKind
from rooms.posting import post_message

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
LOOKS = [
    pytest.param(DESKTOP, "light", id="desktop-light"),
    pytest.param(PHONE, "dark", id="phone-dark"),
]


@pytest.mark.parametrize(("viewport", "scheme"), LOOKS)
def test_the_pages_before_login_have_no_accessibility_violations(new_page, viewport, scheme):
    page = new_page(viewport=viewport, color_scheme=scheme)
    for path in ("/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
        page.goto(path)
        assert_accessible(page, path)
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Sign In").click()  # an empty form: its errors shown
    assert_accessible(page, "login with errors")


@pytest.mark.parametrize(("viewport", "scheme"), LOOKS)
def test_the_pages_around_the_chat_have_no_accessibility_violations(
    new_page, make_user, rooms, viewport, scheme
):
    alice = make_user("alice")
    make_user("bob")
    ops = Room.objects.create(title="Ops", kind=RoomKind.PRIVATE)
    Membership.objects.create(room=ops, user=alice, role=MemberRole.OWNER)
    create_webhook(alice, ops, "Deploys")
    page = new_page(alice, viewport=viewport, color_scheme=scheme)
    for path in (
        "/search/?q=hello",
        "/search/?q=nothing-like-this",
        "/rooms/new/",
        "/rooms/direct/new/",
        f"/rooms/{ops.pk}/settings/",
        f"/rooms/{ops.pk}/integrations/",
        f"/rooms/{ops.pk}/archive/",
        "/accounts/tokens/",
        "/accounts/password/change/",
        "/accounts/email/",
    ):
        page.goto(path)
        assert_accessible(page, path)


def a_conversation(room, alice, bob) -> None:
    """A few stored messages: a question, an answer with a link, and a reply to it."""
    post_message(room=room, author=bob, text="Where are the release notes?")
    answer = post_message(
        room=room, author=alice, text="Here: https://example.com/notes (see **Upgrading**)"
    ).message
    post_message(room=room, author=bob, text="Thanks, found it.", reply_to=answer.number)


def in_general(new_page, make_user, rooms, viewport, scheme):
    """Alice's page with General open on its conversation, and General's pane."""
    alice, bob = make_user("alice"), make_user("bob")
    a_conversation(rooms["General"], alice, bob)
    page = new_page(alice, viewport=viewport, color_scheme=scheme)
    page.goto("/")
    room = open_room(page, "General")
    expect(stored(room, "Thanks, found it.").locator(".reply-quote")).to_be_visible()
    return page, room


@pytest.mark.parametrize(("viewport", "scheme"), LOOKS)
def test_a_room_with_links_and_replies_has_no_accessibility_violations(
    new_page, make_user, rooms, viewport, scheme
):
    page, room = in_general(new_page, make_user, rooms, viewport, scheme)
    expect(room.get_by_role("link", name="https://example.com/notes")).to_be_visible()
    assert_accessible(page, "a room with its history")


@pytest.mark.parametrize(("viewport", "scheme"), LOOKS)
def test_a_message_being_edited_has_no_accessibility_violations(
    new_page, make_user, rooms, viewport, scheme
):
    page, room = in_general(new_page, make_user, rooms, viewport, scheme)
    mine = stored(room, "Here:").first  # the reply below quotes it
    mine.focus()
    mine.get_by_role("button", name="Edit message").click()
    expect(mine.get_by_role("textbox", name="Edit text")).to_be_focused()
    assert_accessible(page, "a message being edited")


@pytest.mark.parametrize(("viewport", "scheme"), LOOKS)
def test_the_composer_replying_to_a_message_has_no_accessibility_violations(
    new_page, make_user, rooms, viewport, scheme
):
    page, room = in_general(new_page, make_user, rooms, viewport, scheme)
    theirs = stored(room, "Where are the release notes?")
    theirs.focus()
    theirs.get_by_role("button", name="Reply", exact=True).click()
    expect(room.locator(".reply-bar")).to_contain_text("Replying to bob")
    assert_accessible(page, "replying")


@pytest.mark.parametrize(("viewport", "scheme"), LOOKS)
def test_a_direct_conversation_has_no_accessibility_violations(
    new_page, make_user, rooms, viewport, scheme
):
    alice, bob = make_user("alice"), make_user("bob")
    direct = open_direct(bob, ["alice"])
    post_message(room=direct, author=bob, text="Lunch at one? @alice")
    page = new_page(alice, viewport=viewport, color_scheme=scheme)
    page.goto("/")
    page.get_by_role("link", name=re.compile(r"^bob\b")).click()
    room = page.get_by_role("article", name="bob")
    expect(stored(room, "Lunch at one?")).to_be_visible()
    assert_accessible(page, "a direct conversation")


@pytest.mark.parametrize(("viewport", "scheme"), LOOKS)
def test_the_composers_too_long_error_has_no_accessibility_violations(
    new_page, make_user, rooms, viewport, scheme
):
    page, room = in_general(new_page, make_user, rooms, viewport, scheme)
    box = room.get_by_label("Message", exact=True)
    box.fill("x" * 2001)
    box.press("Enter")
    expect(room.get_by_role("alert")).to_contain_text("That message is too long.")
    assert_accessible(page, "the composer's error")


def gone_offline(new_page, make_user, rooms, viewport, scheme):
    """Alice's page in General with its connection lost and a message waiting for it; and
    the switch that cut its socket."""
    alice, bob = make_user("alice"), make_user("bob")
    a_conversation(rooms["General"], alice, bob)
    page = new_page(alice, viewport=viewport, color_scheme=scheme)
    network = ChatSocketCut(page)  # offline emulation alone leaves the socket open
    page.goto("/")
    room = open_room(page, "General")
    expect(stored(room, "Thanks, found it.")).to_be_visible()
    page.context.set_offline(True)
    network.drop()
    expect(page.get_by_role("status").filter(has_text="You are offline")).to_be_visible()
    say(room, "this waits for the connection")
    expect(room.locator(".msg-pending .msg-status")).to_have_text("Waiting for connection")
    return page, room, network


@pytest.mark.parametrize(("viewport", "scheme"), LOOKS)
def test_the_offline_bar_and_a_waiting_message_have_no_accessibility_violations(
    new_page, make_user, rooms, viewport, scheme
):
    page, _, _ = gone_offline(new_page, make_user, rooms, viewport, scheme)
    assert_accessible(page, "offline")


@pytest.mark.parametrize(("viewport", "scheme"), LOOKS)
def test_the_offline_bar_pushes_the_room_down_and_leaves_the_composer_in_view(
    new_page, make_user, rooms, viewport, scheme
):
    page, room, network = gone_offline(new_page, make_user, rooms, viewport, scheme)
    header = page.locator(".site-header").bounding_box()
    bar = page.locator("#ws-status").bounding_box()
    shown = room.bounding_box()
    assert bar["x"] == 0 and bar["width"] == viewport["width"]  # the page's width
    assert header["y"] + header["height"] <= bar["y"] + 1
    assert bar["y"] + bar["height"] <= shown["y"] + 1  # above the room, not over it
    expect(room.get_by_label("Message", exact=True)).to_be_in_viewport(ratio=1)
    expect(room.get_by_role("button", name="Send")).to_be_in_viewport(ratio=1)
    assert page.evaluate(  # the bar's text wraps: no page scroll either way
        "document.documentElement.scrollHeight <= innerHeight"
        " && document.documentElement.scrollWidth <= innerWidth"
    )
    network.restore()
    page.context.set_offline(False)  # back online, and with a socket again: no bar
    expect(page.locator("#ws-status")).to_be_hidden(timeout=20_000)
