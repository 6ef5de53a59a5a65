"""A keyboard user, start to finish, with no mouse: logging in, opening a room, sending,
reacting, replying, switching rooms with Alt+Down and closing one, the focus checked at
every step."""

from playwright.sync_api import expect

from e2e.test_message_actions import stored

# Counts pointer presses: a keyboard user makes none (a key's click on a button is no
# pointer event).
COUNT_POINTER = """
window.pointerPresses = 0;
for (const type of ["pointerdown", "mousedown", "touchstart"]) {
  addEventListener(type, () => window.pointerPresses++, true);
}
"""


def tab_to(page, target, *, back=False, limit=40):
    """Press Tab (or Shift+Tab) until `target` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{target} not reached with {limit} presses")


def test_a_keyboard_user_logs_in_chats_reacts_replies_switches_rooms_and_closes_one(
    new_context, make_user, rooms, password
):
    make_user("alice")
    context = new_context()
    context.add_init_script(COUNT_POINTER)
    page = context.new_page()

    page.goto("/accounts/login/")
    tab_to(page, page.locator("input[name=login]"))
    page.keyboard.type("alice")
    tab_to(page, page.locator("input[name=password]"))
    page.keyboard.type(password)
    page.keyboard.press("Enter")
    general_link = page.get_by_role("link", name="General", exact=True)
    expect(general_link).to_be_visible()

    tab_to(page, general_link)
    page.keyboard.press("Enter")
    general = page.get_by_role("article", name="General")
    composer = general.get_by_label("Message", exact=True)
    expect(composer).to_be_focused()

    page.keyboard.type("hello from the keyboard")
    page.keyboard.press("Enter")
    mine = stored(general, "hello from the keyboard")
    expect(mine).to_be_visible()
    expect(composer).to_be_focused()

    tab_to(page, mine, back=True)
    page.keyboard.press("Tab")
    react = mine.get_by_role("button", name="React", exact=True)
    expect(react).to_be_focused()
    page.keyboard.press("Enter")
    picker = mine.get_by_role("group", name="Pick a reaction")
    expect(picker.get_by_role("button", name="thumbs up")).to_be_focused()
    page.keyboard.press("Enter")
    expect(mine.get_by_role("button", name="👍 1")).to_have_attribute("aria-pressed", "true")
    expect(react).to_be_focused()

    page.keyboard.press("Tab")
    expect(mine.get_by_role("button", name="Reply", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(composer).to_be_focused()
    page.keyboard.type("and a reply")
    page.keyboard.press("Enter")
    reply = stored(general, "and a reply")
    expect(reply.locator(".reply-quote")).to_contain_text("hello from the keyboard")
    expect(composer).to_be_focused()

    page.keyboard.press("Alt+ArrowDown")
    help_room = page.get_by_role("article", name="Help")
    expect(help_room.get_by_label("Message", exact=True)).to_be_focused()

    close = help_room.get_by_role("button", name="Close room")
    tab_to(page, close, back=True)
    page.keyboard.press("Enter")
    expect(help_room).to_have_count(0)
    expect(page.get_by_role("link", name="Help", exact=True)).to_be_focused()

    assert page.evaluate("window.pointerPresses") == 0
