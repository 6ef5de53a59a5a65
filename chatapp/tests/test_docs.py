"""The docs and the code say the same: every code, setting and command the code defines
is documented, and everything the docs name exists (README.md and docs/*.md)."""

from __future__ import annotations

import re
from pathlib import Path

from chatapp.websocket.codes import CLOSES, ERROR_TEXTS
from chatapp.websocket.commands import KNOWN_COMMANDS
from chatapp.websocket.conf import DEFAULTS
from rooms.consumers import COMMANDS
from rooms.errors import ERRORS

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
DOCS = {path.name: path.read_text() for path in (ROOT / "docs").glob("*.md")}
# The code that may read a variable, tests themselves left out (the conftest files and
# chatapp/testing.py read the test-only ones).
SOURCES = (
    "\n".join(
        path.read_text()
        for folder in ("chatapp", "rooms", "accounts", "api", "attachments", "e2e")
        for path in (ROOT / folder).rglob("*.py")
        if not path.name.startswith("test_")
    )
    + (ROOT / "conftest.py").read_text()
)


def section(text: str, heading: str) -> str:
    """The text under a markdown heading, up to the next heading of the same or a higher level."""
    match = re.search(rf"^(#+) {re.escape(heading)}\s*$", text, re.MULTILINE)
    assert match, f"no section {heading!r}"
    level = len(match.group(1))
    rest = text[match.end() :]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.MULTILINE)
    return rest[: end.start()] if end else rest


def first_column(table_text: str) -> set[str]:
    """The backticked names in the first column of a markdown table's rows."""
    names: set[str] = set()
    for line in table_text.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            names |= set(re.findall(r"`([^`]+)`", line.split("|")[1]))
    return names


def test_the_close_codes_are_the_documented_ones():
    documented = {int(code) for code in re.findall(r"`(4\d{3})`", DOCS["websocket-core.md"])}
    assert documented == set(CLOSES)


def test_the_error_codes_are_the_documented_ones():
    errors = section(DOCS["protocol.md"], "Error codes and message types")
    line = next(line for line in errors.splitlines() if line.startswith("Error codes:"))
    documented = set(re.findall(r"`([A-Z_]+)`", line))
    assert documented == set(ERROR_TEXTS) | set(ERRORS)


def test_the_protocol_commands_are_the_documented_ones():
    frames = section(DOCS["protocol.md"], "Frames")
    assert set(re.findall(r'"command": "(\w+)"', frames)) == set(COMMANDS)


def test_the_client_commands_are_the_documented_ones():
    table = section(DOCS["websocket-core.md"], "Client commands")
    assert first_column(table) == set(KNOWN_COMMANDS)


def test_the_core_settings_are_the_documented_ones():
    table = section(DOCS["websocket-core.md"], "Settings")
    assert first_column(table) == set(DEFAULTS)


def test_every_variable_the_settings_read_is_in_the_configuration_table():
    settings_source = "\n".join(
        path.read_text() for path in (ROOT / "chatapp").glob("settings*.py")
    )
    read = set(re.findall(r'env_\w+\(\s*"([A-Z0-9_]+)"', settings_source))
    table = section(README, "Configuration")
    documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", table))
    assert read - documented == set()
    assert set(DEFAULTS) - documented == set()


def test_every_documented_variable_is_read_somewhere():
    table = section(README, "Configuration")
    for name in first_column(table):
        if re.fullmatch(r"[A-Z][A-Z0-9_]+", name):
            # DATABASE_URL is read by dj-database-url, the others in Python here.
            assert name == "DATABASE_URL" or f'"{name}"' in SOURCES, name
