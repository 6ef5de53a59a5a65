"""How a socket sends: to its client (errors, commands, pre-encoded frames) and to
others through the channel layer (a group, several events as one, this socket's own
handlers). A mixin of WebsocketConsumer (consumers.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .codes import SERVICE_UNAVAILABLE
from .commands import Command, commands_event, encode_commands
from .hub import together


class Sends:
    """The consumer's sends; `send_error` and `send_unavailable` are hooks a protocol of
    its own overrides (the rooms consumer answers in its own frames)."""

    layer_channel: bool
    channel_name: str
    channel_layer: Any
    scope: dict[str, Any]
    base_send: Any

    if TYPE_CHECKING:  # provided by the consumer

        async def send(
            self, text_data: str | None = None, bytes_data: bytes | None = None, close: bool = False
        ) -> None: ...

        def hub_deliver(self, event: dict[str, Any]) -> None: ...

    async def send_error(self, code: str, detail: str = "") -> None:
        """Called on bad input: tell the client as an error command."""
        await self.channel_send_commands([["error", code, detail]])

    async def send_unavailable(self, content: Any) -> None:
        """Called when a frame failed because the database or Redis is unreachable;
        the client may send it again later."""
        await self.send_error(SERVICE_UNAVAILABLE, "a service is briefly unavailable; try again")

    async def send_permission_denied(self) -> None:
        """Tell the client it may not use this socket (the runtime shows it)."""
        await self.channel_send_commands([["permission_denied", self.scope.get("path", "")]])

    async def channel_send(self, event: dict[str, Any]) -> None:
        """Queue an event for this socket's own handlers (handled like a group event)."""
        if self.layer_channel:
            await self.channel_layer.send(self.channel_name, event)
        else:
            self.hub_deliver(event)

    async def group_send(self, group: str, event: dict[str, Any]) -> None:
        """Send a layer event to every socket of `group`."""
        await self.channel_layer.group_send(group, event)

    async def group_send_all(self, group: str, events: list[dict[str, Any]]) -> None:
        """Send several layer events to every socket of `group`, in order, as one send
        (hub.together): the sockets get them as if sent one by one."""
        await self.channel_layer.group_send(group, together(events))

    async def channel_send_commands(self, commands: list[Command]) -> None:
        """Send commands straight down this socket."""
        await self.send(text_data=encode_commands(commands))

    async def group_send_commands(self, group: str, commands: list[Command]) -> None:
        """Send commands to every socket of `group`, encoded once."""
        await self.group_send(group, commands_event(commands))

    async def client_commands(self, event: dict[str, Any]) -> None:
        """Called for a `client.commands` event: forward the pre-encoded frame."""
        await self.send_frame(event["text"])

    async def send_frame(self, text: str) -> None:
        """Send an encoded text frame: the fan-out path, without Channels' layers of send."""
        await self.base_send({"type": "websocket.send", "text": text})
