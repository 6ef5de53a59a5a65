"""Test constants of the site that tests import (the websocket helpers are in
chatapp.websocket.testing)."""

import os

# CI sets REQUIRE_SERVICES=1: a test that needs PostgreSQL or Redis fails, not skips.
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
TEST_PASSWORD = "correct-horse-battery-staple-42"  # noqa: S105 (test accounts only)
