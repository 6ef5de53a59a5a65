from __future__ import annotations

from django import forms

from .tokens import EXPIRY_CHOICES


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=60, help_text="What it is for, e.g. “deploy bot”."
    )
    expires = forms.TypedChoiceField(
        label="Expires after",
        choices=[("" if days is None else str(days), label) for days, label in EXPIRY_CHOICES],
        coerce=lambda value: int(value) if value else None,
        empty_value=None,
        initial="90",
        required=False,
    )


class WebhookForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=60,
        help_text=(
            "Its messages are shown under a username made from it (“Deploys” posts as deploys-bot)."
        ),
    )
