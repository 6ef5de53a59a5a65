"""Fixtures of the API tests: a user with a token, and a client that sends it."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api.tokens import create_token


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Files uploaded through the API (the schema's cases too) go to a temporary folder."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def api_for(make_user):
    """`api_for(user)`: a client calling the API with a fresh token of `user`."""

    def make(user=None, *, days=None):
        user = user or make_user()
        _, secret = create_token(user, "tests", days)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        client.user = user
        client.secret = secret
        return client

    return make


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def bob(make_user):
    return make_user("bob")


@pytest.fixture
def general(make_room):
    return make_room("General")
