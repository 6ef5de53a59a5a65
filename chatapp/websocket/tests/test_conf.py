"""The core's settings: every one has a default, and the project's value wins."""

import pytest

from chatapp.websocket.conf import DEFAULTS, conf


@pytest.mark.parametrize("name", sorted(DEFAULTS))
def test_a_core_setting_the_project_leaves_out_takes_its_default(settings, name):
    delattr(settings, name)  # as if settings.py never set it
    assert getattr(conf, name) == DEFAULTS[name]


def test_the_projects_value_wins_over_the_default(settings):
    settings.WEBSOCKET_INBOX_SIZE = 7
    assert conf.WEBSOCKET_INBOX_SIZE == 7


def test_a_name_the_core_does_not_know_is_an_error():
    with pytest.raises(AttributeError):
        conf.WEBSOCKET_NO_SUCH_THING  # noqa: B018
