"""The daphne wrapper's command line: the site's websocket options in one place."""

from chatapp.serve import DEFAULT_FLAGS, with_defaults


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
