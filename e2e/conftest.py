"""End-to-end fixtures: a live daphne (websockets included) and Chromium through Playwright.

pytest-django's live_server cannot serve websockets, so daphne runs as a
subprocess on the test database; it can be stopped and restarted mid-test to
exercise reconnection. The browser is CHROMIUM_PATH, else /usr/bin/chromium,
else Playwright's own download (`python -m playwright install chromium`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from chatapp.testing import TEST_PASSWORD
from chatapp.websocket.testing import new_key_prefix, session_cookie

BASE_DIR = Path(__file__).resolve().parent.parent
ARTIFACTS = BASE_DIR / "e2e" / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
EXPECT_TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(items):
    for item in items:
        if "e2e" in item.nodeid.split("/")[0]:
            item.add_marker(pytest.mark.e2e)


def chromium_executable() -> str | None:
    """CHROMIUM_PATH, else the system Chromium, else None (Playwright's own browser)."""
    if os.environ.get("CHROMIUM_PATH"):
        return os.environ["CHROMIUM_PATH"]
    for candidate in ("/usr/bin/chromium", shutil.which("chromium") or ""):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(settings_dict: dict) -> str:
    """The URL of the test database, for the server process."""
    if settings_dict["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{settings_dict['NAME']}"
    user = settings_dict.get("USER") or ""
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


def server_env(settings_dict: dict, redis_url: str) -> dict[str, str]:
    """The environment of a server process: the test database, fresh Redis key prefixes."""
    run = new_key_prefix("e2e")
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DATABASE_URL": database_url(settings_dict),
        "DEBUG": "1",
        "CHANNEL_LAYER_PREFIX": run,
        "CACHE_KEY_PREFIX": run,
        "PYTHONUNBUFFERED": "1",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


class LiveServer:
    """daphne in a subprocess; `restart()` keeps the port so open pages can reconnect."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.log_path = ARTIFACTS / "daphne.log"

    def start(self) -> None:
        log = open(self.log_path, "a")  # kept open for the process's life
        self.process = subprocess.Popen(
            self.command(),
            cwd=BASE_DIR,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"daphne exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/accounts/login/", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"daphne did not answer in time; see {self.log_path}")

    def command(self) -> list[str]:
        """The server's command line: the site's daphne, with its own defaults (pings,
        frame limits, timeouts: chatapp/serve.py), as `make run` and the Procfile."""
        return [
            *(sys.executable, "-m", "chatapp.serve", "-b", "127.0.0.1", "-p", str(self.port)),
            "chatapp.asgi:application",
        ]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def kill(self) -> None:
        """`kill -9`: no shutdown, no disconnect handlers, nothing cleaned up."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def manage(self, *args: str) -> subprocess.CompletedProcess:
        """Run manage.py in another process with the server's environment (DB, Redis)."""
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )


class PrivateRedis:
    """A redis-server of our own on a free loopback port, so tests can stop and restart it."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *("redis-server", "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no"),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def two_servers(django_db_setup, transactional_db):
    """Two daphne processes sharing one database and a private Redis (scale-out)."""
    from chatapp.testing import REQUIRE_SERVICES

    if not shutil.which("redis-server"):
        if REQUIRE_SERVICES:
            pytest.fail("redis-server is required (REQUIRE_SERVICES=1)")
        pytest.skip("redis-server not installed")
    from django.db import connection

    redis = PrivateRedis()
    redis.start()
    # Short presence expiry, so a process killed with -9 leaves no ghost for long.
    env = server_env(connection.settings_dict, redis.url) | {
        "CHAT_PRESENCE_TTL": "8",
        "CHAT_PRESENCE_HEARTBEAT": "2",
    }
    servers = [LiveServer(env), LiveServer(env)]
    for server in servers:
        server.start()
    yield servers, redis
    for server in servers:
        server.stop()
    redis.stop()


@contextlib.contextmanager
def extra_server(settings: dict[str, str], *, redis_url=None, kind=None):
    """Another live server (`kind`, a LiveServer by default) on the test database, with
    these settings in its environment, stopped when the block ends."""
    from django.conf import settings as django_settings
    from django.db import connection

    redis_url = django_settings.REDIS_URL if redis_url is None else redis_url
    server = (kind or LiveServer)(server_env(connection.settings_dict, redis_url) | settings)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def lingering_server(server):
    """A second daphne on the same database whose hub waits half a second after every
    pass, so that messages a moment apart go out together as one batch frame."""
    with extra_server(
        {"WEBSOCKET_LINGER_SHARE": "1e9", "WEBSOCKET_LINGER_MAX": "0.5"}
    ) as lingering:
        yield lingering


@pytest.fixture(scope="session")
def daphne_server(django_db_setup, django_db_blocker):
    from django.conf import settings
    from django.db import connection

    server = LiveServer(server_env(connection.settings_dict, settings.REDIS_URL))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def server(daphne_server, transactional_db):
    """The live server, restarted if a test left it stopped, on a fresh database."""
    if daphne_server.process is None or daphne_server.process.poll() is not None:
        daphne_server.start()
    return daphne_server


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # The sync Playwright API runs an event loop in this thread; the ORM calls that
    # tests make for set-up are still plain blocking calls.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium_executable(), args=CHROMIUM_ARGS, headless=True
            )
            yield browser
            browser.close()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def new_context(browser, server):
    """`new_context(user=None, server=...)`: a browser context (one browser session, so its
    pages are tabs sharing the login) on the live server, logged in as `user`."""
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    contexts = []

    def make(user=None, *, on=server, viewport=None, permissions=(), color_scheme="light"):
        context = browser.new_context(
            base_url=on.url,
            viewport=viewport or {"width": 1280, "height": 800},
            permissions=list(permissions),
            color_scheme=color_scheme,
        )
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        if user is not None:
            context.add_cookies(
                [{"name": "sessionid", "value": session_cookie(user), "url": on.url}]
            )
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def new_page(new_context):
    """`new_page(user=None)`: a page in its own browser context, logged in as `user`."""

    def make(user=None, **options):
        return new_context(user, **options).new_page()

    return make


@pytest.fixture
def rooms(server):
    """The demo rooms, made by the server's own environment (as `make run` does)."""
    result = server.manage("load_demo_rooms")
    assert result.returncode == 0, result.stderr
    from rooms.models import Room

    return {room.title: room for room in Room.objects.all()}


@pytest.fixture
def password():
    return TEST_PASSWORD
