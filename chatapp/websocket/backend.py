"""Sending to sockets from anywhere: views, management commands, the shell, workers.

Each helper has an async form (`a`-prefixed) for code already in an event loop
and a sync form for everything else. Across processes this needs a shared
channel layer (Redis, through REDIS_URL); the in-memory layer reaches only the
sockets of the process that sends.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from .commands import Command, commands_event


async def agroup_send(group: str, event: dict[str, Any]) -> None:
    """Send a layer event to every socket in `group`."""
    await get_channel_layer().group_send(group, event)


async def aconsumer_command(group: str, commands: list[Command]) -> None:
    """Send client commands (e.g. `[["alert", "hi"]]`) to every socket in `group`."""
    await agroup_send(group, commands_event(commands))


def group_send(group: str, event: dict[str, Any]) -> None:
    """Sync form of `agroup_send`, for views, commands and the shell."""
    async_to_sync(agroup_send)(group, event)


def consumer_command(group: str, commands: list[Command]) -> None:
    """Sync form of `aconsumer_command`, for views, commands and the shell."""
    async_to_sync(aconsumer_command)(group, commands)


def layer_is_process_local() -> bool:
    """True when sends cannot leave this process (the in-memory layer)."""
    from channels.layers import InMemoryChannelLayer

    return isinstance(get_channel_layer(), InMemoryChannelLayer)
