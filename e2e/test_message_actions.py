"""A message's actions (static/js/chat/actions.js and the modules beside it): react from a
picker, reply, and edit or delete your own (moderators: anyone's), by mouse and by keyboard,
seen live on the other user's page; each message one Tab stop, its bar clear of its author
and time; and changes made offline, sent after the reconnect."""

import re

from playwright.sync_api import expect

from e2e.network import ChatSocketCut
from e2e.test_chat import open_room, say


def stored(room, text):
    """The stored message (not the pending copy) with this text."""
    return room.locator(".msg[data-id]", has_text=text)


def by_id(room, text):
    """The stored message with this text, found again by its id after its text changes."""
    message = stored(room, text)
    expect(message).to_be_visible()
    return room.locator(f'.msg[data-id="{message.get_attribute("data-id")}"]')


def two_in_general(new_page, make_user, first="alice", second="bob"):
    pages = new_page(make_user(first)), new_page(make_user(second))
    for page in pages:
        page.goto("/")
    return pages, tuple(open_room(page, "General") for page in pages)


def tab_to(page, target, limit=12):
    """Press Tab until `target` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{target} not reached with {limit} tabs")


def test_editing_my_message_with_the_keyboard_shows_it_edited_on_the_other_page(
    new_page, make_user, rooms
):
    (alice, _), (alice_room, bob_room) = two_in_general(new_page, make_user)
    say(alice_room, "helo wrld")
    mine = by_id(alice_room, "helo wrld")
    expect(stored(bob_room, "helo wrld")).to_be_visible()

    mine.focus()  # a message takes the focus; its actions show
    edit = mine.get_by_role("button", name="Edit message")
    tab_to(alice, edit)
    alice.keyboard.press("Enter")
    editor = mine.get_by_role("textbox", name="Edit text")
    expect(editor).to_be_focused()
    expect(editor).to_have_value("helo wrld")
    alice.keyboard.press("Control+A")
    alice.keyboard.type("hello world")
    alice.keyboard.press("Enter")

    theirs = bob_room.locator(f'.msg[data-id="{mine.get_attribute("data-id")}"]')
    expect(theirs.locator(".msg-text")).to_have_text("hello world")
    expect(theirs.locator(".msg-edited")).to_have_text("(edited)")
    expect(theirs.locator(".msg-edited")).to_have_attribute("title", re.compile(r"^Edited \d{4}-"))
    expect(mine.locator(".msg-text")).to_have_text("hello world")
    expect(editor).to_have_count(0)
    expect(mine).to_be_focused()  # back where the edit began


def test_up_arrow_in_the_empty_composer_edits_my_last_message(new_page, make_user, rooms):
    _, (alice_room, bob_room) = two_in_general(new_page, make_user)
    say(alice_room, "first")
    say(alice_room, "secnod")
    say(bob_room, "not mine")
    expect(stored(alice_room, "not mine")).to_be_visible()

    box = alice_room.get_by_label("Message")
    box.press("ArrowUp")
    editor = stored(alice_room, "secnod").get_by_role("textbox", name="Edit text")
    expect(editor).to_be_focused()
    expect(editor).to_have_value("secnod")
    editor.press("Escape")  # cancel: nothing changes, back to the composer
    expect(editor).to_have_count(0)
    expect(box).to_be_focused()

    box.press("ArrowUp")
    editor = alice_room.get_by_role("textbox", name="Edit text")
    editor.fill("second")
    editor.press("Enter")
    expect(bob_room.locator(".msg:not(.msg-enter, .msg-leave) .msg-text")).to_have_text(
        ["first", "second", "not mine"]
    )
    expect(box).to_be_focused()


def test_deleting_my_message_after_confirming_removes_it_on_the_other_page(
    new_page, make_user, rooms
):
    _, (alice_room, bob_room) = two_in_general(new_page, make_user)
    say(alice_room, "keep me")
    say(alice_room, "oops, wrong room")
    expect(stored(bob_room, "oops, wrong room")).to_be_visible()

    mine = stored(alice_room, "oops, wrong room")
    mine.focus()
    mine.get_by_role("button", name="Delete message").click()
    confirm = mine.get_by_role("group", name="Confirm deletion")
    expect(confirm).to_contain_text("Delete this message?")
    expect(confirm.get_by_role("button", name="Cancel")).to_be_focused()  # the safe choice
    confirm.get_by_role("button", name="Delete", exact=True).click()

    expect(stored(bob_room, "oops, wrong room")).to_have_count(0)
    expect(stored(alice_room, "oops, wrong room")).to_have_count(0)
    expect(stored(bob_room, "keep me")).to_be_visible()


def test_cancelling_the_delete_keeps_the_message(new_page, make_user, rooms):
    page = new_page(make_user())
    page.goto("/")
    room = open_room(page, "General")
    say(room, "second thoughts")
    mine = stored(room, "second thoughts")
    mine.focus()
    mine.get_by_role("button", name="Delete message").click()
    page.keyboard.press("Escape")
    expect(mine.get_by_role("group", name="Confirm deletion")).to_have_count(0)
    expect(mine.get_by_role("button", name="Delete message")).to_be_focused()
    page.wait_for_timeout(500)
    expect(mine).to_be_visible()


def test_a_reply_shows_the_quote_on_both_pages(new_page, make_user, rooms):
    _, (alice_room, bob_room) = two_in_general(new_page, make_user)
    say(bob_room, "Lunch at noon? " + "x" * 120)
    parent = by_id(alice_room, "Lunch at noon?")
    parent.focus()
    parent.get_by_role("button", name="Reply", exact=True).click()
    bar = alice_room.locator(".reply-bar")
    expect(bar).to_contain_text("Replying to bob")
    expect(bar).to_contain_text("Lunch at noon? " + "x" * 85 + "…")  # the first 100 chars
    box = alice_room.get_by_label("Message")
    expect(box).to_be_focused()
    say(alice_room, "yes!")
    expect(bar).to_be_hidden()

    number = parent.get_attribute("data-id")
    for room in (alice_room, bob_room):
        reply = room.locator(f'.msg[data-id][data-reply-to="{number}"]')
        expect(reply.locator(".msg-text")).to_have_text("yes!")
        expect(reply.locator(".reply-quote")).to_contain_text("bob Lunch at noon?")


def test_escape_in_the_composer_cancels_the_reply(new_page, make_user, rooms):
    page = new_page(make_user())
    page.goto("/")
    room = open_room(page, "General")
    say(room, "a question")
    message = stored(room, "a question")
    message.focus()
    message.get_by_role("button", name="Reply", exact=True).click()
    expect(room.locator(".reply-bar")).to_be_visible()
    room.get_by_label("Message").press("Escape")
    expect(room.locator(".reply-bar")).to_be_hidden()
    say(room, "not a reply")
    expect(stored(room, "not a reply")).not_to_have_attribute("data-reply-to", re.compile(".*"))


def test_reacting_from_the_picker_shows_a_highlighted_chip_and_the_count_on_the_other_page(
    new_page, make_user, rooms
):
    (alice, _), (alice_room, bob_room) = two_in_general(new_page, make_user)
    say(bob_room, "we shipped it")
    theirs = stored(alice_room, "we shipped it")
    theirs.focus()
    react = theirs.get_by_role("button", name="React", exact=True)
    tab_to(alice, react)
    alice.keyboard.press("Enter")
    picker = theirs.get_by_role("group", name="Pick a reaction")
    expect(picker.get_by_role("button")).to_have_count(8)
    expect(picker.get_by_role("button", name="thumbs up")).to_be_focused()
    for _ in range(3):
        alice.keyboard.press("ArrowRight")
    expect(picker.get_by_role("button", name="party popper")).to_be_focused()
    alice.keyboard.press("Enter")

    expect(picker).to_have_count(0)
    chip = theirs.get_by_role("button", name="🎉 1")
    expect(chip).to_have_attribute("aria-pressed", "true")
    expect(chip).not_to_have_class(re.compile("reaction-pending"))
    expect(react).to_be_focused()
    on_bob = stored(bob_room, "we shipped it").get_by_role("button", name="🎉 1")
    expect(on_bob).to_have_attribute("aria-pressed", "false")

    # The picker knows it is given: choosing it again takes it back.
    react.press("Enter")
    expect(picker.get_by_role("button", name="party popper")).to_have_attribute(
        "aria-pressed", "true"
    )
    picker.get_by_role("button", name="party popper").click()
    expect(stored(bob_room, "we shipped it").locator(".reaction")).to_have_count(0)


def test_escape_closes_the_picker(new_page, make_user, rooms):
    page = new_page(make_user())
    page.goto("/")
    room = open_room(page, "General")
    say(room, "pick something")
    message = stored(room, "pick something")
    message.focus()
    message.get_by_role("button", name="React", exact=True).click()
    picker = message.get_by_role("group", name="Pick a reaction")
    expect(picker).to_be_visible()
    expect(message.get_by_role("button", name="React", exact=True)).to_have_attribute(
        "aria-expanded", "true"
    )
    page.keyboard.press("Escape")
    expect(picker).to_have_count(0)
    expect(message.get_by_role("button", name="React", exact=True)).to_be_focused()


def test_a_moderator_sees_delete_on_others_messages_and_a_member_does_not(
    new_page, make_user, rooms
):
    author, member, moderator = (
        new_page(make_user("carol")),
        new_page(make_user("bob")),
        new_page(make_user("boss", staff=True)),
    )
    for page in (author, member, moderator):
        page.goto("/")
    author_room, member_room, moderator_room = (
        open_room(page, "General") for page in (author, member, moderator)
    )
    say(author_room, "spam spam spam")

    seen_by_member = stored(member_room, "spam spam spam")
    seen_by_member.focus()
    expect(seen_by_member.get_by_role("button", name="Reply", exact=True)).to_be_visible()
    expect(seen_by_member.get_by_role("button", name="React", exact=True)).to_be_visible()
    expect(seen_by_member.get_by_role("button", name="Delete message")).to_have_count(0)
    expect(seen_by_member.get_by_role("button", name="Edit message")).to_have_count(0)

    seen_by_moderator = stored(moderator_room, "spam spam spam")
    seen_by_moderator.focus()  # the bar shows on focus as on hover (hover moves with scrolling)
    expect(seen_by_moderator.get_by_role("button", name="Edit message")).to_have_count(0)
    seen_by_moderator.get_by_role("button", name="Delete message").click()
    seen_by_moderator.get_by_role("button", name="Delete", exact=True).click()
    for room in (author_room, member_room, moderator_room):
        expect(stored(room, "spam spam spam")).to_have_count(0)


def test_the_keyboard_goes_from_message_to_message_and_into_a_focused_ones_actions(
    new_page, make_user, rooms
):
    page = new_page(make_user())
    page.goto("/")
    room = open_room(page, "General")
    for text in ("one", "two", "three"):
        say(room, text)
    one, two, three = (stored(room, text) for text in ("one", "two", "three"))
    expect(three).to_be_visible()

    # Back from the composer: each message is one stop, none of its buttons is.
    room.get_by_label("Message", exact=True).focus()
    for message in (three, two, one):
        page.keyboard.press("Shift+Tab")
        expect(message).to_be_focused()
    expect(two.get_by_role("button", name="React", exact=True)).to_have_attribute("tabindex", "-1")

    # From a focused message, Tab goes through its actions, then on to the next message.
    for name in ("React", "Reply", "Edit message", "Delete message"):
        page.keyboard.press("Tab")
        expect(one.get_by_role("button", name=name, exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    expect(two).to_be_focused()
    page.keyboard.press("Shift+Tab")  # the message left behind is one stop again
    expect(one).to_be_focused()


def test_on_a_phone_the_action_bar_leaves_the_author_and_time_uncovered(new_page, make_user, rooms):
    page = new_page(make_user(), viewport={"width": 360, "height": 740})
    page.goto("/")
    room = open_room(page, "General")
    say(room, "first")  # the conversation's first message: its bar must not be cut off
    say(room, "second")
    # Grouped under the first (same author, within 5 minutes): it shows no author and
    # time of its own, so only the first has them to keep uncovered.
    expect(stored(room, "second")).to_have_class(re.compile("msg-compact"))
    for text in ("first", "second"):
        message = stored(room, text)
        message.focus()
        bar = message.locator(".msg-actions")
        expect(bar).to_have_css("opacity", "1")
        shown, meta = bar.bounding_box(), message.locator(".msg-meta").bounding_box()
        if text == "first":
            assert (
                shown["y"] + shown["height"] <= meta["y"]
                or meta["y"] + meta["height"] <= shown["y"]
            )
        conversation = room.locator(".messages").bounding_box()
        assert conversation["y"] <= shown["y"]
        assert shown["x"] >= conversation["x"]
        assert shown["x"] + shown["width"] <= conversation["x"] + conversation["width"]


def test_an_edit_made_offline_is_sent_after_reconnecting(new_page, make_user, rooms):
    alice, bob = new_page(make_user("alice")), new_page(make_user("bob"))
    network = ChatSocketCut(alice)
    for page in (alice, bob):
        page.goto("/")
    alice_room, bob_room = open_room(alice, "General"), open_room(bob, "General")
    say(alice_room, "see you at 3")
    expect(stored(bob_room, "see you at 3")).to_be_visible()

    alice.context.set_offline(True)
    network.drop()
    expect(alice.locator("#ws-status")).to_contain_text("You are offline")
    mine = by_id(alice_room, "see you at 3")
    mine.focus()
    mine.get_by_role("button", name="Edit message").click()
    editor = mine.get_by_role("textbox", name="Edit text")
    editor.fill("see you at 4")
    editor.press("Enter")
    expect(mine.locator(".msg-text")).to_have_text("see you at 4")  # shown, pending
    expect(mine.locator(".msg-status")).to_have_text("Waiting for connection")
    alice.wait_for_timeout(1000)
    expect(stored(bob_room, "see you at 3")).to_be_visible()  # not sent yet

    network.restore()
    alice.context.set_offline(False)
    expect(stored(bob_room, "see you at 4").locator(".msg-edited")).to_be_visible(timeout=20_000)
    expect(mine.locator(".msg-edited")).to_be_visible()
    expect(mine.locator(".msg-status")).to_have_count(0)
    assert alice.evaluate("sessionStorage.getItem('chat.outbox')") == "{}"


def test_a_reaction_given_offline_shows_at_once_and_is_sent_after_reconnecting(
    new_page, make_user, rooms
):
    alice, bob = new_page(make_user("alice")), new_page(make_user("bob"))
    network = ChatSocketCut(alice)
    for page in (alice, bob):
        page.goto("/")
    alice_room, bob_room = open_room(alice, "General"), open_room(bob, "General")
    say(bob_room, "tests are green")
    theirs = by_id(alice_room, "tests are green")

    alice.context.set_offline(True)
    network.drop()
    expect(alice.locator("#ws-status")).to_contain_text("You are offline")
    theirs.focus()
    theirs.get_by_role("button", name="React", exact=True).click()
    theirs.get_by_role("button", name="thumbs up").click()
    chip = theirs.get_by_role("button", name="👍 1")
    expect(chip).to_have_attribute("aria-pressed", "true")  # shown at once, pending
    expect(chip).to_have_class(re.compile("reaction-pending"))
    alice.wait_for_timeout(1000)
    expect(stored(bob_room, "tests are green").locator(".reaction")).to_have_count(0)

    network.restore()
    alice.context.set_offline(False)
    on_bob = stored(bob_room, "tests are green").get_by_role("button", name="👍 1")
    expect(on_bob).to_have_attribute("aria-pressed", "false", timeout=20_000)
    expect(chip).not_to_have_class(re.compile("reaction-pending"))


def test_an_offline_edit_of_a_message_deleted_meanwhile_says_it_is_gone(new_page, make_user, rooms):
    alice, moderator = new_page(make_user("alice")), new_page(make_user("boss", staff=True))
    network = ChatSocketCut(alice)
    for page in (alice, moderator):
        page.goto("/")
    alice_room, moderator_room = open_room(alice, "General"), open_room(moderator, "General")
    say(alice_room, "buy cheap watches")
    mine = by_id(alice_room, "buy cheap watches")

    alice.context.set_offline(True)
    network.drop()
    expect(alice.locator("#ws-status")).to_contain_text("You are offline")
    mine.focus()
    mine.get_by_role("button", name="Edit message").click()
    alice_room.get_by_role("textbox", name="Edit text").fill("buy cheap clocks")
    alice.keyboard.press("Enter")
    expect(mine.locator(".msg-status")).to_have_text("Waiting for connection")

    spam = stored(moderator_room, "buy cheap watches")
    spam.focus()
    spam.get_by_role("button", name="Delete message").click()
    spam.get_by_role("button", name="Delete", exact=True).click()
    expect(spam).to_have_count(0)

    network.restore()
    alice.context.set_offline(False)
    expect(alice_room.get_by_role("alert")).to_have_text(
        "That message is no longer there.", timeout=20_000
    )
    expect(mine).to_have_count(0)
    assert alice.evaluate("sessionStorage.getItem('chat.outbox')") == "{}"
