"""The admin logs in through allauth's throttled login, never through its own form."""

from urllib.parse import parse_qs, urlsplit

import pytest

from chatapp.testing import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN_FAILED_PER_ACCOUNT = 5  # "5/5m/key" in ACCOUNT_RATE_LIMITS["login_failed"]


def next_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["next"][0]


def reaches_the_admin(client) -> bool:
    return client.get("/admin/").status_code == 200


def test_the_admin_login_sends_visitors_to_the_throttled_login(client):
    response = client.get("/admin/login/")
    assert urlsplit(response.url).path == "/accounts/login/"


def test_the_admin_login_sends_visitors_on_to_the_admin_by_default(client):
    response = client.get("/admin/login/")
    assert next_of(response.url) == "/admin/"


def test_the_admin_login_keeps_the_page_asked_for(client):
    response = client.get("/admin/login/?next=/admin/auth/user/")
    assert next_of(response.url) == "/admin/auth/user/"


def test_the_admin_login_drops_an_offsite_next(client):
    response = client.get("/admin/login/?next=https://evil.example/")
    assert next_of(response.url) == "/admin/"


def test_posting_credentials_to_the_admin_login_does_not_log_in(client, make_user):
    staff = make_user(staff=True)
    client.post("/admin/login/", {"username": staff.username, "password": TEST_PASSWORD})
    assert not reaches_the_admin(client)


def test_a_staff_member_logs_in_through_the_admin_login_and_lands_on_the_admin(client, make_user):
    staff = make_user(staff=True)
    form = client.get("/admin/login/?next=/admin/", follow=True)
    response = client.post(
        form.request["PATH_INFO"] + "?" + form.request["QUERY_STRING"],
        {"login": staff.username, "password": TEST_PASSWORD},
    )
    assert response.url == "/admin/"
    assert reaches_the_admin(client)


def test_a_locked_out_account_finds_no_way_in_through_the_admin_login(client, make_user):
    staff = make_user(staff=True)
    for _ in range(LOGIN_FAILED_PER_ACCOUNT):
        client.post("/accounts/login/", {"login": staff.username, "password": "wrong"})
    form = client.get("/admin/login/", follow=True)
    client.post(
        form.request["PATH_INFO"] + "?" + form.request["QUERY_STRING"],
        {"login": staff.username, "username": staff.username, "password": TEST_PASSWORD},
    )
    assert not reaches_the_admin(client)


def test_a_logged_in_user_without_admin_access_gets_a_403_not_a_redirect_loop(client, make_user):
    client.force_login(make_user())
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert len(response.redirect_chain) == 1
