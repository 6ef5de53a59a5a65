"""Fault runs: a process killed with -9, and PostgreSQL briefly unreachable.

(Redis restarting under two processes is in test_reliability.py.) Each is
bounded in time and stays on loopback. Expected every time: a clear state while
it is down, recovery without a page reload, nothing stored lost, no ghosts.
"""

import pytest
from playwright.sync_api import expect

from .conftest import LiveServer, server_env
from .faults import TcpProxy
from .test_chat import open_room, say
from .test_reliability import texts

pytestmark = pytest.mark.e2e


def test_kill_9_of_one_of_two_processes_leaves_no_ghost_and_its_page_recovers(
    new_page, two_servers, make_user
):
    (first, second), _redis = two_servers
    assert first.manage("load_demo_rooms").returncode == 0
    alice, bob = new_page(make_user("alice"), on=first), new_page(make_user("bob"), on=second)
    for page in (alice, bob):
        page.goto("/")
    alice_room, bob_room = open_room(alice, "General"), open_room(bob, "General")
    expect(alice_room.locator(".members")).to_have_text("alice, bob")

    second.kill()
    say(alice_room, "said while bob's server was dead")
    # Bob's entry expires with no process left to renew it: no ghost.
    expect(alice_room.locator(".member-count")).to_have_text("1 online", timeout=20_000)
    expect(alice_room.locator(".members")).to_have_text("alice")

    second.start()  # same port: Bob's page reconnects by itself
    expect(texts(bob_room)).to_have_text(["said while bob's server was dead"], timeout=40_000)
    expect(alice_room.locator(".members")).to_have_text("alice, bob", timeout=20_000)
    from rooms.models import Message

    assert Message.objects.filter(text="said while bob's server was dead").count() == 1


@pytest.fixture
def server_behind_db_proxy(django_db_setup, transactional_db):
    """A daphne whose PostgreSQL connection goes through a proxy the test can cut."""
    from django.db import connection

    from chatapp.testing import REQUIRE_SERVICES

    if connection.vendor != "postgresql":
        if REQUIRE_SERVICES:
            pytest.fail("PostgreSQL is required (REQUIRE_SERVICES=1)")
        pytest.skip("needs PostgreSQL (DATABASE_URL)")
    settings_dict = connection.settings_dict
    host, port = settings_dict.get("HOST") or "127.0.0.1", settings_dict.get("PORT") or 5432
    proxy = TcpProxy(host, int(port))
    proxy.start()
    behind = {**settings_dict, "HOST": "127.0.0.1", "PORT": proxy.port}
    server = LiveServer(server_env(behind, ""))
    server.start()
    yield server, proxy
    server.stop()
    proxy.cut()


def test_postgres_briefly_unreachable_keeps_the_message_and_sends_it_after(
    new_page, server_behind_db_proxy, make_user
):
    server, proxy = server_behind_db_proxy
    assert server.manage("load_demo_rooms").returncode == 0
    alice = new_page(make_user("alice"), on=server)
    alice.goto("/")
    room = open_room(alice, "General")
    say(room, "before the outage")
    expect(texts(room)).to_have_text(["before the outage"])

    proxy.cut()
    say(room, "typed during the outage")
    pending = room.locator(".msg-pending")
    expect(pending.locator(".msg-status")).to_have_text(
        "The server is briefly unavailable. Retrying…", timeout=20_000
    )
    proxy.restore()
    expect(texts(room)).to_have_text(
        ["before the outage", "typed during the outage"], timeout=40_000
    )
    expect(pending).to_have_count(0)
    from rooms.models import Message

    stored = list(Message.objects.order_by("seq").values_list("text", flat=True))
    assert stored == ["before the outage", "typed during the outage"]
