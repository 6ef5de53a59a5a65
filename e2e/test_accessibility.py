"""axe-core (bundled by axe-playwright-python) on every page and state a user meets:
zero violations of any impact, in light and dark, on a desktop and a phone."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from api.webhooks import create_webhook
from rooms.models import MemberRole, Membership, Room, RoomKind

AXE = Axe()
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
LOOKS = [
    pytest.param(DESKTOP, "light", id="desktop-light"),
    pytest.param(PHONE, "dark", id="phone-dark"),
]


def violations(page) -> list[str]:
    """What axe finds on the page as it is now: one line per rule and element."""
    results = AXE.run(page).response
    return [
        f"{rule['id']} ({rule['impact']}): {node['target']}"
        for rule in results["violations"]
        for node in rule["nodes"]
    ]


def assert_accessible(page, what: str) -> None:
    found = violations(page)
    assert found == [], f"{what}: {found}"


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
