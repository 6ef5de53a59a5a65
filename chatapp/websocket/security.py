"""Handshake checks: the Origin header, the client address, and how often one client may connect."""

from __future__ import annotations

import ipaddress
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host

from .conf import conf


def _origin_parts(origin: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an origin, with the scheme's default port filled in."""
    try:
        parsed = urlsplit(origin)
        port = parsed.port
    except ValueError:
        return None
    if parsed.scheme not in DEFAULT_PORTS or not parsed.hostname:
        return None
    return parsed.scheme, parsed.hostname.lower(), port or DEFAULT_PORTS[parsed.scheme]


DEFAULT_PORTS = {"http": 80, "https": 443}


def site_origin(scope: dict[str, Any], headers: dict[bytes, bytes]) -> str | None:
    """The origin of the site this socket was opened on: the scheme (https when the
    socket is wss, or the trusted proxy says so) and the Host header, if the host is
    one of ALLOWED_HOSTS."""
    host = headers.get(b"host", b"").decode("latin-1")
    if not host or not validate_host(split_domain_port(host)[0], settings.ALLOWED_HOSTS):
        return None
    secure = scope.get("scheme") == "wss"
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        # ("HTTP_X_FORWARDED_PROTO", "https") names the header as Django's META does.
        name = proxy_header[0].removeprefix("HTTP_").replace("_", "-").lower().encode()
        forwarded = headers.get(name, b"").decode("latin-1").split(",")[0].strip()
        secure = secure or forwarded == proxy_header[1]
    return f"{'https' if secure else 'http'}://{host}"


def origin_allowed(scope: dict[str, Any]) -> bool:
    """The Origin must be the site's own (scheme, host and port) or one of
    CSRF_TRUSTED_ORIGINS (`https://*.example.com` covers subdomains), as Django's
    CSRF check asks of forms. No Origin: WEBSOCKET_ALLOW_MISSING_ORIGIN decides."""
    headers = dict(scope.get("headers") or [])
    origin_header = headers.get(b"origin")
    if origin_header is None:
        return bool(conf.WEBSOCKET_ALLOW_MISSING_ORIGIN)
    origin = _origin_parts(origin_header.decode("latin-1"))
    if origin is None:  # "null", a file: page, garbage
        return False
    own = site_origin(scope, headers)
    if own is not None and _origin_parts(own) == origin:
        return True
    for trusted in settings.CSRF_TRUSTED_ORIGINS:
        wildcard = "://*." in trusted
        allowed = _origin_parts(trusted.replace("://*.", "://", 1))
        if allowed is None or allowed[0] != origin[0] or allowed[2] != origin[2]:
            continue
        if origin[1] == allowed[1] or (wildcard and origin[1].endswith("." + allowed[1])):
            return True
    return False


class SiteOriginValidator:
    """Refuses (HTTP 403) a websocket handshake from another origin: another page
    must not read and post as the user whose cookie the browser sends along."""

    def __init__(self, application: Any):
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)


def client_ip(scope: dict[str, Any]) -> str:
    """The client address as limits count it (TrustedProxyMiddleware puts the forwarded
    one in the scope). An IPv6 client owns a whole /64, so it counts as its /64."""
    address = str((scope.get("client") or ("unknown", 0))[0])
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def forwarded_ip(headers: list[tuple[bytes, bytes]], trusted_hops: int) -> str | None:
    """The client address `trusted_hops` entries from the right of X-Forwarded-For.

    Each proxy appends the address it was reached from, so only the entries our own
    proxies appended can be believed: the left ones are whatever the client wrote.
    """
    if trusted_hops <= 0:
        return None
    value = b",".join(v for k, v in headers if k == b"x-forwarded-for")  # every line of it
    entries = [e.strip() for e in value.decode("latin-1").split(",")]
    entries = [e for e in entries if e]
    if not entries:
        return None
    return entries[max(0, len(entries) - trusted_hops)]


class TrustedProxyMiddleware:
    """Puts the real client address into `scope["client"]` for HTTP and websockets
    alike, from TRUSTED_PROXY_COUNT proxies' X-Forwarded-For (0: the peer address).

    Django takes REMOTE_ADDR from it, so allauth's login throttle, the connection
    limits and the socket caps all count the same address.
    """

    def __init__(self, application: Any):
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] in ("http", "websocket"):
            ip = forwarded_ip(scope.get("headers") or [], conf.TRUSTED_PROXY_COUNT)
            if ip is not None:
                scope = {**scope, "client": [ip, 0]}
        return await self.application(scope, receive, send)


class OpenSockets:
    """This process's open sockets by user and by client IP, for the caps on sockets
    open at once (WEBSOCKET_MAX_SOCKETS_PER_USER / _PER_IP). Counted per process:
    what runs out first, file descriptors, is a process's own."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def take(self, keys: list[tuple[str, int]]) -> bool:
        """Count one socket under each key, unless one is at its cap (0: no cap)."""
        if any(0 < cap <= self.counts[key] for key, cap in keys):
            return False
        for key, _ in keys:
            self.counts[key] += 1
        return True

    def give_back(self, keys: list[str]) -> None:
        for key in keys:
            self.counts[key] -= 1
            if self.counts[key] <= 0:
                del self.counts[key]
