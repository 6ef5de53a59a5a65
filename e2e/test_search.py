"""Search in Chromium: from the header box to the result, and into the room at that
message (older pages loaded until it is there)."""

from playwright.sync_api import expect

from rooms.models import Membership, Room, RoomKind
from rooms.posting import post_message


def test_a_search_result_opens_the_room_at_that_message_highlighted(new_page, make_user, rooms):
    alice, bob = make_user("alice"), make_user("bob")
    general = rooms["General"]
    post_message(room=general, author=alice, text="the needle is in the haystack")
    for n in range(80):  # more than a join shows: the result is only in older pages
        post_message(room=general, author=alice, text=f"chatter {n}")
    page = new_page(bob)
    page.goto("/")
    search = page.get_by_role("searchbox", name="Search messages")
    search.fill("needle")
    search.press("Enter")
    results = page.get_by_role("list").filter(has_text="General")
    expect(results.locator("mark")).to_have_text("needle")
    results.get_by_role("link", name="General").click()
    found = page.locator(".msg-found")
    expect(found).to_contain_text("the needle is in the haystack")
    expect(found).to_be_in_viewport()
    expect(found).to_be_focused()


def test_a_private_rooms_messages_are_not_found_by_others(new_page, make_user, server):
    alice, carol = make_user("alice"), make_user("carol")
    plans = Room.objects.create(title="Plans", kind=RoomKind.PRIVATE)
    Membership.objects.create(room=plans, user=alice)
    post_message(room=plans, author=alice, text="the secret needle")
    page = new_page(carol)
    page.goto("/search/?q=needle")
    expect(page.get_by_role("heading", name="Nothing found")).to_be_visible()
    expect(page.get_by_text("secret")).to_have_count(0)
