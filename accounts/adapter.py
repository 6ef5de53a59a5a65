from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    """Site-specific account rules, kept in one place (allauth's adapter)."""

    def is_open_for_signup(self, request) -> bool:
        # ACCOUNT_ALLOW_SIGNUP=0 turns a deployment invite-only.
        return getattr(settings, "ACCOUNT_ALLOW_SIGNUP", True)
