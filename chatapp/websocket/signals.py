"""Login changes that must reach open sockets at once."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from .auth import notify_auth_changed

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.http import HttpRequest


@receiver(user_logged_out)
def close_sockets_of_ended_session(
    sender: type[object],
    request: HttpRequest | None,
    user: AbstractBaseUser | None,
    **kwargs: Any,
) -> None:
    """Logout: the sockets of this session close now (4401), others of the user stay."""
    if user is not None and request is not None:
        notify_auth_changed(user.pk, ended_session=request.session.session_key)


def user_saved(
    sender: type[AbstractBaseUser],
    instance: AbstractBaseUser,
    created: bool,
    update_fields: Iterable[str] | None = None,
    **kwargs: Any,
) -> None:
    """Password, active flag or staff flag may have changed: sockets re-check."""
    if created or (update_fields is not None and set(update_fields) <= {"last_login"}):
        return
    transaction.on_commit(lambda: notify_auth_changed(instance.pk))


def connect() -> None:
    post_save.connect(user_saved, sender=get_user_model(), dispatch_uid="websocket-user-saved")
