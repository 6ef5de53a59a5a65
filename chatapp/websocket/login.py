"""A socket's login, watched: a logout or a password change elsewhere closes it.

Before a command that may change something the socket reads its login (`login_states`;
the look-ups of all sockets checking at the same moment go together: LoginChecks); if
that differs from what it was at connect, the full session check runs. UserSockets
(auth.py) also nudges every socket of a user whose login changed. `WebsocketConsumer`
(consumers.py) mixes this in.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

from channels.db import database_sync_to_async

from .auth import LoginChecks, LoginSnapshot, session_is_valid, snapshot_of
from .codes import CLOSE_LOGGED_OUT
from .hub import per_loop
from .permissions import fresh_user

if TYPE_CHECKING:
    from .permissions import AnyUser

# A login may be re-validated a moment before the view that changed it updates the
# session (password change); look again after this before closing.
AUTH_RECHECK_DELAY = 0.3
# A frame that changes nothing (typing, a bad frame) looks the login up again only
# when the last look-up is older than this: a flood of them is not a flood of queries.
LOGIN_RECHECK_IDLE = 1.0


class LoginWatch:
    """Keeps a logged-in socket's login current, and closes it (4401) when it ends."""

    user: AnyUser
    auth_user_id: int | None
    logged_out: bool  # closed with 4401: no command is handled any more
    login_checked: float  # when login_still_valid last looked
    login_key: tuple[int, str | None]  # (user id, session key)
    login_snapshot: LoginSnapshot | None

    if TYPE_CHECKING:  # provided by the consumer

        async def leave_hub(self) -> None: ...
        async def close(
            self, code: int | bool | None = None, reason: str | None = None
        ) -> None: ...

    def init_login_watch(self) -> None:
        self.auth_user_id = None  # set while the socket is in UserSockets
        self.logged_out = False
        self.login_checked = -LOGIN_RECHECK_IDLE
        self.login_key = (0, None)
        self.login_snapshot = None

    async def login_still_valid(self, content: Any) -> bool:
        """Called before every frame of a logged-in socket: one cheap look-up of its
        session and user (for a frame that changes nothing, at most one a second). If
        anything changed, the full check of `auth_changed` runs (False once it closed
        the socket with 4401)."""
        if self.auth_user_id is None:
            return True
        now = time.monotonic()
        if not self.changes_state(content) and now - self.login_checked < LOGIN_RECHECK_IDLE:
            return True
        state = await per_loop(LoginChecks)(self.login_key)
        if state != self.login_snapshot:
            await self.auth_changed({"user": self.auth_user_id})
        self.login_checked = now
        return not self.logged_out

    def changes_state(self, content: Any) -> bool:
        """Whether a client frame may store or change something (its login is then
        checked whatever the last check said). Override for a protocol of your own:
        by default every frame does."""
        return True

    async def auth_changed(self, event: dict[str, Any]) -> None:
        """Called when the user's login may have ended or changed: close (4401) if it
        ended, else take the user as it is now and call `user_changed()`."""
        if self.logged_out or self.auth_user_id is None:
            return
        session_key = self.login_key[1]
        if event.get("session_key") and event["session_key"] != session_key:
            return  # another session of the same user ended
        if not event.get("session_key"):
            if await self.login_holds():
                return
            await asyncio.sleep(AUTH_RECHECK_DELAY)
            if await self.login_holds():
                return
        self.logged_out = True
        await self.leave_hub()  # from now on nothing more reaches this socket
        await self.close(code=CLOSE_LOGGED_OUT)

    async def login_holds(self) -> bool:
        """If the session is still valid, reload the user, remember its snapshot and
        call `user_changed()`; False if the login has ended."""
        user_id, session_key = self.login_key
        if not await database_sync_to_async(session_is_valid)(session_key, user_id):
            return False
        self.user = await database_sync_to_async(fresh_user)(user_id)
        self.login_snapshot = snapshot_of(self.user)
        await self.user_changed()
        return True

    async def user_changed(self) -> None:
        """Called when the user changed but is still logged in (e.g. lost a flag). Override."""
