"""Client-side commands: what the server asks the browser runtime to do.

A command is a list `[name, *args]`; one websocket frame carries a list of them.
Inside a `@consumer` function, `command()` and `render_commands()` also add the
command to the reply being built, so a function can simply call them.
"""

from __future__ import annotations

import contextvars
import json
from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string

Command = list[Any]

# The names the client runtime (static/websocket/websocket.js) understands.
DOM_ACTIONS = ("append", "prepend", "replace", "update", "remove", "before", "after")
KNOWN_COMMANDS = frozenset(
    (
        *DOM_ACTIONS,
        "alert",
        "console.log",
        "console.error",
        "focus",
        "redirect",
        "websocket.open",
        "websocket.close",
        "error",
        "permission_denied",
    )
)

# Commands that concern only the socket that called: with `broadcast=True` they
# still go to the caller alone, unless built with `group_command()`.
CALLER_COMMANDS = frozenset(
    ("error", "permission_denied", "websocket.open", "websocket.close", "redirect", "focus")
)


class GroupCommand(list[Any]):
    """A command that goes to the whole group even if it is one of CALLER_COMMANDS."""


# The reply being collected by the @consumer function running now, if any.
_collector: contextvars.ContextVar[list[Command] | None] = contextvars.ContextVar(
    "websocket_command_collector", default=None
)


def command(name: str, *args: Any) -> Command:
    """Build the command `[name, *args]` and add it to the current consumer's reply."""
    if name not in KNOWN_COMMANDS:
        raise ValueError(f"unknown client command {name!r}; known: {sorted(KNOWN_COMMANDS)}")
    cmd: Command = [name, *args]
    collected = _collector.get()
    if collected is not None:
        collected.append(cmd)
    return cmd


def group_command(name: str, *args: Any) -> Command:
    """`command()` for the whole group of a broadcasting `@consumer`, even an error or
    a socket control command (which otherwise go to the calling socket only)."""
    cmd = GroupCommand(command(name, *args))
    collected = _collector.get()
    if collected is not None:
        collected[-1] = cmd  # the same command, now marked for the group
    return cmd


def is_group_command(cmd: Command) -> bool:
    """Whether a broadcasting `@consumer` sends `cmd` to the group (else to the caller)."""
    return isinstance(cmd, GroupCommand) or (bool(cmd) and cmd[0] not in CALLER_COMMANDS)


def render_commands(
    template_name: str,
    context: dict[str, Any] | None = None,
    *,
    target_id: str,
    request: HttpRequest | None = None,
) -> list[Command]:
    """Render a template (autoescaped) into a command replacing the content of `target_id`."""
    html = render_to_string(template_name, context or {}, request=request)
    return [command("update", target_id, html)]


def encode_commands(commands: list[Command]) -> str:
    """One JSON text frame for a list of commands, encoded once however many sockets get it."""
    return json.dumps(commands, separators=(",", ":"))


def commands_event(commands: list[Command]) -> dict[str, Any]:
    """The layer event that carries commands to sockets, encoded once for all of them."""
    return {"type": "client.commands", "text": encode_commands(commands)}


# A batch frame holds frames up to this many characters in all (one longer frame
# goes alone): well under what common clients accept (1 MiB for Python's websockets).
BATCH_MAX_CHARS = 65536


def batch_frames(frames: list[str]) -> list[str]:
    """The frames to send for `frames`, several joined into one where they fit:
    `{"batch": [...]}`, whose items the client runtime handles one by one, as if
    each had come alone. The items are spliced in as they are, not encoded again."""
    batches: list[list[str]] = []
    size = BATCH_MAX_CHARS
    for frame in frames:
        if size + len(frame) > BATCH_MAX_CHARS:
            batches.append([])
            size = 0
        batches[-1].append(frame)
        size += len(frame) + 1
    return [part[0] if len(part) == 1 else '{"batch":[' + ",".join(part) + "]}" for part in batches]


class collect_commands:
    """Context manager that gathers the commands added while it is active."""

    def __enter__(self) -> list[Command]:
        self.commands: list[Command] = []
        self._token = _collector.set(self.commands)
        return self.commands

    def __exit__(self, *exc_info: object) -> None:
        _collector.reset(self._token)
