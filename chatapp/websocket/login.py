"""A socket's login, watched: a logout or a password change elsewhere closes it.

Before a command that may change something the socket reads its login (`login_states`;
the look-ups of all sockets checking at the same moment go together: LoginChecks); if
that differs from what it was at connect, the full session check runs. A command whose
work goes to a GroupCommit has that look-up made in its own batch instead
(`gated_change`, logins.py): one hop, not two. UserSockets (auth.py) also nudges every
socket of a user whose login changed. `WebsocketConsumer` (consumers.py) mixes this in.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar

from channels.db import database_sync_to_async

from .auth import LoginChecks
from .codes import CLOSE_LOGGED_OUT
from .hub import per_loop
from .logins import LoginChanged, LoginGate, LoginSnapshot, session_is_valid, snapshot_of
from .permissions import fresh_user

if TYPE_CHECKING:
    from .permissions import AnyUser
    from .together import GroupCommit

T = TypeVar("T")

# A login may be re-validated a moment before the view that changed it updates the
# session (password change); look again after this before closing.
AUTH_RECHECK_DELAY = 0.3
# A frame that changes nothing (typing, a bad frame) looks the login up again only
# when the last look-up is older than this: a flood of them is not a flood of queries.
LOGIN_RECHECK_IDLE = 1.0


class LoggedOut(Exception):
    """The socket's login ended while a change of its waited: it is closed (4401), and
    nothing more is said on it."""


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
        if self.auth_user_id is None or self.checks_login_in_batch(content):
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

    def checks_login_in_batch(self, content: Any) -> bool:
        """Whether a client frame's command hands its work to a GroupCommit with
        `login_gate()` (through `gated_change`): its login is then checked in that
        batch, not before. Override: by default no frame's is."""
        return False

    def login_gate(self) -> LoginGate | None:
        """The login a change of this socket must still have when its batch runs (None
        for a socket that never had one; a logged-in socket's stays after it closed)."""
        if not self.login_key[0]:
            return None
        return LoginGate(self.login_key, self.login_snapshot)

    async def gated_change(
        self,
        commit: GroupCommit,
        key: Hashable,
        change: Callable[[], T],
        handed_in: asyncio.Future[T] | None = None,
    ) -> T:
        """The outcome of `change` committed by `commit` under this socket's login
        (`handed_in`: its future, if it was submitted already). If the login changed
        meanwhile, it is looked at: an ended one closes the socket (LoggedOut is
        raised); one that still holds (a new password, a flag) takes the user as it is
        now (`change.for_user(user)` where the change carries a user) and tries once
        more."""
        future = handed_in or commit.submit(key, change, self.login_gate())
        try:
            return await future
        except LoginChanged:
            if self.auth_user_id is None:  # closed meanwhile: nobody left to check for
                raise LoggedOut from None
            await self.auth_changed({"user": self.auth_user_id})
            if self.logged_out or self.auth_user_id is None:
                raise LoggedOut from None
        for_user = getattr(change, "for_user", None)
        if for_user is not None:
            change = for_user(self.user)
        # The login was just checked in full (auth_changed): the change runs without the
        # quick look-up, which a session engine without a server-side record (signed
        # cookies) could never pass.
        return await commit.change(key, change)

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
