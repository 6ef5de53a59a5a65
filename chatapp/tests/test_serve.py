"""The daphne wrapper's command line: the site's websocket options in one place."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from chatapp.serve import DEFAULT_FLAGS, with_defaults

BASE_DIR = Path(__file__).resolve().parents[2]


def test_every_default_flag_is_added_before_the_application():
    argv = with_defaults(["--port", "8000", "chatapp.asgi:application"])
    assert argv[-1] == "chatapp.asgi:application"
    for flag, value in DEFAULT_FLAGS.items():
        assert argv[argv.index(flag) + 1] == value


def test_a_flag_given_on_the_command_line_wins_over_its_default():
    argv = with_defaults(["--ping-interval", "5", "--websocket_timeout=60", "app"])
    assert argv.count("--ping-interval") == 1
    assert argv[argv.index("--ping-interval") + 1] == "5"
    assert "--websocket_timeout" not in argv


@pytest.mark.parametrize("module", ["chatapp.serve", "chatapp.uvicorn_ws"])
def test_the_server_wrappers_load_without_django_settings_in_the_environment(module):
    # `make run` and the Procfile start chatapp.serve with no DJANGO_SETTINGS_MODULE,
    # and uvicorn imports its --ws class before the application.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    run = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
