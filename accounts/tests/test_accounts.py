"""Sign up, log in with username or email, log out, and the demo admin."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from chatapp.testing import TEST_PASSWORD

from .helpers import sign_up

pytestmark = pytest.mark.django_db


def test_sign_up_creates_the_user_and_logs_in(client):
    response = sign_up(client, "newbie")
    assert response.status_code == 302
    assert get_user_model().objects.filter(username="newbie").exists()
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("login", ["carol", "carol@example.com"])
def test_log_in_with_username_or_email(client, make_user, login):
    make_user("carol")
    response = client.post("/accounts/login/", {"login": login, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_wrong_password_does_not_log_in(client, make_user):
    make_user("dave")
    response = client.post("/accounts/login/", {"login": "dave", "password": "nope"})
    assert response.status_code == 200
    assert client.get("/").status_code == 302


def test_log_out_is_a_post(client, make_user):
    client.force_login(make_user())
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/").status_code == 302


def test_password_reset_mail_goes_out(client, make_user, mailoutbox):
    make_user("erin")
    client.post("/accounts/password/reset/", {"email": "erin@example.com"})
    assert len(mailoutbox) == 1 and "erin" in mailoutbox[0].body


def test_demo_admin_gets_a_random_password_printed_once(settings, capsys):
    settings.DEBUG = True
    call_command("create_demo_admin")
    first = capsys.readouterr().out
    password = first.rsplit("password: ", 1)[1].strip()
    assert len(password) >= 12
    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser and user.check_password(password)
    call_command("create_demo_admin")
    assert password not in capsys.readouterr().out


def test_no_demo_admin_without_debug(settings):
    settings.DEBUG = False
    call_command("create_demo_admin")
    assert not get_user_model().objects.filter(username="admin").exists()


def test_repeated_failed_logins_are_throttled_even_with_the_right_password(client, make_user):
    make_user("target")
    for n in range(5):
        client.post("/accounts/login/", {"login": "target", "password": f"guess-{n}"})
    # allauth's rate limit: 5 failures per 5 minutes per account, then even the right one waits.
    response = client.post("/accounts/login/", {"login": "target", "password": TEST_PASSWORD})
    assert "Too many failed login attempts" in response.content.decode()
    assert client.get("/").status_code == 302


def test_sign_up_closed_by_the_setting_makes_no_account(client, settings):
    settings.ACCOUNT_ALLOW_SIGNUP = False
    response = sign_up(client, "newbie")
    assert b"Sign Up Closed" in response.content or response.status_code != 302
    assert not get_user_model().objects.filter(username="newbie").exists()
