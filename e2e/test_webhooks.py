"""An integration posts through an incoming webhook, and the room's open page shows it."""

import json
import urllib.request

from playwright.sync_api import expect

from rooms.models import MemberRole, Membership, Room, RoomKind


def test_a_webhook_made_on_the_settings_page_posts_into_the_open_room(
    new_context, make_user, server
):
    alice = make_user("alice")
    ops = Room.objects.create(title="Ops", kind=RoomKind.PRIVATE)
    Membership.objects.create(room=ops, user=alice, role=MemberRole.OWNER)
    context = new_context(alice)
    settings_page, chat = context.new_page(), context.new_page()

    settings_page.goto(f"/rooms/{ops.pk}/settings/")
    settings_page.get_by_role("link", name="Manage webhooks").click()
    settings_page.get_by_label("Name").fill("Deploys")
    settings_page.get_by_role("button", name="Create webhook").click()
    address = settings_page.get_by_label("Copy its address now").input_value()
    assert "/api/v1/hooks/hook_" in address

    chat.goto(f"/rooms/{ops.pk}/")
    room = chat.get_by_role("article", name="Ops")
    expect(room).to_be_visible()
    request = urllib.request.Request(
        address,
        data=json.dumps({"text": "Build 42 is **green**"}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    posted = room.locator(".msg", has_text="Build 42 is green")
    expect(posted).to_be_visible()
    expect(posted).to_contain_text("deploys-bot")
    expect(posted.locator("strong")).to_have_text("green")
