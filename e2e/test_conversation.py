"""The conversation changing under an open page: deletions in the admin, edits and
reactions from another user, live and after a reload."""

import json

from playwright.sync_api import expect

from e2e.test_chat import open_room, say

STREAM_COMMANDS = "/chat/stream/"


def joins_sent(page) -> list[dict]:
    """Record the join frames the page sends (to count them)."""
    joins: list[dict] = []

    def watch(ws):
        def sent(payload):
            frame = json.loads(payload) if isinstance(payload, str) else {}
            if isinstance(frame, dict) and frame.get("command") == "join":
                joins.append(frame)

        ws.on("framesent", sent)

    page.on("websocket", watch)
    return joins


def socket_command(page, frame: dict) -> None:
    """Send a protocol command on the page's own socket (as its controls would)."""
    page.evaluate(
        """(frame) => {
            const url = document.getElementById("lobby").dataset.chatSocket;
            window.chatSockets.send(url, frame);
        }""",
        frame,
    )


def test_a_message_deleted_in_the_admin_disappears_and_the_page_keeps_still(
    new_page, make_user, rooms
):
    member = new_page(make_user("member"))
    joins = joins_sent(member)
    member.goto("/")
    room = open_room(member, "General")
    for text in ("first", "second", "third"):
        say(room, text)
    stored = room.locator(".msg:not(.msg-pending) .msg-text")
    expect(stored).to_have_text(["first", "second", "third"])

    from rooms.models import Message

    second = Message.objects.get(room=rooms["General"], text="second")
    admin = new_page(make_user("moderator", staff=True, is_superuser=True))
    admin.goto(f"/admin/rooms/message/{second.pk}/delete/")
    admin.locator("input[type=submit]").click()  # "Yes, I am sure"
    expect(admin.get_by_text("was deleted successfully")).to_be_visible()

    expect(stored).to_have_text(["first", "third"])  # live, on the member's page
    member.reload()
    room = member.get_by_role("article", name="General")
    expect(room.locator(".msg-text")).to_have_text(["first", "third"])
    member.wait_for_timeout(1500)
    # One join per page load: a deletion is the room's next seq, not a hole to fill.
    assert len(joins) == 2, joins
    second.refresh_from_db()
    assert (second.text, second.deleted is not None) == ("", True)


def test_an_edit_and_reactions_from_another_user_show_live_and_after_a_reload(
    new_page, make_user, rooms
):
    alice, bob = new_page(make_user("alice")), new_page(make_user("bob"))
    for page in (alice, bob):
        page.goto("/")
    alice_room, bob_room = open_room(alice, "General"), open_room(bob, "General")
    say(bob_room, "helo")
    message = alice_room.locator(".msg", has_text="helo")
    expect(message).to_be_visible()
    number = int(message.get_attribute("data-id"))
    room_id = rooms["General"].pk

    socket_command(bob, {"command": "edit", "room": room_id, "id": number, "message": "hello"})
    edited = alice_room.locator(f'.msg[data-id="{number}"]')
    expect(edited.locator(".msg-text")).to_have_text("hello")
    expect(edited.locator(".msg-edited")).to_have_text("(edited)")

    socket_command(
        bob, {"command": "react", "room": room_id, "id": number, "emoji": "👍", "on": True}
    )
    chip = edited.get_by_role("button", name="👍 1")
    expect(chip).to_have_attribute("aria-pressed", "false")  # bob's, not alice's
    chip.click()  # alice adds hers
    mine = edited.get_by_role("button", name="👍 2")
    expect(mine).to_have_attribute("aria-pressed", "true")
    expect(
        bob_room.locator(f'.msg[data-id="{number}"]').get_by_role("button", name="👍 2")
    ).to_be_visible()

    alice.reload()
    again = alice.get_by_role("article", name="General").locator(f'.msg[data-id="{number}"]')
    expect(again.locator(".msg-text")).to_have_text("hello")
    expect(again.get_by_role("button", name="👍 2")).to_have_attribute("aria-pressed", "true")


def test_a_reply_quotes_its_parent_and_says_so_when_the_parent_is_deleted(
    new_page, make_user, rooms
):
    alice, bob = new_page(make_user("alice")), new_page(make_user("bob"))
    for page in (alice, bob):
        page.goto("/")
    alice_room, bob_room = open_room(alice, "General"), open_room(bob, "General")
    say(alice_room, "lunch at noon?")
    parent = bob_room.locator(".msg", has_text="lunch at noon?")
    number = int(parent.get_attribute("data-id"))
    room_id = rooms["General"].pk
    socket_command(bob, {"command": "send", "room": room_id, "message": "yes!", "reply_to": number})
    reply = alice_room.locator(f'.msg[data-reply-to="{number}"]')
    expect(reply.locator(".reply-quote")).to_contain_text("alice lunch at noon?")
    socket_command(alice, {"command": "delete", "room": room_id, "id": number})
    expect(reply.locator(".reply-quote")).to_have_text("message deleted")
    expect(alice_room.locator(".msg-deleted")).to_have_text("message deleted")
    bob.reload()
    kept = bob.get_by_role("article", name="General").locator(f'.msg[data-reply-to="{number}"]')
    expect(kept.locator(".reply-quote")).to_have_text("message deleted")
    expect(kept.locator(".msg-text")).to_have_text("yes!")
