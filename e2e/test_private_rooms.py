"""Private rooms in Chromium: listed and usable for their members, nowhere for others, and
gone at once from the page of a member who is removed."""

import os

from playwright.sync_api import expect

from e2e.test_chat import say
from rooms.models import Membership, Room, RoomKind

SCREENSHOT_DIR = os.environ.get("E2E_SCREENSHOT_DIR")  # set to keep a look at the page


def private_room(title, *members):
    room = Room.objects.create(title=title, kind=RoomKind.PRIVATE)
    for user in members:
        Membership.objects.create(room=room, user=user)
    return room


def open_listed(page, title):
    page.locator(".room-link", has_text=title).click()
    room = page.get_by_role("article", name=title)
    expect(room).to_be_visible()
    return room


def test_a_member_finds_the_private_room_in_the_lobby_and_chats_there(new_page, make_user, server):
    alice, bob = make_user("alice"), make_user("bob")
    private_room("Plans", alice, bob)
    pages = {}
    for user in (alice, bob):
        pages[user] = new_page(user, viewport={"width": 360, "height": 740})
        pages[user].goto("/")
    heading = pages[alice].get_by_role("heading", name="Private and direct")
    expect(heading).to_be_visible()
    rooms = {user: open_listed(page, "Plans") for user, page in pages.items()}
    say(rooms[alice], "just us")
    expect(rooms[bob].locator(".msg-text", has_text="just us")).to_be_visible()
    if SCREENSHOT_DIR:
        pages[alice].screenshot(path=os.path.join(SCREENSHOT_DIR, "private-360.png"))


def test_someone_not_in_the_private_room_sees_it_nowhere(new_page, make_user, server):
    private_room("Plans", make_user("alice"))
    page = new_page(make_user("carol"))
    page.goto("/")
    expect(page.get_by_role("heading", name="Rooms")).to_be_visible()
    expect(page.get_by_text("Plans")).to_have_count(0)
    expect(page.get_by_role("heading", name="Private and direct")).to_have_count(0)
    page.goto(f"/rooms/{Room.objects.get(title='Plans').pk}/")
    expect(page.get_by_text("Plans")).to_have_count(0)


def test_a_member_removed_while_the_room_is_open_loses_it_at_once(new_page, make_user, server):
    alice, carol = make_user("alice"), make_user("carol")
    room = private_room("Plans", alice, carol)
    pages = {user: new_page(user) for user in (alice, carol)}
    panes = {}
    for user, page in pages.items():
        page.goto("/")
        panes[user] = open_listed(page, "Plans")
    # An admin removes carol in the room's member list (the server's own process, as a
    # real admin would: the in-memory layer of the embedded default reaches no other).
    admin = new_page(make_user("root", staff=True, is_superuser=True))
    admin.goto(f"/admin/rooms/room/{room.pk}/change/")
    admin.locator("tr.dynamic-memberships", has_text="carol").locator(
        "input[name$='-DELETE']"
    ).check()
    admin.locator("input[name='_save']").click()
    expect(admin.locator(".messagelist")).to_be_visible()
    assert not Membership.objects.filter(room=room, user=carol).exists()
    say(panes[alice], "carol has gone")
    expect(panes[alice].locator(".msg-text", has_text="carol has gone")).to_be_visible()
    expect(pages[carol].get_by_role("article", name="Plans")).to_have_count(0)
    expect(pages[carol].get_by_text("You do not have access to this room.")).to_be_visible()
    expect(pages[carol].get_by_text("carol has gone")).to_have_count(0)
