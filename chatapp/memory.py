"""Giving freed memory back to the system after a burst of large writes.

glibc's allocator keeps what Python frees in its arenas: after a server has sent
megabytes of replays, its RSS stays up although nothing holds that memory any more
(measured with bench/unread_attack.py: 83 → 123 → 104 MB, and 84 MB right after
`malloc_trim(0)`). The servers (chatapp/serve.py, chatapp/uvicorn_ws.py) call
`trim_soon()` when a websocket closes: a second later (once for all the closes of
that second), and at most once per TRIM_INTERVAL_SECONDS, the arenas' free pages are
returned.
Elsewhere (musl, macOS) there is no malloc_trim and this does nothing.
"""

from __future__ import annotations

import asyncio
import ctypes
import time

# Wait this long after a close for more to come, then trim once for the whole wave.
TRIM_DELAY_SECONDS = 1.0
# A trim walks the heap (a few ms for a hundred MB): never more often than this.
TRIM_INTERVAL_SECONDS = 5.0


def _malloc_trim():
    try:
        return ctypes.CDLL(None).malloc_trim  # the C library the process already has
    except (OSError, AttributeError):
        return None


_trim = _malloc_trim()
_scheduled: asyncio.TimerHandle | None = None
_last_trim = 0.0


def trim_now() -> None:
    """Return free heap pages to the system (glibc), now."""
    global _scheduled, _last_trim
    _scheduled = None
    _last_trim = time.monotonic()
    if _trim is not None:
        _trim(0)


def trim_soon() -> None:
    """Trim a moment after a close, once for all the closes of that moment (called
    from the event loop's thread). Never postponed again: closes that keep coming
    less than a second apart must not keep it from running."""
    global _scheduled
    if _trim is None or _scheduled is not None:
        return
    loop = asyncio.get_event_loop()
    delay = max(TRIM_DELAY_SECONDS, _last_trim + TRIM_INTERVAL_SECONDS - time.monotonic())
    _scheduled = loop.call_later(delay, trim_now)
