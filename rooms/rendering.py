"""Message text to HTML: a safe Markdown subset, clickable links and @mentions.

A message is rendered here once, on the server, and every recipient and every later
join gets that same HTML. markdown-it-py (CommonMark) parses it with raw HTML off, so
no tag the user typed reaches the page: it shows as text.

The subset, and nothing more (markdown-it-py's "zero" preset with these rules on):

- inline: *emphasis*, **strong**, ~~strikethrough~~ (``<s>``), `inline code`, backslash
  escapes, [links](https://example.com), <https://example.com> autolinks, bare URLs
  (linkify-it: only URLs with a scheme, ``https://…``, and e-mail addresses; fuzzy
  links such as ``setup.py`` or ``example.com`` stay text, as chat is full of file
  names), and a line break where the user pressed Enter (``breaks``).
- blocks: paragraphs, ``` fenced ``` and indented code blocks, > block quotes, - and
  1. lists.

Left out on purpose, so that what they would match stays plain text: headings (a
``# `` line in a chat is a hashtag or a shout, not a title; setext ``---`` headings
too), horizontal rules, tables, images (``![x](url)`` shows a "!" and a link),
reference-style definitions (``[1]: …`` would make its line vanish), HTML entities
(``&copy;`` shows as typed), raw HTML blocks and inline HTML, and typographic
replacements.

Links: only ``http://``, ``https://`` and ``mailto:`` URLs become links (``validate_link``):
``javascript:``, ``data:``, ``vbscript:``, relative and protocol-relative URLs leave
the Markdown as plain text. Every link opens in a new tab with
``rel="noopener noreferrer nofollow ugc"``; titles are dropped.

Mentions: ``@name`` (Django's username characters: letters, digits and ``@.+-_``) is
highlighted as ``<span class="mention" data-username="stored name">@as typed</span>``
when a user with that username exists, compared case-insensitively (a user of exactly
that name first); not in code, not
in link texts or URLs, not after a username character (``me@example.com``) and not
after a backslash escape (``\\@name``). Trailing ``.``, ``-``, ``+`` and ``@`` end the
mention (``@bob.`` mentions bob) unless the name with them is itself a user. The
candidates of one message are looked up with one query, at most MAX_MENTION_LOOKUPS
distinct names. ``mentioned_usernames`` gives the mentioned users' stored usernames.

Nesting deeper than markdown-it's guard (``maxNesting`` 20: 19 quotes in quotes, or
9 lists in lists, each list level counts twice) is not rendered: the text past that
depth is dropped, and nothing crashes.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

# What the renderer may output, for tests and for anyone sanitising against it.
ALLOWED_TAGS = frozenset(
    {"p", "br", "em", "strong", "del", "s", "code", "pre", "blockquote"}
    | {"ul", "ol", "li", "a", "span"}
)
ALLOWED_ATTRIBUTES = {
    "a": frozenset({"href", "rel", "target"}),
    "span": frozenset({"class", "data-username"}),
    "code": frozenset({"class"}),  # language-… of a fenced block
    "ol": frozenset({"start"}),
}
ALLOWED_SCHEMES = ("http://", "https://", "mailto:")
LINK_REL = "noopener noreferrer nofollow ugc"

BLOCK_RULES = ["paragraph", "blockquote", "code", "fence", "list"]
INLINE_RULES = [
    *("text", "newline", "escape", "backticks", "emphasis", "strikethrough"),
    *("link", "autolink", "linkify"),  # "emphasis", "strikethrough" also enable their rules2
]
CORE_RULES = ["linkify"]  # normalize, block, inline and text_join are on in "zero"

# Django's username validators allow these characters (UnicodeUsernameValidator: \w.@+-).
USERNAME_CHARS = r"\w.@+-"
MENTION_RE = re.compile(rf"(?<![{USERNAME_CHARS}\\])@([{USERNAME_CHARS}]+)")
TRAILING_PUNCTUATION = ".-+@"
MAX_USERNAME_LENGTH = 150  # Django's AbstractUser.username
MAX_MENTION_LOOKUPS = 100  # distinct names per message looked up; the rest stay text
MENTIONS_ENV_KEY = "chat_mentions"


def validate_link(url: str) -> bool:
    """Whether a (normalized) link URL may become a link: http(s) and mailto only."""
    return url.lower().startswith(ALLOWED_SCHEMES)


def _candidates(name: str) -> list[str]:
    """The usernames `@name` could mean, longest first: as typed, then without each
    trailing punctuation character in turn (`bob..` -> `bob..`, `bob.`, `bob`)."""
    shortest = max(len(name.rstrip(TRAILING_PUNCTUATION)), 1)
    return [name[:end] for end in range(min(len(name), MAX_USERNAME_LENGTH), shortest - 1, -1)]


def _text_tokens(tokens: Sequence[Token]) -> Iterator[tuple[list[Token], int]]:
    """(children, index) of every text token outside links, in document order."""
    for block in tokens:
        if block.type != "inline" or not block.children:
            continue
        children = block.children
        link_depth = 0
        for index, token in enumerate(children):
            if token.type == "link_open":
                link_depth += 1
            elif token.type == "link_close":
                link_depth -= 1
            elif token.type == "text" and link_depth == 0 and "@" in token.content:
                yield children, index


def _mention_matches(children: list[Token], index: int) -> list[re.Match[str]]:
    token = children[index]
    matches = list(MENTION_RE.finditer(token.content))
    if matches and matches[0].start() == 0 and index > 0:
        # At the start of the token, the character before is the previous token's.
        previous = children[index - 1]
        if previous.type in ("text", "text_special") and previous.content:
            if re.match(rf"[{USERNAME_CHARS}\\]", previous.content[-1]):
                matches = matches[1:]
    return matches


def existing_usernames(names: set[str]) -> set[str]:
    """The stored usernames of the users among `names`, compared case-insensitively,
    in one query."""
    if not names:
        return set()
    user_model = get_user_model()
    field = user_model.USERNAME_FIELD
    lowered = {name.lower() for name in names}
    rows = (
        user_model._default_manager.annotate(_mention_lower=Lower(field))
        # The exact names too: SQLite's LOWER() leaves non-ASCII letters as they are.
        .filter(Q(_mention_lower__in=lowered) | Q(**{f"{field}__in": names}))
        .values_list(field, flat=True)
    )
    return set(rows)


def mention_rule(state: StateCore) -> None:
    """Core rule: replace `@name` of existing users in text tokens by mention tokens."""
    found = state.env.setdefault(MENTIONS_ENV_KEY, set())
    places = list(_text_tokens(state.tokens))
    wanted: set[str] = set()
    lowered: set[str] = set()
    for children, index in places:
        for match in _mention_matches(children, index):
            for name in _candidates(match.group(1)):
                if name.lower() not in lowered and len(lowered) < MAX_MENTION_LOOKUPS:
                    lowered.add(name.lower())
                    wanted.add(name)
    stored = existing_usernames(wanted)
    if not stored:
        return
    # The user of that exact name, else the one whose name differs only in case.
    users = {username.lower(): username for username in stored}
    users.update({username: username for username in stored})
    # From the last token back, so that the indexes of the earlier ones stay valid.
    for children, index in reversed(places):
        token = children[index]
        pieces: list[Token] = []
        position = 0
        for match in _mention_matches(children, index):
            name = next((n for n in _candidates(match.group(1)) if _user(users, n)), None)
            if name is None:
                continue
            username = _user(users, name)
            start, end = match.start(), match.start() + 1 + len(name)
            if start > position:
                pieces.append(_text(token, token.content[position:start]))
            mention = Token("mention", "span", 0, content=f"@{name}", level=token.level)
            mention.meta = {"username": username}
            pieces.append(mention)
            found.add(username)
            position = end
        if pieces:
            if position < len(token.content):
                pieces.append(_text(token, token.content[position:]))
            children[index : index + 1] = pieces


def _user(users: dict[str, str], name: str) -> str | None:
    return users.get(name) or users.get(name.lower())


def _text(like: Token, content: str) -> Token:
    return Token("text", "", 0, content=content, level=like.level)


def render_mention(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    username = escapeHtml(token.meta["username"])
    return f'<span class="mention" data-username="{username}">{escapeHtml(token.content)}</span>'


def render_link_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """`<a>` with the URL the parser validated, opening in a new tab; nothing else."""
    href = str(tokens[idx].attrGet("href") or "")
    return f'<a href="{escapeHtml(href)}" rel="{LINK_REL}" target="_blank">'


def build_parser() -> MarkdownIt:
    md = MarkdownIt(
        "zero",
        {"html": False, "breaks": True, "linkify": True, "typographer": False, "xhtmlOut": False},
    )
    md.enable(BLOCK_RULES + INLINE_RULES + CORE_RULES)
    md.validateLink = validate_link  # type: ignore[method-assign]
    assert md.linkify is not None, "linkify-it-py is required (requirements.txt)"
    md.linkify.set({"fuzzy_link": False, "fuzzy_email": True, "fuzzy_ip": False})
    md.core.ruler.before("linkify", "mention", mention_rule)
    md.add_render_rule("mention", render_mention)
    md.add_render_rule("link_open", render_link_open)
    return md


# linkify-it keeps per-call state on its instance: one parser per thread.
_local = threading.local()


def parser() -> MarkdownIt:
    md = getattr(_local, "md", None)
    if md is None:
        md = _local.md = build_parser()
    return md


def render_message_text(text: str | None) -> SafeString:
    """The HTML of a message's text: safe to insert as it is."""
    if not text:
        return SafeString("")
    md = parser()
    env: dict[str, Any] = {}
    html = md.renderer.render(md.parse(text, env), md.options, env)
    # markdown-it escapes all text and attributes and emits only the subset above.
    return mark_safe(html.rstrip("\n"))  # noqa: S308


def mentioned_usernames(text: str) -> set[str]:
    """The stored usernames of the existing users that `text` mentions."""
    if not text:
        return set()
    env: dict[str, Any] = {}
    parser().parse(text, env)
    return set(env.get(MENTIONS_ENV_KEY, set()))
