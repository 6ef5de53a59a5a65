"""The websocket core: consumers, commands, the @consumer decorator and backend sends.

Import the public API from here:

    from chatapp.websocket import NO_PERM_REQUIRED, WebsocketConsumer, command, consumer
"""

from .backend import aconsumer_command, agroup_send, consumer_command, group_send
from .commands import Command, command, group_command, render_commands
from .consumers import (
    CLOSE_LOGGED_OUT,
    CLOSE_PERMISSION_DENIED,
    WebsocketConsumer,
)
from .decorators import autoconsumers, consumer
from .permissions import LOGIN_REQUIRED, NO_PERM_REQUIRED
from .streams import (
    astream_send,
    register_stream_access,
    stream_path,
    stream_send,
    turbo_stream,
)
from .urls import ws_url

__all__ = [
    "CLOSE_LOGGED_OUT",
    "CLOSE_PERMISSION_DENIED",
    "LOGIN_REQUIRED",
    "NO_PERM_REQUIRED",
    "Command",
    "WebsocketConsumer",
    "aconsumer_command",
    "agroup_send",
    "astream_send",
    "autoconsumers",
    "command",
    "consumer",
    "consumer_command",
    "group_command",
    "group_send",
    "register_stream_access",
    "render_commands",
    "stream_path",
    "stream_send",
    "turbo_stream",
    "ws_url",
]
