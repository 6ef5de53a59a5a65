"""The life of a personal API token: created (shown once), used, expired or revoked.
Shared by the account page, the admin and the API's authentication."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q
from django.utils import timezone

from .models import ApiToken
from .secrets import TOKEN_PREFIX, hash_secret, new_secret

# How often a token's last use is written down: not on every request.
LAST_USED_EVERY = timedelta(minutes=1)
# The expiries the account page offers, in days (None: never).
EXPIRY_CHOICES: list[tuple[int | None, str]] = [
    (30, "30 days"),
    (90, "90 days"),
    (365, "1 year"),
    (None, "Never"),
]


class TooManyTokens(Exception):
    pass


def create_token(user: AbstractBaseUser, name: str, days: int | None) -> tuple[ApiToken, str]:
    """A new token of `user`, and its secret (never stored, shown once)."""
    if ApiToken.objects.filter(user=user).count() >= settings.CHAT_MAX_API_TOKENS:
        raise TooManyTokens
    secret, prefix, key_hash = new_secret(TOKEN_PREFIX)
    expires = timezone.now() + timedelta(days=days) if days is not None else None
    token = ApiToken.objects.create(
        user=user, name=name.strip(), prefix=prefix, key_hash=key_hash, expires=expires
    )
    return token, secret


def revoke_token(user: AbstractBaseUser, token_id: int) -> bool:
    """Revoke one of `user`'s tokens at once (the row goes: a revoked token is no token)."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    return bool(deleted)


def tokens_of(user: AbstractBaseUser) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user))


def user_of_token(secret: str) -> tuple[AbstractBaseUser, ApiToken] | None:
    """The active user a token stands for, if it is one, unexpired (one indexed read)."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_secret(secret), user__is_active=True)
        .filter(Q(expires__isnull=True) | Q(expires__gt=now))
        .first()
    )
    if token is None:
        return None
    if token.last_used is None or now - token.last_used > LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
    return token.user, token
