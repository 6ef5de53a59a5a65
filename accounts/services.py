"""Account lookups shared by the chat's services."""

from __future__ import annotations

import copy

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def without_cached_permissions(user: AbstractBaseUser) -> AbstractBaseUser:
    """A copy of a long-lived user object (a socket's) whose permissions are read
    again when asked: `has_perm` caches them on the object it is asked of."""
    fresh = copy.copy(user)
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        fresh.__dict__.pop(cache, None)
    return fresh


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
