"""A token's life: made on the account page and shown once, stored hashed, used,
expired, revoked; a deactivated user's tokens stop too."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken
from api.tokens import create_token
from chatapp.testing import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def logged_in_with_password(client, user):
    """Logged in, and the password just confirmed on allauth's page (making a token asks
    for it, then not again for a few minutes)."""
    client.force_login(user)
    response = client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    assert response.status_code == 302


def test_the_account_page_shows_a_new_token_once_and_stores_only_its_hash(client, alice):
    logged_in_with_password(client, alice)
    response = client.post(reverse("api_tokens"), {"name": "deploy bot", "expires": "30"})
    assert response.status_code == 302
    shown = client.get(reverse("api_tokens")).content.decode()
    token = ApiToken.objects.get(user=alice)
    secret = shown.split('id="new-secret"')[1].split('value="')[1].split('"')[0]
    assert secret.startswith("chat_") and secret.startswith(token.prefix)
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiToken.objects.filter(pk=token.pk).values().get())
    assert timedelta(days=29) < token.expires - timezone.now() <= timedelta(days=30)
    again = client.get(reverse("api_tokens")).content.decode()
    assert secret not in again and token.prefix in again and "deploy bot" in again


def test_making_a_token_asks_for_the_password_again(client, alice):
    client.force_login(alice)
    assert client.get(reverse("api_tokens")).status_code == 200
    response = client.post(reverse("api_tokens"), {"name": "x", "expires": ""})
    assert response.status_code == 302 and "reauthenticate" in response["Location"]
    assert not ApiToken.objects.exists()


def test_the_token_page_is_never_cached(client, alice):
    client.force_login(alice)
    assert "no-store" in client.get(reverse("api_tokens"))["Cache-Control"]


def test_the_token_page_needs_a_login_and_its_form_a_csrf_token(client, alice):
    assert client.get(reverse("api_tokens")).status_code == 302
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    strict.session.save()
    assert strict.post(reverse("api_tokens"), {"name": "x", "expires": ""}).status_code == 403
    assert not ApiToken.objects.exists()


def test_a_token_works_until_it_is_revoked(client, alice, api_for):
    api = api_for(alice)
    assert api.get("/api/v1/me").json() == {"id": alice.pk, "username": "alice"}
    token = ApiToken.objects.get(user=alice)
    assert token.last_used is not None
    client.force_login(alice)
    client.post(reverse("api_token_revoke", args=[token.pk]))
    refused = api.get("/api/v1/me")
    assert refused.status_code == 401
    assert refused.json()["error"] == "USER_HAS_TO_LOGIN"
    assert refused["WWW-Authenticate"].startswith("Bearer")


def test_nobody_revokes_another_users_token(client, alice, bob, api_for):
    api = api_for(alice)
    client.force_login(bob)
    client.post(reverse("api_token_revoke", args=[ApiToken.objects.get(user=alice).pk]))
    assert api.get("/api/v1/me").status_code == 200


def test_an_expired_token_is_refused(alice, api_for):
    api = api_for(alice, days=1)
    ApiToken.objects.update(expires=timezone.now() - timedelta(seconds=1))
    assert api.get("/api/v1/me").status_code == 401


def test_a_deactivated_users_token_is_refused(alice, api_for):
    api = api_for(alice)
    alice.is_active = False
    alice.save()
    assert api.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer chat_nope", "Bearer a b", "Token chat_x", "Bearer \u00e9t\u00e9"],
)
def test_a_missing_or_wrong_token_is_a_401(client, header):
    response = client.get("/api/v1/rooms", HTTP_AUTHORIZATION=header.encode().decode("latin-1"))
    assert response.status_code == 401
    assert response.json()["error"] == "USER_HAS_TO_LOGIN"


def test_a_session_cookie_is_not_a_credential_of_the_api(client, alice):
    client.force_login(alice)
    assert client.get("/api/v1/me").status_code == 401


def test_one_user_holds_a_limited_number_of_tokens(client, alice, settings):
    settings.CHAT_MAX_API_TOKENS = 2
    create_token(alice, "one", None)
    create_token(alice, "two", None)
    logged_in_with_password(client, alice)
    response = client.post(reverse("api_tokens"), {"name": "three", "expires": ""})
    assert response.status_code == 400
    assert "revoke one first" in response.content.decode()
    assert ApiToken.objects.filter(user=alice).count() == 2


def test_requests_per_user_are_limited_whichever_token_they_use(
    alice, bob, api_for, settings, one_rate_window
):
    settings.CHAT_MAX_API_REQUESTS_PER_MINUTE = 3
    first, second = api_for(alice), api_for(alice)
    codes = [api.get("/api/v1/me").status_code for api in (first, second, first, second)]
    assert codes == [200, 200, 200, 429]
    limited = first.get("/api/v1/me")
    assert limited.json()["error"] == "RATE_LIMITED" and limited["Retry-After"] == "60"
    assert api_for(bob).get("/api/v1/me").status_code == 200


def test_wrong_tokens_are_limited_per_address(client, settings, one_rate_window):
    settings.CHAT_MAX_API_REQUESTS_PER_MINUTE = 2
    wrong = {"HTTP_AUTHORIZATION": "Bearer chat_wrong"}
    codes = [client.get("/api/v1/me", **wrong).status_code for _ in range(3)]
    assert codes == [401, 401, 429]


def test_a_tokens_last_use_is_written_at_most_once_a_minute(alice, api_for):
    api = api_for(alice)
    api.get("/api/v1/me")
    first = ApiToken.objects.get().last_used
    api.get("/api/v1/me")
    assert ApiToken.objects.get().last_used == first
    ApiToken.objects.update(last_used=first - timedelta(minutes=2))
    api.get("/api/v1/me")
    assert ApiToken.objects.get().last_used > first
