"""The chat's layout in Chromium: a sidebar and one conversation filling the screen, two
screens on a phone, an address per room with back and forward, and the keyboard."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from e2e.axe import axe_violations
from e2e.test_chat import open_beside, open_room, say

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


def composer(room):
    return room.get_by_label("Message", exact=True)


def room_item(page, title):
    return page.get_by_role("link", name=title, exact=True)


def no_page_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollHeight <= innerHeight && scrollY === 0"
        " && document.documentElement.scrollWidth <= innerWidth"
    )


def test_on_a_phone_a_room_shows_its_composer_in_view_and_back_returns_to_the_list(
    new_page, make_user, rooms
):
    page = new_page(make_user(), viewport=PHONE)
    page.goto("/")
    assert page.locator(".site-header").bounding_box()["height"] <= 56
    expect(page.get_by_role("article")).to_have_count(0)  # the list is the first screen
    room = open_room(page, "General")
    expect(composer(room)).to_be_in_viewport(ratio=1)
    expect(room.get_by_role("button", name="Send")).to_be_in_viewport(ratio=1)
    expect(room_item(page, "General")).to_be_hidden()  # the list is the other screen
    assert no_page_scroll(page)
    back = room.get_by_role("button", name="Back to rooms")
    for target in (back, room.get_by_role("button", name="Send"), room_item(page, "General")):
        if target.is_visible():
            box = target.bounding_box()
            assert box["width"] >= 44 and box["height"] >= 44, box
    back.click()
    expect(page.get_by_role("article")).to_have_count(0)
    expect(room_item(page, "General")).to_be_focused()
    expect(page).to_have_url(re.compile(r"/$"))


def test_on_a_phone_the_menu_button_shows_the_sites_links(new_page, make_user, rooms):
    page = new_page(make_user("menu"), viewport=PHONE)
    page.goto("/")
    expect(page.get_by_role("button", name="Log out")).to_be_hidden()
    expect(page.get_by_role("link", name="Search messages")).to_be_visible()
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Log out")).to_be_hidden()
    expect(page.get_by_role("button", name="Menu")).to_be_focused()


def test_a_room_has_its_slug_address_and_back_and_forward_switch_rooms(new_page, make_user, rooms):
    page = new_page(make_user())
    page.goto("/")
    open_room(page, "General")
    expect(page).to_have_url(re.compile(r"/rooms/general/$"))
    open_room(page, "Help")
    expect(page).to_have_url(re.compile(r"/rooms/help/$"))
    expect(page.get_by_role("article")).to_have_count(1)  # Help replaced General
    expect(room_item(page, "Help")).to_have_attribute("aria-current", "page")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/rooms/general/$"))
    expect(page.get_by_role("article", name="General")).to_be_visible()
    expect(page.get_by_role("article", name="Help")).to_have_count(0)
    page.go_forward()
    expect(page.get_by_role("article", name="Help")).to_be_visible()
    expect(page.get_by_role("article", name="General")).to_have_count(0)
    assert no_page_scroll(page)


def test_the_id_address_opens_the_room_and_shows_its_slug(new_page, make_user, rooms):
    page = new_page(make_user())
    page.goto(f"/rooms/{rooms['Random'].pk}/")
    expect(page.get_by_role("article", name="Random")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/rooms/random/$"))


def test_reload_lands_in_the_same_room_at_the_same_place(new_page, make_user, rooms):
    from rooms.posting import post_message

    author = make_user("historian")
    for n in range(1, 61):
        post_message(room=rooms["Help"], author=author, text=f"note {n}")
    page = new_page(make_user())
    page.goto("/")
    room = open_room(page, "Help")
    expect(room.locator(".msg-text").last).to_have_text("note 60")
    note = room.locator(".msg-text").get_by_text("note 30", exact=True)
    note.scroll_into_view_if_needed()
    room.locator(".messages").evaluate(
        "(list, note) => { list.scrollTop += note.getBoundingClientRect().top"
        " - list.getBoundingClientRect().top - 40; }",
        note.element_handle(),
    )
    page.wait_for_timeout(600)  # the anchor is kept a moment after scrolling stops
    page.reload()
    room = page.get_by_role("article", name="Help")
    expect(page).to_have_url(re.compile(r"/rooms/help/$"))
    note = room.locator(".msg-text").get_by_text("note 30", exact=True)
    expect(note).to_be_in_viewport()
    expect(room.locator(".msg-text").get_by_text("note 60", exact=True)).not_to_be_in_viewport()


def test_alt_down_opens_the_next_room_with_focus_in_its_composer(new_page, make_user, rooms):
    page = new_page(make_user())
    page.goto("/")
    general = open_room(page, "General")
    expect(composer(general)).to_be_focused()
    page.keyboard.press("Alt+ArrowDown")
    help_room = page.get_by_role("article", name="Help")
    expect(composer(help_room)).to_be_focused()
    expect(page).to_have_url(re.compile(r"/rooms/help/$"))
    page.keyboard.press("Alt+ArrowUp")
    expect(composer(page.get_by_role("article", name="General"))).to_be_focused()


def test_ctrl_k_opens_the_switcher_and_enter_opens_the_chosen_room(new_page, make_user, rooms):
    page = new_page(make_user())
    page.goto("/")
    general = open_room(page, "General")
    page.keyboard.press("Control+k")
    switcher = page.get_by_role("dialog", name="Switch to a room")
    expect(switcher).to_be_visible()
    expect(switcher.get_by_role("combobox", name="Room name")).to_be_focused()
    page.keyboard.press("Escape")  # closes, and the focus goes back
    expect(switcher).to_be_hidden()
    expect(composer(general)).to_be_focused()
    page.keyboard.press("Control+k")
    page.keyboard.type("ran")
    expect(switcher.get_by_role("option")).to_have_text(["Random"])
    page.keyboard.press("Enter")
    expect(switcher).to_be_hidden()
    expect(composer(page.get_by_role("article", name="Random"))).to_be_focused()
    expect(page).to_have_url(re.compile(r"/rooms/random/$"))


def test_question_mark_lists_the_shortcuts(new_page, make_user, rooms):
    page = new_page(make_user())
    page.goto("/")
    page.keyboard.press("?")  # the focus is on the page, in no text field
    shortcuts = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(shortcuts).to_contain_text("Alt")
    expect(shortcuts).to_contain_text("Switch to a room")
    page.keyboard.press("Escape")
    expect(shortcuts).to_be_hidden()
    room = open_room(page, "General")
    composer(room).press("?")  # typed in a text field: a question mark
    expect(shortcuts).to_be_hidden()
    expect(composer(room)).to_have_value("?")


def test_closing_a_room_puts_focus_on_its_item_in_the_list(new_page, make_user, rooms):
    page = new_page(make_user())
    page.goto("/")
    room = open_room(page, "Help")
    room.get_by_role("button", name="Close room").click()
    expect(page.get_by_role("article")).to_have_count(0)
    expect(room_item(page, "Help")).to_be_focused()


def test_a_second_room_opens_beside_the_first_on_a_wide_screen(new_page, make_user, rooms):
    page = new_page(make_user(), viewport=DESKTOP)
    page.goto("/")
    general = open_room(page, "General")
    help_room = open_beside(page, "Help")
    expect(composer(help_room)).to_be_focused()
    expect(page).to_have_url(re.compile(r"/rooms/help/$"))
    left, right = general.bounding_box(), help_room.bounding_box()
    assert left["x"] + left["width"] <= right["x"] + 1 and abs(left["y"] - right["y"]) < 2
    say(general, "still here")  # both rooms live
    say(help_room, "and here")
    # A plain click replaces the room in view (Help), not the one beside it.
    open_room(page, "Random")
    expect(page.get_by_role("article")).to_have_count(2)
    expect(page.get_by_role("article", name="Help")).to_have_count(0)
    expect(page.get_by_role("article", name="General")).to_be_visible()
    assert no_page_scroll(page)


def test_a_room_open_in_another_tab_opens_last_on_the_lobby(new_context, make_user, rooms):
    context = new_context(make_user())
    first = context.new_page()
    first.goto("/")
    open_room(first, "Random")
    second = context.new_page()
    second.goto("/")
    expect(second.get_by_role("article", name="Random")).to_be_visible()
    expect(second).to_have_url(re.compile(r"/rooms/random/$"))


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_chat_layout_has_no_accessibility_violations(
    new_page, make_user, rooms, viewport, scheme
):
    page = new_page(make_user(), viewport=viewport, color_scheme=scheme)
    page.goto("/")
    assert axe_violations(page) == [], "the lobby"
    room = open_room(page, "General")
    say(room, "hello")
    expect(room.locator(".msg-pending")).to_have_count(0)  # stored: as the room stays
    assert axe_violations(page) == [], "a room open"
    if viewport is DESKTOP:
        open_beside(page, "Help")
        assert axe_violations(page) == [], "two rooms open"
    page.keyboard.press("Control+k")
    expect(page.get_by_role("dialog", name="Switch to a room")).to_be_visible()
    assert axe_violations(page) == [], "the switcher"
    page.keyboard.press("Escape")
    # The focus is back in the composer (the dialog's close event comes a moment later).
    page.wait_for_function("document.activeElement.matches('.composer textarea')")
    page.evaluate("document.activeElement.blur()")  # out of the composer
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    assert axe_violations(page) == [], "the shortcuts"
