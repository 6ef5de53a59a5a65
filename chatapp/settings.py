"""Settings for the chat site, read from the environment.

With no environment at all the site runs for development: DEBUG on, SQLite,
the in-memory channel layer and the local-memory cache. Every variable is
listed in the README's configuration table.
"""

from __future__ import annotations

import secrets

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from chatapp.env import BASE_DIR, env_bool, env_float, env_int, env_list, env_str


def development_secret_key() -> str:
    """A random key kept in a git-ignored file, so sessions survive restarts in development."""
    path = BASE_DIR / ".dev-secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


DEBUG = env_bool("DEBUG", True)

# Production refuses to start without its secrets instead of running with a guessable one.
SECRET_KEY = env_str("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
if not DEBUG:
    if not SECRET_KEY:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=0")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG=0")
else:
    SECRET_KEY = SECRET_KEY or development_secret_key()
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["localhost", "127.0.0.1", "[::1]"]

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    # daphne first: it takes over `runserver` so development serves websockets too.
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "allauth",
    "allauth.account",
    "chatapp",
    "chatapp.websocket",
    "chatapp.features",
    "rest_framework",
    "drf_spectacular",
    "accounts",
    "rooms",
    "attachments",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "chatapp.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "chatapp.urls"
ASGI_APPLICATION = "chatapp.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: SQLite next to the code unless DATABASE_URL says otherwise
# (postgres://user:password@host:5432/name goes through psycopg 3).
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Tests run a live daphne in a second process, so the test database must be a file.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-db.sqlite3")}
    # Wait on a locked database instead of failing at once: sockets write from several threads.
    # BEGIN IMMEDIATE takes the write lock up front, so concurrent sends queue
    # instead of failing with "database is locked" half-way through.
    DATABASES["default"].setdefault("OPTIONS", {}).update(timeout=20, transaction_mode="IMMEDIATE")
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "DATABASE_POOL", True
):
    # Under ASGI Django's persistent connections leak (a thread per request), so
    # connections come from psycopg's pool instead: a chat send does not pay for
    # a new connection. CONN_MAX_AGE must then be 0.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DATABASE_POOL_MIN", 2),
        "max_size": env_int("DATABASE_POOL_MAX", 10),
        # While the database is down, give up after this many seconds
        # (SERVICE_UNAVAILABLE) rather than hold every socket's database work.
        "timeout": env_int("DATABASE_POOL_TIMEOUT", 5),
        # (conn_health_checks above makes Django pass the pool a check, so a
        # connection broken by a database restart is replaced, not handed out.)
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis, when configured, carries both the channel layer and the cache.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # Both of channels-redis's layers work; `core` is the default by measurement
    # (docs/fanout.md): behind the hub a room is one layer member per process,
    # and core keeps queued messages through short subscriber hiccups.
    CHANNEL_LAYER_BACKENDS = {
        "core": "channels_redis.core.RedisChannelLayer",
        "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
    }
    CHANNEL_LAYER = env_str("CHANNEL_LAYER", "core")
    if CHANNEL_LAYER not in CHANNEL_LAYER_BACKENDS:
        raise ImproperlyConfigured(f"CHANNEL_LAYER must be one of {sorted(CHANNEL_LAYER_BACKENDS)}")
    # Several Redis hosts shard the layer's channels and groups (consistent hashing).
    # channels-redis's pool refuses commands beyond max_connections rather than
    # waiting; a reconnect storm of thousands of sockets needs the headroom.
    # redis-py 8 times out reads after 5 s by default, exactly as long as the
    # layer's blocking pops wait: a quiet socket's receive then failed and
    # closed it. Reads may take longer than a pop; a dead Redis is still noticed.
    CHANNEL_LAYER_HOSTS = [
        {
            "address": url,
            "max_connections": env_int("CHANNEL_LAYER_MAX_CONNECTIONS", 1000),
            "socket_timeout": 30,
        }
        for url in env_list("CHANNEL_LAYER_REDIS_URLS", [REDIS_URL])
    ]
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": CHANNEL_LAYER_BACKENDS[CHANNEL_LAYER],
            "CONFIG": {
                "hosts": CHANNEL_LAYER_HOSTS,
                "prefix": env_str("CHANNEL_LAYER_PREFIX", "chatapp"),
            },
        }
    }
    if CHANNEL_LAYER == "core":
        # Per-channel queue bound (a hub channel per room and process): beyond it
        # live events are dropped and sockets catch up from the database.
        CHANNEL_LAYERS["default"]["CONFIG"]["capacity"] = env_int("CHANNEL_LAYER_CAPACITY", 1000)
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "chatapp"),
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

# django-allauth: log in with username or email, sign up with both.
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION", "none")
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
# 0 closes sign-up (an invite-only deployment: accounts made in the admin).
ACCOUNT_ALLOW_SIGNUP = env_bool("ACCOUNT_ALLOW_SIGNUP", True)
# Brute-force throttling of logins, sign-ups and resets (allauth's defaults, made explicit).
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/accounts/login/"

# Email: printed to the console unless an SMTP host is given.
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "chat@localhost")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env_str("STATIC_ROOT") or BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Attachments: MEDIA_ROOT, the S3 switch and the upload limits (chatapp/settings_uploads.py).
from chatapp.settings_uploads import *  # noqa: E402, F403

STORAGES = {
    "default": UPLOAD_STORAGE,  # noqa: F405
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "chatapp.storage.StaticFilesStorage"
        )
    },
}

# Security headers apply in every mode; the HTTPS-only ones in production.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_COOKIE_HTTPONLY = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
# Behind a TLS-terminating proxy, trust its X-Forwarded-Proto header (only set this
# when the proxy always overwrites that header).
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Message types are rooms.models.MessageType.

# Chat limits (see rooms/): both read from the environment.
CHAT_MAX_MESSAGE_LENGTH = env_int("CHAT_MAX_MESSAGE_LENGTH", 2000)
CHAT_MAX_MESSAGES_PER_MINUTE = env_int("CHAT_MAX_MESSAGES_PER_MINUTE", 30)
CHAT_HISTORY_ON_JOIN = 50
# Authors may edit their messages for this many seconds after sending them (0: always).
CHAT_EDIT_WINDOW_SECONDS = env_int("CHAT_EDIT_WINDOW_SECONDS", 0)
# Resuming: a join with "since" replays at most this many messages, then asks for a resync.
CHAT_RESUME_LIMIT = env_int("CHAT_RESUME_LIMIT", 500)
# A socket that missed more live events than this (its layer queue overflowed) is
# closed with 4008 and resumes from the database; smaller gaps are filled in place.
CHAT_GAP_FILL_LIMIT = env_int("CHAT_GAP_FILL_LIMIT", 100)
# Presence entries expire unless renewed every CHAT_PRESENCE_HEARTBEAT seconds.
CHAT_PRESENCE_TTL = env_int("CHAT_PRESENCE_TTL", 60)
CHAT_PRESENCE_HEARTBEAT = env_int("CHAT_PRESENCE_HEARTBEAT", 20)
# A reconnect within this many seconds says neither "left" nor "joined".
CHAT_LEAVE_GRACE_SECONDS = env_int("CHAT_LEAVE_GRACE_SECONDS", 5)
# Member-list broadcasts: at most one per room and process in this window (the
# latest state wins), and at most this many names in each (the count is exact).
CHAT_PRESENCE_COALESCE_SECONDS = env_float("CHAT_PRESENCE_COALESCE_SECONDS", 0.25)
# ...and longer in a big room: its member lists and merged "joined"/"left" notices
# cost each process at most about this many deliveries a second (a crowd of 5,000
# arriving would otherwise be told of itself 5,000 times four times a second).
CHAT_PRESENCE_DELIVERIES_PER_SECOND = env_int("CHAT_PRESENCE_DELIVERIES_PER_SECOND", 2000)
CHAT_PRESENCE_NAMES_LIMIT = env_int("CHAT_PRESENCE_NAMES_LIMIT", 100)
# At most one "is typing" broadcast per socket and room in this many seconds.
CHAT_TYPING_INTERVAL = 2
CHAT_MAX_JOINS_PER_MINUTE = env_int("CHAT_MAX_JOINS_PER_MINUTE", 60)
# Rooms of users: whether logged-in users create public and private rooms (they own
# them), how many people a direct conversation holds, and from how many members on
# `@here` is for the room's owners and moderators only.
CHAT_USERS_CAN_CREATE_ROOMS = env_bool("CHAT_USERS_CAN_CREATE_ROOMS", True)
CHAT_DIRECT_MAX_MEMBERS = 8
CHAT_HERE_MAX_MEMBERS = env_int("CHAT_HERE_MAX_MEMBERS", 50)
# A socket's `watch` follows at most this many of the user's rooms; a user may ask for
# their rooms this often a minute, across sockets (each asks once per connect).
CHAT_WATCH_MAX_ROOMS = env_int("CHAT_WATCH_MAX_ROOMS", 500)
CHAT_MAX_WATCHES_PER_MINUTE = env_int("CHAT_MAX_WATCHES_PER_MINUTE", 30)
# Searches per user a minute (each may read many messages).
CHAT_MAX_SEARCHES_PER_MINUTE = env_int("CHAT_MAX_SEARCHES_PER_MINUTE", 30)
# Websocket connection attempts per minute, per user and per client IP (0 turns off).
WEBSOCKET_MAX_CONNECTIONS_PER_MINUTE = env_int("WEBSOCKET_MAX_CONNECTIONS_PER_MINUTE", 60)
WEBSOCKET_MAX_CONNECTIONS_PER_IP_PER_MINUTE = env_int(
    "WEBSOCKET_MAX_CONNECTIONS_PER_IP_PER_MINUTE", 300
)
# Callbacks of `@consumer` endpoints (the features page) per user (or IP) and minute.
WEBSOCKET_MAX_CALLBACKS_PER_MINUTE = env_int("WEBSOCKET_MAX_CALLBACKS_PER_MINUTE", 60)
# Sockets open at once in one process, per user and per client IP (0 turns off); over
# the cap, close 4429. Raise the process's file-descriptor limit above their sum.
WEBSOCKET_MAX_SOCKETS_PER_USER = env_int("WEBSOCKET_MAX_SOCKETS_PER_USER", 20)
WEBSOCKET_MAX_SOCKETS_PER_IP = env_int("WEBSOCKET_MAX_SOCKETS_PER_IP", 100)
# Proxies in front of the site that append to X-Forwarded-For: the client address is
# taken this many entries from the right (0: the peer address; never the left entry,
# which the client writes).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Every open socket's login is read again this often (seconds; 0 off), so changes made
# without a signal or lost in a layer outage still close or restrict it.
WEBSOCKET_AUTH_RECHECK_SECONDS = env_int("WEBSOCKET_AUTH_RECHECK_SECONDS", 30)
# Bytes sent to one socket that its client has not taken yet, at most (chatapp/serve.py):
# past it the socket is closed with 4008 and resumes later. Long replays are paced to
# a quarter of it; a client that takes nothing for WEBSOCKET_DRAIN_TIMEOUT s is closed.
WEBSOCKET_MAX_BUFFERED_BYTES = env_int("WEBSOCKET_MAX_BUFFERED_BYTES", 1024 * 1024)
WEBSOCKET_DRAIN_TIMEOUT = env_float("WEBSOCKET_DRAIN_TIMEOUT", 10.0)
# Native clients send no Origin header; browsers always do. Refused unless turned on.
WEBSOCKET_ALLOW_MISSING_ORIGIN = env_bool("WEBSOCKET_ALLOW_MISSING_ORIGIN", False)
# Threads that store the sockets' sends, edits and joins in batches, the rooms spread
# over them, each with its own connection (chatapp/websocket/together.py): more than
# one lets one's round trips to PostgreSQL overlap another's, at the price of threads
# taking turns with the event loop (on 2 cores, one measured best: docs/writes.md).
# SQLite has one writer: always one.
WEBSOCKET_WRITE_LANES = (
    1
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
    else env_int("WEBSOCKET_WRITE_LANES", 1)
)
# Hub events queued for one socket before it is closed with 4008 as too slow.
WEBSOCKET_INBOX_SIZE = env_int("WEBSOCKET_INBOX_SIZE", 1000)
# After a pass over a group's local sockets, the hub waits this many times as long as
# the pass took (at most WEBSOCKET_LINGER_MAX seconds) before the next one, so that a
# busy large room sends what came meanwhile as one frame per socket (chatapp/websocket/hub.py).
WEBSOCKET_LINGER_SHARE = env_float("WEBSOCKET_LINGER_SHARE", 2.0)
WEBSOCKET_LINGER_MAX = env_float("WEBSOCKET_LINGER_MAX", 0.02)
NOTIFY_USERS_ON_ENTER_OR_LEAVE_ROOMS = env_bool("NOTIFY_USERS_ON_ENTER_OR_LEAVE_ROOMS", True)

# The HTTP API for bots and integrations (chatapp/settings_api.py).
from chatapp.settings_api import *  # noqa: E402, F403

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}},
}
