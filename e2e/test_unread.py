"""Unread rooms, read positions, direct messages and removals, with three people in
Chromium: what each of them sees of the rooms they do not have open."""

import re

from playwright.sync_api import expect

from e2e.test_chat import open_room, say
from rooms.models import MemberRole, Membership, Room, RoomKind

# Records the notifications the page raises (the real constructor still runs).
RECORD_NOTIFICATIONS = """
(() => {
  const Real = window.Notification;
  window.shownNotifications = [];
  class Recorded extends Real {
    constructor(title, options) {
      super(title, options);
      window.shownNotifications.push({ title, body: options && options.body });
    }
  }
  window.Notification = Recorded;
})();
"""


def room_link(page, title):
    return page.locator(".room-link", has_text=title)


def open_listed(page, title):
    """Open a room from the lists, whatever its count says."""
    room_link(page, title).click()
    room = page.get_by_role("article", name=title)
    expect(room).to_be_visible()
    return room


def member_of(room_title, *users, **fields):
    room = Room.objects.get(title=room_title)
    for user in users:
        Membership.objects.update_or_create(room=room, user=user, defaults=fields)
    return room


def test_bob_sees_random_turn_bold_with_a_count_when_alice_writes_there(new_page, make_user, rooms):
    alice, bob = make_user("alice"), make_user("bob")
    member_of("Random", bob)
    pages = {user: new_page(user) for user in (alice, bob)}
    for page in pages.values():
        page.goto("/")
    open_room(pages[bob], "General")
    expect(room_link(pages[bob], "Random")).not_to_have_class(re.compile("has-unread"))
    say(open_room(pages[alice], "Random"), "anyone around?")
    expect(room_link(pages[bob], "Random")).to_have_class(re.compile("has-unread"))
    expect(room_link(pages[bob], "Random").locator(".room-count")).to_have_text("1 (1 unread)")
    say(pages[alice].get_by_role("article", name="Random"), "@bob are you there?")
    expect(room_link(pages[bob], "Random").locator(".room-count")).to_have_text(
        "1 (2 unread, 1 for you)"
    )
    expect(pages[bob]).to_have_title(re.compile(r"^\(1\) "))


def test_reading_a_room_on_one_device_clears_it_on_the_other(
    new_page, new_context, make_user, rooms
):
    alice, bob = make_user("alice"), make_user("bob")
    member_of("Random", bob)
    laptop, phone = new_page(bob), new_page(bob, viewport={"width": 360, "height": 740})
    writer = new_page(alice)
    for page in (laptop, phone, writer):
        page.goto("/")
    say(open_room(writer, "Random"), "news for bob")
    for page in (laptop, phone):
        expect(room_link(page, "Random")).to_have_class(re.compile("has-unread"))
    room = open_listed(laptop, "Random")
    expect(room.locator(".msg-text", has_text="news for bob")).to_be_visible()
    expect(room_link(phone, "Random")).not_to_have_class(re.compile("has-unread"))
    expect(room_link(phone, "Random").locator(".room-count")).to_be_hidden()


def test_a_direct_message_from_alice_reaches_bob_with_a_notification(new_page, make_user, rooms):
    alice, bob = make_user("alice"), make_user("bob")
    receiver = new_page(bob, permissions=["notifications"])
    receiver.add_init_script(RECORD_NOTIFICATIONS)
    receiver.goto("/")
    receiver.get_by_text("Settings", exact=True).click()
    switch = receiver.get_by_role("button", name=re.compile("^Notifications"))
    switch.click()
    expect(switch).to_have_attribute("aria-pressed", "true")
    open_room(receiver, "General")  # another room open: the conversation is not
    sender = new_page(alice)
    sender.goto("/rooms/direct/new/")
    sender.get_by_label("To").fill("bob")
    sender.get_by_role("button", name="Open the conversation").click()
    conversation = sender.get_by_role("article", name="bob")
    expect(conversation).to_be_visible()
    say(conversation, "psst, just between us")
    expect(room_link(receiver, "alice")).to_have_class(re.compile("has-unread"))
    expect(receiver).to_have_title(re.compile(r"^\(1\) "))
    receiver.wait_for_function("window.shownNotifications.length > 0")
    shown = receiver.evaluate("window.shownNotifications")
    assert shown[0]["title"] == "alice · Direct message"
    room_link(receiver, "alice").click()
    pane = receiver.get_by_role("article", name="alice")
    expect(pane.locator(".msg-text", has_text="psst, just between us")).to_be_visible()
    expect(receiver).not_to_have_title(re.compile(r"^\(1\) "))


def test_the_owner_removes_carol_and_her_open_page_loses_the_room_at_once(
    new_page, make_user, server
):
    alice, carol = make_user("alice"), make_user("carol")
    room = Room.objects.create(title="Plans", kind=RoomKind.PRIVATE)
    Membership.objects.create(room=room, user=alice, role=MemberRole.OWNER)
    Membership.objects.create(room=room, user=carol)
    owner, member = new_page(alice), new_page(carol)
    for page in (owner, member):
        page.goto("/")
    pane = open_listed(member, "Plans")
    expect(pane).to_be_visible()
    owner.goto(f"/rooms/{room.pk}/settings/")
    owner.get_by_role("button", name="Remove carol").click()
    expect(owner.get_by_text("carol", exact=True)).to_have_count(0)
    expect(member.get_by_role("article", name="Plans")).to_have_count(0)
    expect(room_link(member, "Plans")).to_have_count(0)
    expect(member.get_by_role("heading", name="Private and direct")).to_have_count(0)
