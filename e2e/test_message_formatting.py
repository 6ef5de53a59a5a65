"""Formatted messages in Chromium: the Markdown subset shows, hostile text never runs."""

from playwright.sync_api import expect

from rooms.rendering import ALLOWED_ATTRIBUTES, ALLOWED_SCHEMES, ALLOWED_TAGS, LINK_REL
from rooms.tests.test_rendering import XSS_CORPUS

# The unit tests' corpus, with payloads that set a flag instead of opening a dialog,
# plus a few that would run without any user action.
PAYLOAD = "window.__xss=1"
BROWSER_CORPUS = [text.replace("alert(1)", PAYLOAD) for text in XSS_CORPUS] + [
    f'<img src=x onerror="{PAYLOAD}">',
    f"<details open ontoggle={PAYLOAD}>",
    f"[x](javascript:{PAYLOAD}) alert(1)",
]

# Every element inside a message's text, with its attributes, as the page has it.
ELEMENTS_JS = """() => Array.from(document.querySelectorAll('.msg-text *'), (el) => ({
    tag: el.tagName.toLowerCase(),
    attrs: Object.fromEntries(Array.from(el.attributes, (a) => [a.name, a.value])),
}))"""


def open_room(page, title):
    page.get_by_role("link", name=title, exact=True).click()
    room = page.get_by_role("article", name=title)
    expect(room).to_be_visible()
    return room


def test_hostile_messages_show_as_text_and_nothing_runs(new_page, make_user, make_room):
    from rooms.posting import clean_text, post_message

    room = make_room("Hostile")
    author = make_user("mallory")
    for text in BROWSER_CORPUS:
        post_message(room=room, author=author, text=clean_text(text))
    page = new_page(make_user("victim"))
    dialogs, violations = [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    page.goto("/")
    pane = open_room(page, "Hostile")
    texts, older = pane.locator(".msg-text"), pane.get_by_role("button", name="Load older messages")
    expect(texts.last).to_contain_text("javascript:window.__xss=1")
    while texts.count() < len(BROWSER_CORPUS) and older.is_visible():
        shown = texts.count()
        older.click()
        expect(texts).not_to_have_count(shown)
    expect(texts).to_have_count(len(BROWSER_CORPUS))
    page.wait_for_timeout(500)  # time for an injected onerror or ontoggle to fire

    assert dialogs == []
    assert page.evaluate("typeof window.__xss") == "undefined"
    assert violations == [], "an injected script or handler reached the page"
    for element in page.evaluate(ELEMENTS_JS):
        tag, attrs = element["tag"], element["attrs"]
        assert tag in ALLOWED_TAGS, element
        assert set(attrs) <= ALLOWED_ATTRIBUTES.get(tag, frozenset()), element
        if tag == "a":
            assert attrs["href"].lower().startswith(ALLOWED_SCHEMES), element
    expect(texts.first).to_have_text("<script>window.__xss=1</script>")


def test_bold_a_link_and_a_mention_show_formatted(new_page, make_user, make_room):
    from rooms.posting import post_message

    room = make_room("Formatting")
    make_user("bob")
    post_message(
        room=room,
        author=make_user("alice"),
        text="**bold** and https://example.com and @bob\n`code` > not a quote",
    )
    page = new_page(make_user("reader"), viewport={"width": 360, "height": 740})
    page.goto("/")
    text = open_room(page, "Formatting").locator(".msg-text")

    expect(text.locator("strong")).to_have_text("bold")
    link = text.get_by_role("link", name="https://example.com")
    expect(link).to_have_attribute("href", "https://example.com")
    expect(link).to_have_attribute("rel", LINK_REL)
    expect(link).to_have_attribute("target", "_blank")
    mention = text.locator(".mention")
    expect(mention).to_have_text("@bob")
    expect(mention).to_have_attribute("data-username", "bob")
    expect(text.locator("code")).to_have_text("code")
    expect(text.locator("br")).to_have_count(1)  # the line break the author typed
    background = mention.evaluate("(el) => getComputedStyle(el).backgroundColor")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent"), "the mention stands out"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "nothing overflows"
