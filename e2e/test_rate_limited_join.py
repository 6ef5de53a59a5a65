"""A join refused for the join limit (RATE_LIMITED): the page says so and tries again.

The server counts joins per user in a fixed wall-clock minute (`within_rate` in
chatapp/ratelimit.py), which a test cannot wait out. So the server here counts
in a Redis of the test's own, where the test uses up this minute's and the next one's
allowance and later ends "the minute" by deleting the counters; the page's clock is
driven with Playwright's clock API instead of waiting for the retry.
"""

import json
import shutil
import time

import pytest
import redis
from playwright.sync_api import expect

from .conftest import ARTIFACTS, PrivateRedis, extra_server
from .test_chat import open_room, say
from .test_reliability import texts

pytestmark = pytest.mark.e2e

JOIN_LIMIT = 3
JOIN_RETRY_MS = 15_000  # chat.js
WAITING = "Too many rooms opened at once. Trying again in 15 s…"


class JoinCounters:
    """The server's join counters in its Redis (the key shape of `within_rate`)."""

    def __init__(self, redis_url: str, cache_prefix: str):
        self.client = redis.Redis.from_url(redis_url)
        self.prefix = cache_prefix

    def key(self, user, minute: int | str) -> str:
        return f"{self.prefix}:1:rate:chat-join:{user.pk}:{minute}"

    def use_up(self, user) -> None:
        """As if other tabs had just opened JOIN_LIMIT rooms; the next minute too, so a
        minute that turns during the test does not let a join in early."""
        now = int(time.time() // 60)
        for minute in (now, now + 1):
            self.client.set(self.key(user, minute), JOIN_LIMIT, ex=180)

    def end_the_minute(self, user) -> None:
        keys = list(self.client.scan_iter(match=self.key(user, "*")))
        if keys:
            self.client.delete(*keys)


@pytest.fixture
def limited_server(django_db_setup, transactional_db):
    """A daphne with a low join limit, counting in a private Redis the test can reach."""
    from chatapp.testing import REQUIRE_SERVICES

    if not shutil.which("redis-server"):
        if REQUIRE_SERVICES:
            pytest.fail("redis-server is required (REQUIRE_SERVICES=1)")
        pytest.skip("redis-server not installed")
    private_redis = PrivateRedis()
    private_redis.start()
    limit = {"CHAT_MAX_JOINS_PER_MINUTE": str(JOIN_LIMIT)}
    with extra_server(limit, redis_url=private_redis.url) as server:
        assert server.manage("load_demo_rooms").returncode == 0
        yield server, JoinCounters(private_redis.url, server.env["CACHE_KEY_PREFIX"])
    private_redis.stop()


def record_frames(page, sent: list, received: list) -> None:
    """Collect the JSON frames of the page's chat socket, both ways."""

    def frames(ws):
        if not ws.url.endswith("/chat/stream/"):
            return
        ws.on("framesent", lambda payload: sent.append(json.loads(payload)))
        ws.on("framereceived", lambda payload: received.append(json.loads(payload)))

    page.on("websocket", frames)


def wait_until(page, check, timeout_ms=10_000):
    """Poll `check` while Playwright delivers the page's events."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not check():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(50)


def test_room_refused_for_too_many_joins_says_so_and_opens_when_allowed(
    new_page, make_user, limited_server
):
    server, counters = limited_server
    reader = make_user("reader")
    # Phone width: the screenshot in the artifacts shows the message where users see it.
    page = new_page(reader, on=server, viewport={"width": 360, "height": 740})
    page.clock.install()
    page.goto("/")
    counters.use_up(reader)
    page.get_by_role("link", name="Help", exact=True).click()
    room = page.get_by_role("article", name="Help")
    expect(room.get_by_role("alert")).to_have_text(WAITING)
    room.screenshot(path=ARTIFACTS / "rate-limited-join-360.png")

    writer = new_page(make_user("writer"), on=server)
    writer.goto("/")
    writer_room = open_room(writer, "Help")
    say(writer_room, "posted while you waited")
    counters.end_the_minute(reader)
    page.clock.fast_forward(JOIN_RETRY_MS)
    expect(texts(room)).to_have_text(["posted while you waited"])
    expect(room.get_by_role("alert")).to_be_hidden()
    say(writer_room, "and one after")
    expect(texts(room)).to_have_text(["posted while you waited", "and one after"])


def test_refused_retry_keeps_the_message_and_asks_once_per_wait(
    new_page, make_user, limited_server
):
    server, counters = limited_server
    reader = make_user("reader")
    page = new_page(reader, on=server)
    sent, received = [], []
    record_frames(page, sent, received)
    page.clock.install()
    page.goto("/")
    counters.use_up(reader)
    page.get_by_role("link", name="Help", exact=True).click()
    room = page.get_by_role("article", name="Help")
    expect(room.get_by_role("alert")).to_have_text(WAITING)

    def joins():
        return [f for f in sent if f.get("command") == "join"]

    def refusals():
        return [f for f in received if f.get("error") == "RATE_LIMITED"]

    # The page's clock also runs by itself: stop well short of the retry.
    page.clock.fast_forward(JOIN_RETRY_MS - 5_000)
    page.wait_for_timeout(500)  # time for a join that should not come yet
    assert len(joins()) == 1
    page.clock.fast_forward(5_000)
    wait_until(page, lambda: len(refusals()) == 2)  # asked again, refused again
    expect(room.get_by_role("alert")).to_have_text(WAITING)
    page.clock.fast_forward(JOIN_RETRY_MS - 5_000)
    page.wait_for_timeout(500)
    assert len(joins()) == 2, "a refused retry waits again"

    counters.end_the_minute(reader)
    page.clock.fast_forward(5_000)
    expect(room.get_by_role("alert")).to_be_hidden()
    expect(room.locator(".member-count")).to_have_text("1 online")
    assert len(joins()) == 3
