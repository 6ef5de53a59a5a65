"""Making and recognising the API's secrets (tokens and webhook keys)."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "chat_"  # noqa: S105 (a label, not a secret) makes a leaked token easy to spot (secret scanners, logs)
HOOK_PREFIX = "hook_"


def new_secret(kind_prefix: str) -> tuple[str, str, str]:
    """A new secret: (the secret shown once, its display prefix, its stored hash)."""
    secret = kind_prefix + secrets.token_urlsafe(32)
    return secret, secret[: len(kind_prefix) + 6], hash_secret(secret)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()
