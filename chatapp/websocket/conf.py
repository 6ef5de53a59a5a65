"""The websocket core's settings, each with its default.

The core reads its settings only through `conf`, so a project that copies the
package runs without defining any of them; the site's chatapp/settings.py sets them
from the environment (README, "Configuration"). Looked up on every read, so
`override_settings` and pytest-django's `settings` fixture take effect at once.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # Hub events queued for one socket before it is closed with 4008 as too slow.
    "WEBSOCKET_INBOX_SIZE": 1000,
    # After a pass over a group's sockets, wait this share of the pass's time (at most
    # WEBSOCKET_LINGER_MAX s): what arrives meanwhile goes out as one batch frame.
    "WEBSOCKET_LINGER_SHARE": 2.0,
    "WEBSOCKET_LINGER_MAX": 0.02,
    # Connection attempts a minute per user and per client IP (0: no limit).
    "WEBSOCKET_MAX_CONNECTIONS_PER_MINUTE": 60,
    "WEBSOCKET_MAX_CONNECTIONS_PER_IP_PER_MINUTE": 300,
    # Sockets open at once in one process per user and per client IP (0: no cap).
    "WEBSOCKET_MAX_SOCKETS_PER_USER": 20,
    "WEBSOCKET_MAX_SOCKETS_PER_IP": 100,
    # Callbacks of @consumer endpoints per user (or IP) a minute.
    "WEBSOCKET_MAX_CALLBACKS_PER_MINUTE": 60,
    # Accept websockets without an Origin header (native clients).
    "WEBSOCKET_ALLOW_MISSING_ORIGIN": False,
    # Bytes a client has not taken before its socket is closed with 4008 (0: no bound),
    # and how long a paced replay waits for a client that takes nothing.
    "WEBSOCKET_MAX_BUFFERED_BYTES": 1024 * 1024,
    "WEBSOCKET_DRAIN_TIMEOUT": 10.0,
    # Every open socket's login is read again this often (0: only per command).
    "WEBSOCKET_AUTH_RECHECK_SECONDS": 30,
    # Threads (each with its database connection) that run GroupCommit's batches, the
    # rooms spread over them (together.py). More than one only where the database
    # takes concurrent writers (PostgreSQL).
    "WEBSOCKET_WRITE_LANES": 1,
    # Proxies that append to X-Forwarded-For in front of the site (0: the peer address).
    "TRUSTED_PROXY_COUNT": 0,
}


class CoreSettings:
    """`conf.NAME`: the project's setting NAME, or the core's default for it."""

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"the websocket core has no setting {name}")
        return getattr(settings, name, DEFAULTS[name])


conf = CoreSettings()
