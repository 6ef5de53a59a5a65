"""Sign-up refuses usernames that look like an existing one, and stores names in NFKC form."""

import pytest
from django.contrib.auth import get_user_model

from .helpers import sign_up

pytestmark = pytest.mark.django_db

TOO_SIMILAR = "This username is too similar to an existing one."


def accounts_named_like(username: str) -> int:
    return get_user_model().objects.filter(username__iexact=username).count()


@pytest.mark.parametrize(
    ("existing", "attempt"),
    [
        pytest.param("admin", "\uff41\uff44\uff4d\uff49\uff4e", id="fullwidth twin"),
        pytest.param(
            "admin", "\U0001d41a\U0001d41d\U0001d426\U0001d422\U0001d427", id="math bold twin"
        ),
        pytest.param("admin", "\u0430dmin", id="cyrillic small a"),
        pytest.param("admin", "\u0410DMIN", id="cyrillic capital A, then latin capitals"),
        pytest.param("Admin", "\u0430dmin", id="lowercase lookalike of a capitalised name"),
        pytest.param("admin", "adm1n", id="digit for letter"),
        pytest.param("modern", "rnodern", id="rn for m"),
    ],
)
def test_signup_refuses_a_lookalike_of_an_existing_name(client, make_user, existing, attempt):
    make_user(existing)
    response = sign_up(client, attempt)
    assert response.status_code == 200
    assert get_user_model().objects.count() == 1


def test_the_refusal_tells_the_visitor_the_name_is_too_similar(client, make_user):
    make_user("admin")
    response = sign_up(client, "\u0430dmin")
    assert TOO_SIMILAR in response.content.decode()


def test_signup_stores_a_new_name_in_nfkc_form(client):
    sign_up(client, "\uff42\uff4f\uff42")  # fullwidth "bob"
    assert get_user_model().objects.filter(username="bob").exists()


@pytest.mark.parametrize("username", ["bob", "alice_2"])
def test_signup_still_accepts_plain_distinct_names(client, make_user, username):
    # A guard against over-refusing: these passed before the fix and must still pass.
    make_user("admin")
    make_user("alice")
    response = sign_up(client, username)
    assert response.status_code == 302
    assert accounts_named_like(username) == 1


def test_a_long_run_of_lookalike_pairs_is_checked_without_hanging(client, make_user):
    # A pattern that offered each "rn" two ways backtracked 2^k on a failing match:
    # at 40 pairs that is hours, well past the test's timeout.
    make_user("rn" * 40 + "_")
    response = sign_up(client, "rn" * 40)
    assert response.status_code == 302
