"""The OpenAPI schema at /api/v1/schema, and a property test driven by it
(schemathesis): no request the schema allows gets a 500, and every answer matches
what the schema says of it (status, content type, body)."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.tokens import create_token
from api.webhooks import create_webhook
from rooms.models import Membership

pytestmark = pytest.mark.django_db


def test_the_schema_is_served_to_anyone_and_names_every_endpoint(client):
    response = client.get("/api/v1/schema", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = set(response.json()["paths"])
    assert paths == {
        "/api/v1/me",
        "/api/v1/rooms",
        "/api/v1/rooms/{room_id}/messages",
        "/api/v1/rooms/{room_id}/messages/{number}",
        "/api/v1/rooms/{room_id}/messages/{number}/reactions",
        "/api/v1/rooms/{room_id}/attachments",
        "/api/v1/search",
        "/api/v1/hooks/{key}",
    }


# The schema as the site serves it, read through Django's WSGI handler when the module
# is collected (no database needed); the cases are then called through the same handler.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema?format=json", get_wsgi_application())


@pytest.fixture(autouse=True)
def _requests_inside_the_test_transaction():
    """Django's handlers close the connection before and after each request: not inside
    the test's transaction (Django's own test client turns this off the same way)."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def token(make_user, make_room, settings):
    """A member of a room with a message in it: ids 1 and up then lead somewhere."""
    settings.CHAT_MAX_API_REQUESTS_PER_MINUTE = 0  # the limits are tested on their own
    settings.CHAT_MAX_MESSAGES_PER_MINUTE = 0
    settings.CHAT_MAX_SEARCHES_PER_MINUTE = 0
    user = make_user("prober")
    room = make_room("Probed")
    Membership.objects.create(room=room, user=user)
    _, secret = create_token(user, "schemathesis", None)
    return secret


@schema.parametrize()
@examples(
    max_examples=25,
    deadline=None,
    derandomize=True,  # the same cases every run: a failure is found again, not by luck
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_request_the_schema_allows_gets_a_500(case, token):
    # Every check but one: the services refuse some bodies the schema cannot describe
    # (a blank text, a text over the limit in characters, a string that is no emoji)
    # with a 400, as the socket does; those are refusals, not failures.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {token}"},
        excluded_checks=[positive_data_acceptance],
    )


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["text", "payload", "username", "x"]), children, max_size=3
        )
    ),
    max_leaves=12,
)


@pytest.fixture
def hook_key(make_user, make_room, settings) -> str:
    settings.CHAT_MAX_WEBHOOK_POSTS_PER_MINUTE = 0
    _, key = create_webhook(make_user("owner", staff=True), make_room("Probed"), "Probe")
    return key


@given(body=JSON)
@examples(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_body_posted_to_a_real_webhook_gets_a_500(client, hook_key, body):
    """The schema's cases never hold a working key: this one does (one webhook for all
    the examples: they only post)."""
    response = client.post(
        f"/api/v1/hooks/{hook_key}", json.dumps(body), content_type="application/json"
    )
    assert response.status_code in (200, 400), response.content
    assert response["Content-Type"] == "application/json"
