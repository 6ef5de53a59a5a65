"""Permission rules shared by every consumer: which perms, checked against a fresh user."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Final, TypeAlias

from django.contrib.auth import get_user_model

if TYPE_CHECKING:
    from django.contrib.auth.models import _AnyUser

    # The project's user model (AUTH_USER_MODEL, which django-stubs' mypy plugin
    # resolves) or AnonymousUser: what `request.user` is.
    AnyUser: TypeAlias = _AnyUser


class _NoPermRequired:
    """Marker for consumers anyone may use, anonymous visitors included."""

    def __repr__(self) -> str:
        return "NO_PERM_REQUIRED"


class _LoginRequired:
    """Marker for consumers any logged-in user may use (no particular permission)."""

    def __repr__(self) -> str:
        return "LOGIN_REQUIRED"


NO_PERM_REQUIRED: Final = _NoPermRequired()
LOGIN_REQUIRED: Final = _LoginRequired()

PermSpec = str | Iterable[str] | _NoPermRequired | _LoginRequired


def normalize_perms(perm: PermSpec) -> tuple[str, ...] | None:
    """Return the permission names to check (none but a login for LOGIN_REQUIRED),
    or None when nothing is required."""
    if perm is NO_PERM_REQUIRED:
        return None
    if perm is LOGIN_REQUIRED:
        return ()
    if isinstance(perm, str):
        perms: tuple[str, ...] = (perm,)
    else:
        perms = tuple(perm)  # type: ignore[arg-type]
    if not perms or not all(isinstance(p, str) and "." in p for p in perms):
        raise ValueError(
            "perm must be 'app_label.codename', a list of them, LOGIN_REQUIRED or "
            f"NO_PERM_REQUIRED; got {perm!r}"
        )
    return perms


def fresh_user(user_id: int | None) -> AnyUser:
    """Load the user again so that permission, staff and active changes are seen at once.

    Runs synchronously: call it through database_sync_to_async.
    """
    from django.contrib.auth.models import AnonymousUser

    if user_id is None:
        return AnonymousUser()
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    return user if user is not None else AnonymousUser()


def user_passes(user: AnyUser, perms: tuple[str, ...] | None, any_perm: bool) -> bool:
    """True when `user` holds the perms (all of them, or one with any_perm). Synchronous."""
    if perms is None:
        return True
    if not user.is_authenticated:
        return False
    if not perms:
        return True  # LOGIN_REQUIRED
    if any_perm:
        return any(user.has_perm(p) for p in perms)
    return user.has_perms(perms)
