"""The `@consumer` decorator: a function becomes a routed websocket endpoint.

    @consumer(perm=NO_PERM_REQUIRED, path="<slug:room>", target_id="log")
    def say(consumer, request, text, *, room):
        command("append", "log", ...)

gives `say.reverse(room="lobby")` == "/ws/<app>/say/lobby/", `say.group_name(room="lobby")`
for sending from the backend, and a URL pattern that `autoconsumers()` collects.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from channels.db import database_sync_to_async
from django.apps import apps
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import URLPattern, URLResolver
from django.urls import path as url_path
from django.urls.resolvers import RoutePattern

from .codes import RATE_LIMITED
from .commands import Command, collect_commands, is_group_command
from .conf import conf
from .consumers import WebsocketConsumer
from .permissions import PermSpec
from .rates import awithin_rate
from .security import client_ip

GroupNameFunc = Callable[[Any], str]

_registry: list[ConsumerFunction] = []
_SAFE_PATH = re.compile(r"^[A-Za-z0-9_/-]+$")


def group_for_path(path: str) -> str:
    """A valid Channels group name for a socket URL: readable where possible, else hashed."""
    dotted = "ws." + ".".join(part for part in path.strip("/").split("/")[1:] if part)
    if _SAFE_PATH.match(path) and len(dotted) < 90:
        return dotted
    return "ws-h." + hashlib.sha256(path.encode()).hexdigest()[:32]


def websocket_request(scope: dict[str, Any], user: Any) -> HttpRequest:
    """A Django request built from the websocket scope, for templates and helpers."""
    request = ASGIRequest({**scope, "type": "http", "method": "GET"}, io.BytesIO())
    request.user = user
    if "session" in scope:
        request.session = scope["session"]
    return request


def _app_label(module: str) -> str:
    if apps.apps_ready:
        config = apps.get_containing_app_config(module)
        if config is not None:
            return config.label
    return module.split(".")[-2] if "." in module else module


@dataclass(eq=False)
class ConsumerFunction:
    """A decorated consumer function, with its route, reverse() and group_name()."""

    func: Callable[..., Any]
    perm: PermSpec
    any_perm: bool = False
    path: str = ""
    target_id: str | None = None
    base_template: str | None = None
    group_name_func: GroupNameFunc | None = None
    broadcast: bool = True
    route: str = field(init=False)

    def __post_init__(self) -> None:
        self.__name__ = self.func.__name__
        self.__doc__ = self.func.__doc__
        self.__module__ = self.func.__module__
        suffix = self.path.strip("/") + "/" if self.path.strip("/") else ""
        self.route = f"ws/{_app_label(self.func.__module__)}/{self.func.__name__}/{suffix}"
        self.url_pattern: URLPattern = url_path(
            self.route,
            FunctionConsumer.as_asgi(perm=self.perm, any_perm=self.any_perm, function=self),
            name=self.func.__name__,
        )
        self._resolver = URLResolver(RoutePattern(""), [self.url_pattern])

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.func(*args, **kwargs)

    def reverse(self, *args: Any, **kwargs: Any) -> str:
        """The socket path for these URL arguments, e.g. "/ws/features/chat/lobby/"."""
        return "/" + self._resolver.reverse(self.func.__name__, *args, **kwargs)

    def group_name(self, *args: Any, **kwargs: Any) -> str:
        """The group of the sockets connected with these URL arguments, for backend sends."""
        if self.group_name_func is not None:
            unbound = SimpleNamespace(scope={"url_route": {"args": args, "kwargs": kwargs}})
            return self.group_name_func(unbound)
        return group_for_path(self.reverse(*args, **kwargs))

    def run(
        self, consumer: FunctionConsumer, request: HttpRequest, args: tuple[Any, ...]
    ) -> list[Command]:
        """Call the function and return the commands it produced. Synchronous."""
        url_kwargs = consumer.scope.get("url_route", {}).get("kwargs", {})
        with collect_commands() as commands:
            result = self.func(consumer, request, *args, **url_kwargs)
        if isinstance(result, dict) and self.base_template and self.target_id:
            html = render_to_string(self.base_template, result, request=request)
            commands.append(["update", self.target_id, html])
        elif isinstance(result, list):
            # `command()` already collected what it built: returning the same
            # commands must not send them twice.
            collected = {id(cmd) for cmd in commands}
            commands.extend(cmd for cmd in result if id(cmd) not in collected)
        return commands


class FunctionConsumer(WebsocketConsumer):
    """The consumer class behind every `@consumer` function."""

    function: ConsumerFunction
    group: str  # the group its sockets share, set at connect

    def __init__(self, *args: Any, function: ConsumerFunction, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.function = function

    async def get_groups(self) -> list[str]:
        """Sockets on the same URL share a group, unless the decorator names another."""
        if self.function.group_name_func is not None:
            self.group = self.function.group_name_func(self)
        else:
            route = self.scope.get("url_route", {})
            self.group = self.function.group_name(*route.get("args", ()), **route.get("kwargs", {}))
        return [self.group]

    async def receive_callback(self, *args: Any) -> None:
        """Run the function in a worker thread (it may use the ORM) and send its commands."""
        who = self.user.pk if self.user.is_authenticated else client_ip(self.scope)
        if not await awithin_rate(f"ws-callback:{who}", conf.WEBSOCKET_MAX_CALLBACKS_PER_MINUTE):
            await self.send_error(RATE_LIMITED, "too many messages a minute; wait a moment")
            return
        request = websocket_request(self.scope, self.user)
        commands = await database_sync_to_async(self.function.run)(self, request, args)
        if not self.function.broadcast:
            to_group, to_caller = [], commands
        else:
            # Errors and client control (open or close a socket, redirect, focus)
            # concern the caller alone, unless built with group_command().
            to_group = [c for c in commands if is_group_command(c)]
            to_caller = [c for c in commands if not is_group_command(c)]
        if to_caller:
            await self.channel_send_commands(to_caller)
        if to_group:
            await self.group_send_commands(self.group, to_group)


def consumer(
    *,
    perm: PermSpec,
    any_perm: bool = False,
    path: str = "",
    target_id: str | None = None,
    base_template: str | None = None,
    group_name: GroupNameFunc | None = None,
    broadcast: bool = True,
) -> Callable[[Callable[..., Any]], ConsumerFunction]:
    """Turn `f(consumer, request, *callback_args, **url_kwargs)` into a websocket endpoint.

    `broadcast=True` sends the function's commands to every socket of the group;
    False sends them back to the calling socket only (for per-socket state).
    A dict returned by the function is rendered with `base_template` into `target_id`.
    """

    def decorate(func: Callable[..., Any]) -> ConsumerFunction:
        wrapped = ConsumerFunction(
            func,
            perm=perm,
            any_perm=any_perm,
            path=path,
            target_id=target_id,
            base_template=base_template,
            group_name_func=group_name,
            broadcast=broadcast,
        )
        _registry.append(wrapped)
        return wrapped

    return decorate


def autoconsumers(package: str, module: str = "consumers") -> list[URLPattern]:
    """The URL patterns of every `@consumer` in `package` (importing `package.consumers`)."""
    package = package.removesuffix(".routing")
    importlib.import_module(f"{package}.{module}")
    return [
        f.url_pattern
        for f in _registry
        if f.func.__module__ == package or f.func.__module__.startswith(package + ".")
    ]
