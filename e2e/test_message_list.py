"""The message list of a room pane as a reader sees it (static/js/chat/messages.js and the
modules beside it): grouped messages, day separators, local times, the "New messages"
line, "Jump to latest", older pages as one scrolls up, the newest message in full view,
what a screen reader hears, and the composer's error and counter."""

import re
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from e2e.test_chat import open_room, say
from e2e.test_conversation import socket_command
from rooms.models import Membership, Message
from rooms.posting import post_message


def posted(room, author, text, *, ago=None):
    """A stored message, `ago` (a timedelta) in the past: its HTML is made again when it
    is next sent, with that time."""
    message = post_message(room=room, author=author, text=text).message
    if ago is not None:
        Message.objects.filter(pk=message.pk).update(created=timezone.now() - ago, html="")
    return message


def items(room):
    """The list's rows as (kind, text): a day, the New messages line, or a message (not
    the "… joined" notices)."""
    return room.locator(".messages > li:not(.older-slot, .msg-enter, .msg-leave)").evaluate_all(
        """rows => rows.map(row => [
            row.matches(".day-separator") ? "day" : row.matches(".unread-line") ? "line"
              : row.classList.contains("msg-compact") ? "compact" : "message",
            (row.querySelector(".msg-text") || row).textContent.trim(),
        ])"""
    )


def test_messages_of_one_sender_within_five_minutes_are_grouped(new_page, make_user, rooms):
    help_room = rooms["Help"]
    alice, bob = make_user("alice"), make_user("bob")
    posted(help_room, alice, "one", ago=timedelta(minutes=30))
    posted(help_room, alice, "two", ago=timedelta(minutes=28))  # 2 minutes later: grouped
    posted(help_room, alice, "three", ago=timedelta(minutes=20))  # 8 minutes later: not
    posted(help_room, bob, "four", ago=timedelta(minutes=19))
    posted(help_room, alice, "five", ago=timedelta(minutes=18))
    page = new_page(alice)
    page.goto("/")
    room = open_room(page, "Help")
    expect(room.locator(".msg[data-id]")).to_have_count(5)
    assert items(room) == [
        ["day", "Today"],
        ["message", "one"],
        ["compact", "two"],
        ["message", "three"],
        ["message", "four"],
        ["message", "five"],
    ]
    two = room.locator(".msg", has_text="two")
    # Hidden from the eye only: a screen reader still hears who and when.
    expect(two.locator(".msg-author")).to_have_text("alice")
    assert two.locator(".msg-meta").bounding_box()["width"] <= 1  # clipped away
    expect(two).to_have_attribute("title", re.compile(r"\d{4}"))  # the full time on hover

    # Live messages join the group; a deletion and an edit regroup.
    say(room, "six")
    say(room, "seven")
    stored = room.locator(".msg[data-id]", has_text="seven")
    expect(stored).to_have_class(re.compile("msg-compact"))
    one = room.locator(".msg[data-id]", has_text="one")
    socket_command(
        page, {"command": "delete", "room": help_room.pk, "id": int(one.get_attribute("data-id"))}
    )
    expect(room.locator(".msg[data-id]", has_text="two")).not_to_have_class(
        re.compile("msg-compact")
    )
    seven = int(stored.get_attribute("data-id"))
    socket_command(
        page, {"command": "edit", "room": help_room.pk, "id": seven, "message": "seven!"}
    )
    edited = room.locator(f'.msg[data-id="{seven}"]')
    expect(edited.locator(".msg-edited")).to_be_visible()  # "(edited)" stays in sight
    expect(edited).to_have_class(re.compile("msg-compact"))


def test_day_separators_say_today_yesterday_and_a_date(new_page, make_user, rooms):
    help_room = rooms["Help"]
    alice = make_user("alice")
    posted(help_room, alice, "last week", ago=timedelta(days=6))
    posted(help_room, alice, "yesterday", ago=timedelta(days=1))
    posted(help_room, alice, "today")
    page = new_page(make_user())
    page.goto("/")
    room = open_room(page, "Help")
    expect(room.locator(".msg[data-id]")).to_have_count(3)
    week_ago = page.evaluate(
        """() => {
            const date = new Date(Date.now() - 6 * 86400000);
            const year = date.getFullYear() === new Date().getFullYear() ? {} : {year: "numeric"};
            const day = {weekday: "long", day: "numeric", month: "long", ...year};
            return new Intl.DateTimeFormat(undefined, day).format(date);
        }"""
    )
    days = room.get_by_role("heading", level=3)
    expect(days).to_have_text([week_ago, "Yesterday", "Today"])
    assert [kind for kind, _ in items(room)] == [
        "day",
        "message",
        "day",
        "message",
        "day",
        "message",
    ]


def test_the_time_shows_beside_the_author_and_in_full_on_hover(new_page, make_user, rooms):
    help_room = rooms["Help"]
    alice = make_user("alice")
    message = posted(help_room, alice, "what time is it?", ago=timedelta(days=1))
    page = new_page(alice)
    page.goto("/")
    room = open_room(page, "Help")
    time = room.locator(".msg .msg-meta time")
    expected = page.evaluate(
        """(iso) => {
            const date = new Date(iso);
            const time = {hour: "2-digit", minute: "2-digit"};
            const short = new Intl.DateTimeFormat(undefined, time).format(date);
            const day = {weekday: "long", day: "numeric", month: "long", year: "numeric"};
            const full = new Intl.DateTimeFormat(undefined, {...day, ...time}).format(date);
            return {short, full};
        }""",
        Message.objects.get(pk=message.pk).created.isoformat(),
    )
    expect(time.locator("[aria-hidden=true]")).to_have_text(expected["short"])
    expect(time).to_have_attribute("title", expected["full"])
    expect(time.locator(".visually-hidden")).to_have_text(expected["full"])  # read out in full


def unread_since(help_room, reader, writer, count):
    """`reader` read the room up to a message of `writer`; `count` more came since."""
    read = posted(help_room, writer, "read already", ago=timedelta(minutes=60))
    Membership.objects.create(room=help_room, user=reader, read_seq=read.seq)
    for n in range(count):
        posted(help_room, writer, f"new {n}", ago=timedelta(minutes=count - n))


def test_the_new_messages_line_is_at_the_first_unread_until_the_user_sends(
    new_page, make_user, rooms
):
    help_room = rooms["Help"]
    reader, writer = make_user("reader"), make_user("writer")
    unread_since(help_room, reader, writer, 30)
    page = new_page(reader, viewport={"width": 360, "height": 740})
    page.goto(f"/rooms/{help_room.pk}/")
    room = page.get_by_role("article", name="Help")
    expect(room.locator(".msg[data-id]")).to_have_count(31)
    line = room.locator(".unread-line")
    expect(line).to_have_text("New messages")
    assert items(room)[1:4] == [
        ["message", "read already"],
        ["line", "New messages"],
        ["message", "new 0"],
    ]
    page.wait_for_timeout(1000)  # the history is in and the room reported read: the line stays
    expect(line).to_have_count(1)
    say(room, "thanks")
    expect(line).to_have_count(0)


def test_the_new_messages_line_goes_once_the_user_has_read_on(new_page, make_user, rooms):
    help_room = rooms["Help"]
    reader, writer = make_user("reader"), make_user("writer")
    unread_since(help_room, reader, writer, 30)
    page = new_page(reader, viewport={"width": 360, "height": 740})
    page.goto(f"/rooms/{help_room.pk}/")
    room = page.get_by_role("article", name="Help")
    line = room.locator(".unread-line")
    expect(line).to_have_count(1)
    room.locator(".messages").hover()
    for _ in range(40):  # the reader scrolls up to where they stopped
        if line.evaluate(
            """el => el.getBoundingClientRect().top
                > el.closest(".messages").getBoundingClientRect().top"""
        ):
            break
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(50)
    expect(line).to_be_in_viewport()
    room.get_by_role("button", name=re.compile("Jump to latest")).click()  # and reads on
    expect(line).to_have_count(0)


def test_jump_to_latest_appears_when_scrolled_up_and_brings_the_newest_into_view(
    new_page, make_user, rooms
):
    help_room = rooms["Help"]
    writer = make_user("writer")
    for n in range(50):
        posted(help_room, writer, f"note {n}")
    page = new_page(make_user("reader"))
    page.goto("/")
    room = open_room(page, "Help")
    jump = room.get_by_role("button", name=re.compile("Jump to latest"))
    expect(room.locator(".msg-text").last).to_have_text("note 49")
    expect(jump).to_be_hidden()
    room.locator(".messages").evaluate("list => list.scrollTop = list.scrollHeight / 3")
    expect(jump).to_be_visible()
    other = new_page(writer)
    other.goto("/")
    say(open_room(other, "Help"), "while you were away")
    expect(jump).to_have_text(re.compile("Jump to latest 1 new"))
    newest = room.locator(".msg-text", has_text="while you were away")
    expect(newest).not_to_be_in_viewport()
    jump.click()
    expect(newest).to_be_in_viewport(ratio=1)
    expect(jump).to_be_hidden()
    expect(room.locator(".messages")).to_be_focused()  # not the page's top


def test_scrolling_up_loads_older_messages_and_keeps_the_readers_place(new_page, make_user, rooms):
    help_room = rooms["Help"]
    writer = make_user("writer")
    for n in range(1, 81):
        posted(help_room, writer, f"note {n}")
    page = new_page(make_user("reader"))
    page.goto("/")
    room = open_room(page, "Help")
    texts = room.locator(".msg-text")
    expect(texts.first).to_have_text("note 31")
    room.locator(".messages").evaluate("list => list.scrollTop = 0")
    expect(texts.first).to_have_text("note 1")
    expect(texts).to_have_count(80)
    # The message that was at the top is still where the reader left it, not far below.
    note_31 = room.locator(".msg[data-id]").filter(
        has=page.locator(".msg-text", has_text=re.compile(r"^note 31$"))
    )
    place = note_31.bounding_box()
    conversation = room.locator(".messages").bounding_box()
    assert conversation["y"] - 10 <= place["y"] <= conversation["y"] + conversation["height"] / 2
    expect(room.get_by_role("button", name="Load older messages")).to_be_hidden()


def test_the_newest_message_is_fully_visible_on_open(new_page, make_user, rooms):
    help_room = rooms["Help"]
    writer = make_user("writer")
    for n in range(40):
        posted(help_room, writer, f"line {n}\n" * (1 + n % 4))
    posted(help_room, writer, "the very last one")
    page = new_page(make_user("reader"))
    page.goto("/")
    room = open_room(page, "Help")
    expect(room.locator(".member-count")).to_have_text("1 online")  # the members line is in
    expect(room.locator(".members")).to_be_visible()
    page.wait_for_timeout(300)
    newest = room.locator(".msg", has_text="the very last one")
    expect(newest).to_be_in_viewport(ratio=1)
    box, conversation = newest.bounding_box(), room.locator(".messages").bounding_box()
    assert box["y"] + box["height"] <= conversation["y"] + conversation["height"] + 0.5


# Every message element added under the log, with the log's aria-live at that moment.
RECORD_ADDITIONS = """
window.added = [];
new MutationObserver((records) => {
  for (const record of records) for (const node of record.addedNodes) {
    if (!(node instanceof Element) || !node.matches(".msg[data-id]")) continue;
    const log = node.closest("[role=log]");
    window.added.push({text: node.querySelector(".msg-text")?.textContent.trim(),
                       live: log ? log.getAttribute("aria-live") : "outside"});
  }
}).observe(document, {childList: true, subtree: true});
"""


def test_the_history_is_not_announced_and_new_messages_are(new_page, make_user, rooms):
    help_room = rooms["Help"]
    writer = make_user("writer")
    for text in ("old one", "old two", "old three"):
        posted(help_room, writer, text)
    page = new_page(make_user("listener"))
    page.add_init_script(RECORD_ADDITIONS)
    page.goto("/")
    room = open_room(page, "Help")
    expect(room.locator(".msg[data-id]")).to_have_count(3)
    assert room.get_by_role("log").count() == 1
    history = page.evaluate("window.added")
    assert [entry["live"] for entry in history] == ["off", "off", "off"], history
    page.wait_for_timeout(600)  # the region is polite again once the history is in
    other = new_page(writer)
    other.goto("/")
    say(open_room(other, "Help"), "fresh news")
    expect(room.locator(".msg-text", has_text="fresh news")).to_be_visible()
    assert page.evaluate("window.added").pop() == {"text": "fresh news", "live": "polite"}


def test_the_composer_error_is_tied_to_it_and_says_the_limit(new_page, make_user, rooms):
    page = new_page(make_user())
    page.goto("/")
    room = open_room(page, "General")
    box = room.get_by_label("Message", exact=True)
    count = room.locator(".composer-count")
    box.fill("x" * 1700)
    expect(count).to_be_hidden()
    box.fill("x" * 1950)
    expect(count).to_have_text("1,950 / 2,000")
    expect(box).not_to_have_attribute("aria-invalid", "true")
    box.fill("x" * 2001)
    expect(count).to_have_text("2,001 / 2,000")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(room.locator(".composer-limit")).to_have_text(
        "Over the limit: 2,000 characters at most."
    )
    box.press("Enter")
    error = room.get_by_role("alert")
    expect(error).to_have_text("That message is too long. 2,000 characters at most.")
    described = box.get_attribute("aria-describedby").split()
    assert error.get_attribute("id") in described and count.get_attribute("id") in described
    expect(box).to_have_accessible_description(re.compile("2,000 characters at most"))
    box.press("Backspace")
    expect(error).to_be_hidden()
    expect(box).not_to_have_attribute("aria-invalid", "true")
    expect(count).to_have_text("2,000 / 2,000")


def test_days_and_times_are_in_the_viewers_time_zone(browser, server, make_user, rooms):
    from zoneinfo import ZoneInfo

    from chatapp.websocket.testing import session_cookie

    zone = ZoneInfo("Pacific/Kiritimati")  # UTC+14: often another day than the server's
    help_room = rooms["Help"]
    alice = make_user("alice")
    message = posted(help_room, alice, "far away", ago=timedelta(hours=20))
    created = Message.objects.get(pk=message.pk).created.astimezone(zone)
    days = (timezone.now().astimezone(zone).date() - created.date()).days
    context = browser.new_context(base_url=server.url, timezone_id=zone.key)
    try:
        context.add_cookies(
            [{"name": "sessionid", "value": session_cookie(alice), "url": server.url}]
        )
        page = context.new_page()
        page.goto(f"/rooms/{help_room.pk}/")
        room = page.get_by_role("article", name="Help")
        expect(room.get_by_role("heading", level=3)).to_have_text(["Today", "Yesterday"][days])
        hour_minute = re.compile(f"({created:%H}|{created:%I}):{created:%M}")  # 24 or 12 h
        expect(room.locator(".msg time [aria-hidden=true]")).to_have_text(hour_minute)
    finally:
        context.close()
