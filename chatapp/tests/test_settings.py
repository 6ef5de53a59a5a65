"""Settings from the environment: embedded defaults, real services, production safety."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a-long-random-production-secret-for-this-test-only-0123456789",
    "ALLOWED_HOSTS": "chat.example.com",
}


def manage(*args, env=None):
    outside = {"DATABASE_URL", "REDIS_URL", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {k: v for k, v in os.environ.items() if k not in outside}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def setting(name, env=None):
    code = f"from django.conf import settings; print(settings.{name})"
    result = manage("shell", "--no-imports", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_no_environment_runs_on_embedded_services():
    assert setting("DEBUG") == "True"
    assert "sqlite3" in setting("DATABASES['default']['ENGINE']")
    assert "InMemoryChannelLayer" in setting("CHANNEL_LAYERS['default']['BACKEND']")
    assert "LocMemCache" in setting("CACHES['default']['BACKEND']")


def test_redis_url_switches_layer_and_cache():
    env = {"REDIS_URL": "redis://127.0.0.1:6379/5"}
    assert "channels_redis" in setting("CHANNEL_LAYERS['default']['BACKEND']", env)
    assert "RedisCache" in setting("CACHES['default']['BACKEND']", env)


def test_database_url_selects_postgresql():
    env = {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/anything"}
    assert setting("DATABASES['default']['ENGINE']", env) == "django.db.backends.postgresql"


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert f"{missing} must be set when DEBUG=0" in result.stderr


def test_check_deploy_is_clean_in_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_cookies_are_secure():
    assert setting("SESSION_COOKIE_SECURE", PRODUCTION) == "True"
    assert setting("CSRF_COOKIE_SECURE", PRODUCTION) == "True"
    assert setting("SESSION_COOKIE_HTTPONLY", PRODUCTION) == "True"
    assert setting("SESSION_COOKIE_SAMESITE", PRODUCTION) == "Lax"


def test_daphne_is_the_first_app():
    assert setting("INSTALLED_APPS[0]") == "daphne"


def test_production_static_files_share_one_runtime_module(tmp_path):
    result = manage("collectstatic", "--noinput", env={**PRODUCTION, "STATIC_ROOT": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    runtime = next(p.name for p in (tmp_path / "websocket").glob("websocket.*.js"))
    # The hashed chat modules (js/chat.<hash>.js and js/chat/*.<hash>.js) import hashed
    # files only, the runtime among them: an unhashed name would load a second instance
    # of the module (of the runtime, or of the chat's shared state) beside the first.
    hashed = re.compile(r"\.[0-9a-f]{12}\.js$")
    modules = [p for p in (tmp_path / "js").rglob("*.js") if hashed.search(p.name)]
    importers = set()
    for module in modules:
        text = module.read_text()
        for url in re.findall(r'from "(\.\.?/[^"]*)"', text):
            assert hashed.search(url) and (module.parent / url).is_file(), f"{module.name}: {url}"
        expected = Path(os.path.relpath(tmp_path / "websocket" / runtime, module.parent))
        for url in re.findall(r'from "([^"]*websocket\.[^"]*)"', text):
            assert url == expected.as_posix(), f"{module.name} imports {url}"
            importers.add(module.relative_to(tmp_path / "js").parent.as_posix())
    assert importers == {".", "chat"}, "the entry module and the chat/ modules import it"


def test_sign_up_can_be_closed_from_the_environment():
    assert setting("ACCOUNT_ALLOW_SIGNUP") == "True"
    assert setting("ACCOUNT_ALLOW_SIGNUP", {"ACCOUNT_ALLOW_SIGNUP": "0"}) == "False"


def test_proxy_hops_and_socket_caps_come_from_the_environment():
    env = {"TRUSTED_PROXY_COUNT": "1", "WEBSOCKET_MAX_SOCKETS_PER_IP": "7"}
    assert setting("TRUSTED_PROXY_COUNT", env) == "1"
    assert setting("WEBSOCKET_MAX_SOCKETS_PER_IP", env) == "7"
