"""Every error code the chat socket can send has a text and a treatment for the page."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from django.conf import settings

from rooms import errors
from rooms.consumers import ChatConsumer
from rooms.errors import ERRORS, Treatment, errors_for_page

ROOMS_DIR = Path(errors.__file__).parent


def sending_modules() -> set[Path]:
    """This app's modules, and those of every class the chat socket inherits from the
    project (the core's consumer sends SERVER_ERROR and SERVICE_UNAVAILABLE itself)."""
    modules = {path for path in ROOMS_DIR.rglob("*.py") if "tests" not in path.parts}
    for cls in ChatConsumer.__mro__:
        source = Path(getattr(sys.modules[cls.__module__], "__file__", None) or "")
        installed = {".venv", "site-packages"} & set(source.parts)
        if source.is_relative_to(settings.BASE_DIR) and not installed:
            modules.add(source)
    return modules


def codes_sent_in(path: Path) -> dict[str, str]:
    """code -> where, for each `ChatError(CODE)` and `send_error(CODE)` in a module: a
    string literal, or a constant named like the code (looked up in rooms.errors)."""
    found = {}
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        called = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if called not in ("ChatError", "send_error"):
            continue
        code = node.args[0]
        where = f"{path.name}:{node.lineno}"
        if isinstance(code, ast.Constant) and isinstance(code.value, str):
            found[code.value] = where
        elif isinstance(code, ast.Name):
            assert code.id.isupper(), f"{where}: a code is a constant of rooms.errors"
            assert hasattr(errors, code.id), f"{where}: {code.id} is not in rooms.errors"
            found[getattr(errors, code.id)] = where
    return found


def test_the_scan_sees_the_consumers_and_the_cores_codes():
    sent = {code for path in sending_modules() for code in codes_sent_in(path)}
    expected = {"USER_HAS_TO_LOGIN", "ROOM_ACCESS_DENIED", "SERVICE_UNAVAILABLE", "SERVER_ERROR"}
    assert expected <= sent


def test_every_code_the_socket_can_send_has_a_text():
    for path in sending_modules():
        for code, where in codes_sent_in(path).items():
            assert code in ERRORS, f"{where} sends {code}, which has no text in rooms.errors"
            assert ERRORS[code].text.strip()


def test_every_code_constant_is_in_the_table():
    constants = {
        value
        for name, value in vars(errors).items()
        if name.isupper() and isinstance(value, str) and value == name
    }
    assert constants == set(ERRORS)


def test_the_page_gets_each_code_with_its_text_and_treatment():
    table = errors_for_page()
    assert table["MESSAGE_TOO_LONG"] == {"text": "That message is too long.", "treatment": "final"}
    assert table["SERVICE_UNAVAILABLE"]["treatment"] == Treatment.RETRY_LATER
    assert {entry["treatment"] for entry in table.values()} == set(Treatment)
