"""Account lookups shared by the chat's services."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def active_user(user_id: int | None) -> AbstractBaseUser | AnonymousUser:
    """The user as the database has it now (so a lost staff flag or a deactivation
    counts at once), or AnonymousUser if there is none or it is inactive."""
    if user_id is None:
        return AnonymousUser()
    model = get_user_model()
    try:
        # get(), not first(): no ORDER BY to build and run for a primary key.
        return model.objects.get(pk=user_id, is_active=True)
    except model.DoesNotExist:
        return AnonymousUser()
