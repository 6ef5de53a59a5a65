"""Each section of /features/ working in Chromium, across tabs and server restarts."""

import pytest
from playwright.sync_api import expect

from chatapp.testing import REQUIRE_SERVICES


@pytest.fixture
def features(new_page, make_user):
    user = make_user("fiona")

    def open_page():
        page = new_page(user)
        page.goto("/features/")
        expect(page.locator("html[data-ws=open]")).to_have_count(1)
        return page

    return open_page


def test_counter_renders_into_its_target(features):
    page = features()
    increment = page.get_by_role("button", name="Increment")
    increment.click()
    increment.click()
    expect(page.locator("#counter-value")).to_have_text("2")


def test_chat_enter_sends_clears_and_reaches_another_tab(features):
    first, second = features(), features()
    box = first.get_by_label("Chat message")
    box.fill("hello <b>there</b>")
    box.press("Enter")
    expect(box).to_have_value("")
    for page in (first, second):
        expect(page.locator("#chat-messages li")).to_have_text("fiona: hello <b>there</b>")
        expect(page.locator("#chat-length")).to_have_text("Length of the last message: 18")


def test_backend_send_shows_an_alert_in_every_tab(features):
    first, second = features(), features()
    first.get_by_label("Announcement").fill("Tea is ready")
    first.get_by_role("button", name="Send alert").click()
    for page in (first, second):
        expect(page.get_by_role("alert").filter(has_text="Tea is ready")).to_be_visible()


def test_server_closes_and_reopens_a_socket_with_commands(features):
    page = features()
    page.get_by_role("button", name="Close it from the server").click()
    expect(page.locator("#socket-state")).to_have_text("closed")
    page.get_by_label("Announcement").fill("nobody hears this")
    page.get_by_role("button", name="Send alert").click()
    page.get_by_role("button", name="Open it again").click()
    expect(page.locator("#socket-state")).to_have_text("open")
    expect(page.get_by_role("alert")).to_have_count(0)


def test_stream_relay_pushes_html_from_a_view(features):
    first, second = features(), features()
    first.get_by_label("Line to push").fill("<i>pushed</i>")
    first.get_by_role("button", name="Push from a view").click()
    for page in (first, second):
        expect(page.locator("#stream-log li")).to_contain_text("<i>pushed</i> (view, by fiona)")


def test_stream_relay_pushes_html_from_a_management_command(features, server):
    if not server.env.get("REDIS_URL"):
        if REQUIRE_SERVICES:
            pytest.fail("Redis is required (REQUIRE_SERVICES=1) for cross-process sends")
        pytest.skip("another process reaches the server only through Redis (REDIS_URL)")
    page = features()
    result = server.manage("push_feature_stream", "from another process")
    assert result.returncode == 0, result.stderr
    expect(page.locator("#stream-log li")).to_contain_text("from another process")


def test_permission_denied_is_shown(features):
    page = features()
    expect(page.get_by_text("Permission denied")).to_be_visible()


def test_page_reconnects_after_a_server_restart(features, server):
    page = features()
    page.get_by_role("button", name="Increment").click()
    expect(page.locator("#counter-value")).to_have_text("1")
    server.stop()
    expect(page.locator("#ws-status")).to_have_text("Reconnecting…")
    server.start()
    expect(page.locator("#ws-status")).to_be_hidden(timeout=20_000)
    page.get_by_role("button", name="Increment").click()
    # A new consumer instance: the count starts again, on the same page without a reload.
    expect(page.locator("#counter-value")).to_have_text("1")
    page.get_by_label("Chat message").fill("after restart")
    page.get_by_label("Chat message").press("Enter")
    expect(page.locator("#chat-messages li")).to_have_text("fiona: after restart")


def test_chat_message_typed_while_the_server_is_down_is_sent_after_reconnect(features, server):
    page = features()
    server.stop()
    expect(page.locator("#ws-status")).to_have_text("Reconnecting…")
    page.get_by_label("Chat message").fill("queued while offline")
    page.get_by_label("Chat message").press("Enter")
    server.start()
    expect(page.locator("#chat-messages li")).to_have_text("fiona: queued while offline")


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("append", "a,b,new"),
        ("prepend", "new,a,b"),
        ("replace", "new"),
        ("update", "new"),
        ("remove", ""),
        ("before", "new,a,b"),
        ("after", "a,b,new"),
    ],
)
def test_runtime_applies_every_turbo_stream_action(features, action, expected):
    """The seven actions, applied by chatapp/websocket/static/websocket/websocket.js in Chromium."""
    page = features()
    result = page.evaluate(
        """async (action) => {
            const runtime = await import("/static/websocket/websocket.js");
            const box = document.createElement("div");
            box.innerHTML = '<ul id="t-target"><li>a</li><li>b</li></ul>';
            document.body.append(box);
            runtime.applyTurboStreams(
              `<turbo-stream action="${action}" target="t-target">` +
              `<template><li>new</li></template></turbo-stream>`);
            return [...box.querySelectorAll("li")].map((li) => li.textContent).join(",");
        }""",
        action,
    )
    assert result == expected


def test_runtime_carries_out_every_command_and_close_code_the_server_defines(features):
    """The names and codes come from chatapp/websocket/codes.py through the page, not a copy."""
    from chatapp.websocket.codes import CLOSES, ERROR_TEXTS
    from chatapp.websocket.commands import KNOWN_COMMANDS

    page = features()
    seen = page.evaluate(
        """async () => {
            const runtime = await import("/static/websocket/websocket.js");
            return {names: runtime.commandNames(), contract: runtime.contract};
        }"""
    )
    assert set(seen["contract"]["commands"]) == KNOWN_COMMANDS
    assert KNOWN_COMMANDS <= set(seen["names"])
    assert {int(code) for code in seen["contract"]["closes"]} == set(CLOSES)
    assert seen["contract"]["errors"] == ERROR_TEXTS
