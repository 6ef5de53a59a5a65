import re
import unicodedata

import confusables
from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def username_key(username: str) -> str:
    """The form two names are compared in: NFKC folds compatibility forms
    (fullwidth, mathematical letters, ligatures) into the plain letters they
    stand for, and casefold makes `Admin` and `admin` one name."""
    return unicodedata.normalize("NFKC", username).casefold()


def lookalikes(text: str) -> str:
    """A regular expression for every character `text` can be mistaken for."""
    return "(?:" + "|".join(re.escape(c) for c in confusables.confusable_characters(text)) + ")"


def lookalike_exists(username: str) -> bool:
    """Whether an existing username could be mistaken for `username`.

    `confusables` gives, for a character, all that Unicode's confusables data (UTS #39)
    lists as looking like it, across scripts and cases; one regular expression built
    from them, run over the usernames, finds `admin` spelt with a Cyrillic a, or `adm1n`,
    next to `admin` without storing anything new.
    """
    key = username_key(username)
    # Each pattern is a plain sequence of one group per character, whose alternatives
    # never start alike, so matching is linear: a pattern that offered a pair two ways
    # ("r" then "n", or "rn" as a whole) backtracked exponentially on "rnrnrn…x".
    patterns = {"".join(lookalikes(c) for c in key), "".join(map(lookalikes, pairs_as_one(key)))}
    users = get_user_model()._default_manager
    field = f"{users.model.USERNAME_FIELD}__iregex"
    matches = Q()
    for pattern in patterns:
        matches |= Q(**{field: f"^{pattern}$"})
    return users.filter(matches).exists()


def pairs_as_one(key: str) -> list[str]:
    """`key` in pieces, where a pair Unicode lists as the lookalike of one character
    ("rn" of "m") is one piece, so that `rnodern` also meets an existing `modern`."""
    pieces, i = [], 0
    while i < len(key):
        pair = key[i : i + 2]
        if len(pair) == 2 and confusables.confusable_characters(pair):
            pieces.append(pair)
            i += 2
        else:
            pieces.append(key[i])
            i += 1
    return pieces


class AccountAdapter(DefaultAccountAdapter):
    """Site-specific account rules, kept in one place (allauth's adapter)."""

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "username_confusable": _("This username is too similar to an existing one."),
    }

    def is_open_for_signup(self, request) -> bool:
        # ACCOUNT_ALLOW_SIGNUP=0 turns a deployment invite-only.
        return settings.ACCOUNT_ALLOW_SIGNUP

    def clean_username(self, username: str, shallow: bool = False) -> str:
        # Store the NFKC form, as Django's own create_user does: fullwidth `admin` is `admin`,
        # so allauth's (case-insensitive) "already taken" check below sees the twin.
        username = unicodedata.normalize("NFKC", username)
        username = super().clean_username(username, shallow=shallow)
        # `shallow` is allauth generating a free name; it skips database look-ups.
        if not shallow and lookalike_exists(username):
            raise self.validation_error("username_confusable")
        return username
