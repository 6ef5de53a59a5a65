"""What the accounts tests share."""

from chatapp.testing import TEST_PASSWORD


def sign_up(client, username: str):
    """Post the sign-up form as a visitor would, with a valid email and password."""
    return client.post(
        "/accounts/signup/",
        {
            "username": username,
            "email": "newcomer@example.com",
            "password1": TEST_PASSWORD,
            "password2": TEST_PASSWORD,
        },
    )
