"""Files and images in Chromium: pasting an image into the composer, attaching a file with
the button, and what the other side of the room sees."""

import base64
import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from e2e.conftest import extra_server
from e2e.test_chat import open_room

PASTE_FILE = """
(textarea, [b64, name, type]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const data = new DataTransfer();
  data.items.add(new File([bytes], name, { type }));
  textarea.focus();
  const paste = { clipboardData: data, bubbles: true, cancelable: true };
  textarea.dispatchEvent(new ClipboardEvent("paste", paste));
}
"""


DROP_FILE = """
(pane, [text, name]) => {
  const data = new DataTransfer();
  data.items.add(new File([text], name, { type: "text/plain" }));
  const init = { dataTransfer: data, bubbles: true, cancelable: true };
  for (const type of ["dragenter", "dragover", "drop"]) {
    pane.dispatchEvent(new DragEvent(type, init));
  }
}
"""


def png(size=(900, 600)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (220, 90, 30)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def media_server(server, tmp_path):
    """A live server storing its uploads in a temporary folder."""
    with extra_server({"MEDIA_ROOT": str(tmp_path / "media")}) as live:
        yield live


def record_problems(page, problems: list[str]) -> None:
    """Console errors (a CSP refusal among them) the page reports, into `problems`."""
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))


def test_bob_sees_the_image_alice_pastes_into_the_composer(
    new_context, make_user, rooms, media_server
):
    alice = new_context(make_user("alice"), on=media_server).new_page()
    bob = new_context(make_user("bob"), on=media_server).new_page()
    problems: list[str] = []
    for page in (alice, bob):
        record_problems(page, problems)
        page.goto("/")
    alice_room, bob_room = open_room(alice, "General"), open_room(bob, "General")
    composer = alice_room.get_by_label("Message", exact=True)
    composer.evaluate(PASTE_FILE, [base64.b64encode(png()).decode(), "sunset.png", "image/png"])
    chip = alice_room.get_by_role("list", name="Files to send").get_by_role("listitem")
    expect(chip).to_contain_text("sunset.png")
    expect(chip).to_have_class(re.compile("attachment-done"))  # uploaded: its bar is gone
    composer.press("Enter")  # no text: the image alone
    expect(chip).to_have_count(0)
    image = bob_room.get_by_role("img", name="sunset.png")
    expect(image).to_be_visible()
    # Shown at its thumbnail's size, given in the HTML (nothing jumps as it loads).
    expect(image).to_have_attribute("width", "400")
    expect(image).to_have_attribute("height", "267")
    bob.wait_for_function(
        "img => img.complete && img.naturalWidth === 400", arg=image.element_handle()
    )
    link = bob_room.get_by_role("link", name="sunset.png")
    expect(link).to_have_attribute("href", re.compile(r"^/files/\d+/sunset\.png$"))
    expect(alice_room.get_by_role("img", name="sunset.png")).to_be_visible()
    assert problems == []


def test_a_file_attached_with_the_button_reaches_bob_as_a_download_with_its_size(
    new_context, make_user, rooms, media_server
):
    alice = new_context(make_user("alice"), on=media_server).new_page()
    bob = new_context(make_user("bob"), on=media_server).new_page()
    for page in (alice, bob):
        page.goto("/")
    alice_room, bob_room = open_room(alice, "General"), open_room(bob, "General")
    with alice.expect_file_chooser() as chooser:
        alice_room.get_by_role("button", name="Attach a file").click()
    chooser.value.set_files(
        [
            {
                "name": "minutes.pdf",
                "mimeType": "application/pdf",
                "buffer": b"%PDF-1.4\n" + bytes(2000),
            }
        ]
    )
    expect(alice_room.locator(".attachment-done")).to_contain_text("minutes.pdf")
    composer = alice_room.get_by_label("Message", exact=True)
    composer.fill("the minutes")
    composer.press("Enter")
    download = bob_room.get_by_role("link", name=re.compile("minutes.pdf"))
    expect(download).to_contain_text("2 KB, PDF")
    expect(download).to_have_attribute("download", "minutes.pdf")


def test_a_refused_file_is_explained_next_to_the_composer(
    new_context, make_user, rooms, media_server
):
    page = new_context(make_user("alice"), on=media_server).new_page()
    page.goto("/")
    room = open_room(page, "General")
    room.locator(".attach-input").set_input_files(
        [{"name": "tool.exe", "mimeType": "application/octet-stream", "buffer": b"MZ" + bytes(500)}]
    )
    expect(room.get_by_role("alert")).to_have_text(re.compile(r"^tool\.exe: Only images \(PNG"))
    expect(room.locator(".attachment-chip")).to_have_count(0)


def test_a_send_waits_for_the_upload_under_way_then_carries_it(
    new_context, make_user, rooms, media_server
):
    alice = new_context(make_user("alice"), on=media_server).new_page()
    bob = new_context(make_user("bob"), on=media_server).new_page()
    held = []  # the upload, held back until the send has been asked for
    alice.route("**/attachments/", lambda route: held.append(route))
    for page in (alice, bob):
        page.goto("/")
    alice_room, bob_room = open_room(alice, "General"), open_room(bob, "General")
    composer = alice_room.get_by_label("Message", exact=True)
    composer.evaluate(PASTE_FILE, [base64.b64encode(png()).decode(), "chart.png", "image/png"])
    expect(alice_room.get_by_role("progressbar", name="Uploading chart.png")).to_be_visible()
    composer.fill("the chart")
    composer.press("Enter")
    expect(alice_room.get_by_text("Sending once the files are uploaded…")).to_be_visible()
    expect(composer).to_have_value("the chart")
    alice.wait_for_timeout(300)
    held[0].continue_()
    message = bob_room.locator(".msg", has_text="the chart")
    expect(message.get_by_role("img", name="chart.png")).to_be_visible()
    expect(composer).to_have_value("")


def test_a_file_dropped_on_the_pane_is_attached(new_context, make_user, rooms, media_server):
    page = new_context(make_user("alice"), on=media_server).new_page()
    page.goto("/")
    room = open_room(page, "General")
    room.evaluate(DROP_FILE, ["shopping list", "list.txt"])
    expect(room.locator(".attachment-done")).to_contain_text("list.txt")
    expect(room).not_to_have_class(re.compile("room-drop"))
    room.get_by_role("button", name="Send").click()  # no text: the file alone
    expect(room.get_by_role("link", name=re.compile("list.txt"))).to_contain_text("13 bytes, Text")
