"""The websocket core: consumers, commands, the @consumer decorator and backend sends.

Import the public API from here (apps use nothing else of the package):

    from chatapp.websocket import NO_PERM_REQUIRED, WebsocketConsumer, command, consumer

Importing any of it reads settings (stream signing): a server wrapper that loads
before the application names DJANGO_SETTINGS_MODULE first (chatapp/serve.py).
"""

from .auth import auser_send, ausers_send, notify_auth_changed, user_send
from .backend import (
    aconsumer_command,
    agroup_send,
    consumer_command,
    group_send,
    layer_is_process_local,
)
from .codes import (
    BAD_REQUEST,
    CLOSE_ABNORMAL,
    CLOSE_LOGGED_OUT,
    CLOSE_PERMISSION_DENIED,
    CLOSE_TOO_MANY_CONNECTIONS,
    CLOSE_TOO_SLOW,
    ERROR_TEXTS,
    RATE_LIMITED,
    SERVER_ERROR,
    SERVICE_UNAVAILABLE,
    WRITE_BUFFER_EXTENSION,
)
from .commands import Command, batch_frames, command, group_command, render_commands
from .conf import conf
from .connect_auth import AuthMiddlewareTogetherStack
from .consumers import WebsocketConsumer
from .decorators import autoconsumers, consumer
from .hub import local_sockets, per_loop, spawn
from .login import LoggedOut
from .outages import UNAVAILABLE
from .permissions import LOGIN_REQUIRED, NO_PERM_REQUIRED
from .security import SiteOriginValidator, TrustedProxyMiddleware
from .streams import (
    astream_send,
    register_stream_access,
    stream_path,
    stream_send,
    turbo_stream,
)
from .together import GroupCommit, Together, run_alone
from .urls import ws_url

__all__ = [
    "BAD_REQUEST",
    "CLOSE_ABNORMAL",
    "CLOSE_LOGGED_OUT",
    "CLOSE_PERMISSION_DENIED",
    "CLOSE_TOO_MANY_CONNECTIONS",
    "CLOSE_TOO_SLOW",
    "ERROR_TEXTS",
    "LOGIN_REQUIRED",
    "NO_PERM_REQUIRED",
    "RATE_LIMITED",
    "SERVER_ERROR",
    "SERVICE_UNAVAILABLE",
    "UNAVAILABLE",
    "WRITE_BUFFER_EXTENSION",
    "AuthMiddlewareTogetherStack",
    "Command",
    "GroupCommit",
    "LoggedOut",
    "SiteOriginValidator",
    "Together",
    "TrustedProxyMiddleware",
    "WebsocketConsumer",
    "aconsumer_command",
    "agroup_send",
    "astream_send",
    "auser_send",
    "ausers_send",
    "autoconsumers",
    "batch_frames",
    "command",
    "conf",
    "consumer",
    "consumer_command",
    "group_command",
    "group_send",
    "layer_is_process_local",
    "local_sockets",
    "notify_auth_changed",
    "per_loop",
    "register_stream_access",
    "render_commands",
    "run_alone",
    "spawn",
    "stream_path",
    "stream_send",
    "turbo_stream",
    "user_send",
    "ws_url",
]
