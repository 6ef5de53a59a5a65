"""Message text to HTML (rooms/rendering.py): the Markdown subset, links, mentions, XSS."""

from __future__ import annotations

import time
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.template import Context, Template

from rooms.rendering import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_SCHEMES,
    ALLOWED_TAGS,
    LINK_REL,
    mentioned_usernames,
    render_message_text,
)

REL_TARGET = f'rel="{LINK_REL}" target="_blank"'


class Elements(HTMLParser):
    """Every element of an HTML fragment, as (tag, {attribute: value})."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def elements(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser


def assert_only_allowed(html: str) -> None:
    """Only the subset's elements and attributes; links only to http(s) and mailto."""
    for tag, attrs in elements(html).elements:
        assert tag in ALLOWED_TAGS, (tag, html)
        assert set(attrs) <= ALLOWED_ATTRIBUTES.get(tag, frozenset()), (tag, attrs, html)
        if tag == "a":
            assert (attrs["href"] or "").lower().startswith(ALLOWED_SCHEMES), html
            assert attrs["rel"] == LINK_REL and attrs["target"] == "_blank", html
        if tag == "span":
            assert attrs["class"] == "mention", html


def tags(html: str) -> list[str]:
    return [tag for tag, _ in elements(html).elements]


def text_of(html: str) -> str:
    return "".join(elements(html).text)


# The subset -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        ("*emphasis* and _this_", "<p><em>emphasis</em> and <em>this</em></p>"),
        ("**strong** and __this__", "<p><strong>strong</strong> and <strong>this</strong></p>"),
        ("~~gone~~", "<p><s>gone</s></p>"),
        ("use `x < y` here", "<p>use <code>x &lt; y</code> here</p>"),
        (
            "```python\nif a < b:\n    pass\n```",
            '<pre><code class="language-python">if a &lt; b:\n    pass\n</code></pre>',
        ),
        ("look:\n\n    indented code", "<p>look:</p>\n<pre><code>indented code\n</code></pre>"),
        ("> quoted\n> still", "<blockquote>\n<p>quoted<br>\nstill</p>\n</blockquote>"),
        ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
        ("1. one\n2. two", "<ol>\n<li>one</li>\n<li>two</li>\n</ol>"),
        ("3. three", '<ol start="3">\n<li>three</li>\n</ol>'),
        ("first line\nsecond line", "<p>first line<br>\nsecond line</p>"),
        ("one\n\ntwo", "<p>one</p>\n<p>two</p>"),
        ("\\*not emphasis\\*", "<p>*not emphasis*</p>"),
        ("plain", "<p>plain</p>"),
    ],
)
def test_each_construct_of_the_subset_renders(markdown, html):
    assert render_message_text(markdown) == html


@pytest.mark.parametrize(
    "markdown",
    [
        "# not a heading",
        "## nor this",
        "title\n===",
        "title\n---",
        "***",
        "| a | b |\n|---|---|\n| 1 | 2 |",
        "&copy; &amp; &#60;",
    ],
)
def test_what_is_left_out_stays_text(markdown):
    html = render_message_text(markdown)
    assert tags(html) in (["p"], ["p", "br"], ["p", "br", "br"]), html
    assert text_of(html).replace("\n", "") == markdown.replace("\n", "")


def test_an_image_is_a_link_not_an_image():
    html = render_message_text("![cat](https://example.com/cat.png)")
    assert html == f'<p>!<a href="https://example.com/cat.png" {REL_TARGET}>cat</a></p>'


def test_a_reference_definition_stays_visible():
    html = render_message_text("[1]: see below\n[1]")
    assert text_of(html) == "[1]: see below\n[1]"


def test_empty_text_renders_nothing():
    assert render_message_text("") == "" and render_message_text(None) == ""


def test_the_output_is_marked_safe_and_the_filter_renders_it():
    template = Template("{% load chat_text %}<div>{{ text|chat_markdown }}</div>")
    html = template.render(Context({"text": "**hi** <b>there</b>"}))
    assert html == "<div><p><strong>hi</strong> &lt;b&gt;there&lt;/b&gt;</p></div>"


# Links -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "href", "label"),
    [
        ("[site](https://example.com/a?b=1&c=2)", "https://example.com/a?b=1&c=2", "site"),
        ("[site](http://example.com)", "http://example.com", "site"),
        ("[mail](mailto:bob@example.com)", "mailto:bob@example.com", "mail"),
        ("<https://example.com/x>", "https://example.com/x", "https://example.com/x"),
        ("see https://example.com/path.", "https://example.com/path", "https://example.com/path"),
        ("bob@example.com", "mailto:bob@example.com", "bob@example.com"),
        ("HTTPS://EXAMPLE.COM", "HTTPS://EXAMPLE.COM", "HTTPS://EXAMPLE.COM"),
    ],
)
def test_allowed_links_are_clickable_and_open_in_a_new_tab(markdown, href, label):
    html = render_message_text(markdown)
    links = [attrs for tag, attrs in elements(html).elements if tag == "a"]
    assert links == [{"href": href, "rel": LINK_REL, "target": "_blank"}], html
    assert label in text_of(html)


def test_a_link_title_is_dropped():
    html = render_message_text('[x](https://example.com "title")')
    assert html == f'<p><a href="https://example.com" {REL_TARGET}>x</a></p>'


@pytest.mark.parametrize(
    "markdown",
    [
        "[x](javascript:alert(1))",
        "[x](JAVASCRIPT:alert(1))",
        "[x](java&#115;cript:alert(1))",
        "[x](vbscript:msgbox(1))",
        "[x](data:text/html,<script>alert(1)</script>)",
        "[x](data:image/png;base64,AAAA)",
        "[x](file:///etc/passwd)",
        "[x](ftp://example.com)",
        "[x](/relative/path)",
        "[x](relative)",
        "[x](//evil.example.com)",
        "[x](#fragment)",
        "<javascript:alert(1)>",
        "<ftp://example.com>",
        "ftp://example.com",
        "www.example.com and setup.py",
    ],
)
def test_other_schemes_and_relative_urls_stay_text(markdown):
    html = render_message_text(markdown)
    assert "a" not in tags(html), html
    assert_only_allowed(html)


def test_an_unsafe_url_inside_a_link_text_does_not_leak_into_an_attribute():
    html = render_message_text('[a](http://a" onmouseover="alert(1))')
    assert_only_allowed(html)
    assert [attrs["href"] for tag, attrs in elements(html).elements if tag == "a"] == ["http://a"]


def test_a_quote_in_a_url_is_percent_encoded():
    html = render_message_text('<https://example.com/"onmouseover="x>')
    assert_only_allowed(html)
    assert 'href="https://example.com/%22onmouseover=%22x"' in html


def test_a_fence_language_is_escaped_in_its_class():
    html = render_message_text('```js" onclick="alert(1)\ncode\n```')
    assert_only_allowed(html)
    assert '<code class="language-js&quot;">' in html


# Mentions ----------------------------------------------------------------------------


def make_user(username: str):
    """A user with no password (hashing one would make each test slower)."""
    return get_user_model().objects.create(username=username)


@pytest.fixture
def alice(db):
    return make_user("alice")


def mention(typed: str, stored: str) -> str:
    return f'<span class="mention" data-username="{stored}">@{typed}</span>'


@pytest.mark.django_db
def test_a_mention_of_an_existing_user_is_highlighted(alice):
    assert render_message_text("hi @alice!") == f"<p>hi {mention('alice', 'alice')}!</p>"


@pytest.mark.django_db
def test_a_mention_of_nobody_stays_text(alice):
    assert render_message_text("hi @nobody") == "<p>hi @nobody</p>"


@pytest.mark.django_db
def test_a_mention_matches_case_insensitively_and_shows_as_typed(alice):
    assert render_message_text("@ALICE") == f"<p>{mention('ALICE', 'alice')}</p>"
    assert mentioned_usernames("@Alice") == {"alice"}


@pytest.mark.django_db
def test_of_two_names_that_differ_in_case_the_exact_one_is_mentioned(alice):
    make_user("Alice")
    assert render_message_text("@Alice @alice") == (
        f"<p>{mention('Alice', 'Alice')} {mention('alice', 'alice')}</p>"
    )
    assert mentioned_usernames("@Alice @alice") == {"Alice", "alice"}


@pytest.mark.django_db
@pytest.mark.parametrize("after", [".", ",", ":", "!", "?", ")", "'s", "..."])
def test_a_mention_ends_before_trailing_punctuation(alice, after):
    assert render_message_text(f"(@alice{after}") == f"<p>({mention('alice', 'alice')}{after}</p>"


@pytest.mark.django_db
def test_a_username_with_punctuation_is_mentioned_whole():
    make_user("bob.smith")
    make_user("bob")
    html = render_message_text("@bob.smith. and @bob.")
    assert html == f"<p>{mention('bob.smith', 'bob.smith')}. and {mention('bob', 'bob')}.</p>"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "markdown",
    [
        "`@alice`",
        "```\n@alice\n```",
        "    @alice",
        "[@alice](https://example.com)",
        "https://example.com/@alice",
        "<https://example.com/@alice>",
        "mail me@alice.example.com",
        "x@alice",
        "\\@alice",
    ],
)
def test_no_mention_in_code_links_addresses_or_escapes(alice, markdown):
    html = render_message_text(markdown)
    assert "span" not in tags(html), html
    assert mentioned_usernames(markdown) == set()


@pytest.mark.django_db
def test_mentions_inside_emphasis_quotes_and_lists_are_highlighted(alice):
    make_user("bob")
    html = render_message_text("> **@alice**\n\n- _@bob_")
    assert mention("alice", "alice") in html and mention("bob", "bob") in html
    assert_only_allowed(html)


@pytest.mark.django_db
def test_all_mentions_of_a_message_are_looked_up_with_one_query(alice, django_assert_num_queries):
    make_user("bob")
    with django_assert_num_queries(1):
        html = render_message_text("@alice @bob @carol @alice. @dave...\n\n> @erin")
    assert html.count('class="mention"') == 3
    with django_assert_num_queries(1):
        assert mentioned_usernames("@alice, @BOB and @carol") == {"alice", "bob"}


@pytest.mark.django_db
def test_text_without_a_mention_makes_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        render_message_text("**no one** here, mail@example.com `@code`")


@pytest.mark.django_db
def test_a_non_ascii_username_is_mentioned():
    make_user("zoë")
    assert render_message_text("@zoë") == f"<p>{mention('zoë', 'zoë')}</p>"


# XSS corpus --------------------------------------------------------------------------

XSS_CORPUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example.com/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<svg onload="alert(1)">',
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<a href="javascript:alert(1)">x</a>',
    "<style>body{background:url(javascript:alert(1))}</style>",
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](java&#115;cript:alert(1))",
    "[x](java\\script:alert(1))",
    "[x](  javascript:alert(1)  )",
    "[x](<javascript:alert(1)>)",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    "<javascript:alert(1)>",
    "![x](javascript:alert(1))",
    '![x](https://example.com/x.png" onerror="alert(1))',
    "[<img src=x onerror=alert(1)>](http://a)",
    '[a](http://a" onmouseover="alert(1))',
    "[a](http://a 'x\" onmouseover=\"alert(1)')",
    "**<img src=x onerror=alert(1)>**",
    "*[x](javascript:alert(1))*",
    "[[x](javascript:alert(1))](http://a)",
    "[x]: javascript:alert(1)\n[x]",
    "\uff1cscript\uff1ealert(1)\uff1c/script\uff1e",  # fullwidth < >
    "\u2039script\u203aalert(1)\u2039/script\u203a",  # single angle quotation marks
    "\ufe64script\ufe65alert(1)\ufe64/script\ufe65",  # small less-than / greater-than
    "\u3008script\u3009alert(1)",  # CJK angle brackets
    "`<script>alert(1)</script>`",
    "```\n</code></pre><script>alert(1)</script>\n```",
    '```"><script>alert(1)</script>\nx\n```',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "<<script>alert(1)//<</script>",
    "<!-- x --><script>alert(1)</script>",
    "<div onclick=alert(1)>click</div>",
    "https://example.com/<script>alert(1)</script>",
    'https://example.com/"onmouseover="alert(1)',
    "mailto:x@example.com?subject=<script>alert(1)</script>",
    "@<script>alert(1)</script>",
    "@alice<script>alert(1)</script>",
    "[@alice](javascript:alert(1)) **@alice**<img src=x onerror=alert(1)>",
    "\\<script>alert(1)\\</script>",
    "> <script>alert(1)</script>\n> - <img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
]


@pytest.mark.django_db
@pytest.mark.parametrize("markdown", XSS_CORPUS)
def test_the_xss_corpus_renders_only_allowed_elements(markdown, alice):
    html = render_message_text(markdown)
    assert_only_allowed(html)
    assert "<script" not in html.lower() and "<img" not in html.lower()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "markdown",
    [
        "> " * 200 + "deep",
        "".join("  " * level + "- item\n" for level in range(200)),
        "- " * 500 + "x",
        "*" * 2000,
        "[" * 1000 + "x" + "](http://a)" * 1000,
        "**_" * 600,
        "`" * 1999,
        "<" * 2000,
        "https://example.com/" + "a" * 1980,
        ("a **b** [c](https://example.com) `d` @e\n" * 60)[:2000],
        "x" * 100_000,
    ],
)
def test_long_and_deeply_nested_input_renders_quickly_and_safely(markdown):
    started = time.monotonic()
    html = render_message_text(markdown)
    assert time.monotonic() - started < 2, "rendering took too long"
    assert_only_allowed(html)


@pytest.mark.parametrize("depth", [1, 5, 9])
def test_quotes_and_lists_nested_a_few_levels_keep_their_text(depth):
    quote = render_message_text("> " * depth + "deep")
    assert tags(quote).count("blockquote") == depth and "deep" in text_of(quote)
    items = "".join("  " * level + f"- item {level}\n" for level in range(depth))
    lists = render_message_text(items)
    assert tags(lists).count("ul") == depth and f"item {depth - 1}" in text_of(lists)


def test_the_xss_corpus_has_at_least_25_inputs():
    assert len(XSS_CORPUS) >= 25
