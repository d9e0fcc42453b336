"""Settings for the whole site, read from the environment (12-factor).

One file for every environment: development, tests and production differ only
by environment variables (see `.env.example`). With no `DATABASE_URL` and no
`REDIS_URL` the site runs on SQLite, the in-memory channel layer and eager
Celery; with them, on PostgreSQL, channels-redis and a Redis broker.
"""

import os
import tempfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")  # real environment variables still win

# pytest sets PYTEST_VERSION itself; tests may then run without a SECRET_KEY.
TESTING = "PYTEST_VERSION" in os.environ

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise ImproperlyConfigured(
            "SECRET_KEY must be set in the environment when DEBUG is off "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_NAME = env("SITE_NAME", default="LearnAI Docs")

INSTALLED_APPS = [
    "daphne",  # first: its runserver serves WebSockets and its checks expect it before staticfiles
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_prometheus",
    "accounts",
    "collaboration",
    "community",
    "contributions",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "config.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "config.middleware.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = None
ASGI_APPLICATION = "config.asgi.application"

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
                "config.context_processors.site",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
if USING_POSTGRES:
    # A connection pool per process (psycopg_pool). Under ASGI every request may run in
    # a thread of its own, so Django's persistent connections (CONN_MAX_AGE) would leave
    # one connection behind per thread; the pool hands them back instead.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=16),
        "timeout": env.int("DB_POOL_TIMEOUT", default=10),
    }
else:
    DATABASES["default"].setdefault("OPTIONS", {})
    # Wait for the write lock instead of failing at once when two threads write.
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
    # Take the write lock at BEGIN: a read-then-write transaction otherwise fails at
    # once with "database is locked" instead of waiting its turn.
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    # A file (not :memory:) keeps connection handling realistic for socket tests.
    # Named per process so that two test runs on one machine never share a file.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / f"test-db-{os.getpid()}.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Redis: cache, channel layer, Celery broker ------------------------------
REDIS_URL = env("REDIS_URL", default="")
# Prefix of the real-time bus's pub/sub channels and presence keys. Pub/sub ignores Redis's
# database number, so sites sharing one Redis need their own.
REALTIME_PREFIX = env("REALTIME_PREFIX", default="learnai")

# Parallel test workers (pytest-xdist) each have their own test database, so row ids repeat
# across them: each also gets its own Redis database and real-time prefix, so that two
# workers' "document 1" never share a channel, a Celery queue or a cache key. Processes the
# tests start are given the adjusted values (tests/servers.py) and run without pytest's
# variables, so this happens once.
TEST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "") if TESTING else ""
if TEST_WORKER.removeprefix("gw").isdigit():
    REALTIME_PREFIX = f"{REALTIME_PREFIX}-{TEST_WORKER}"
    if REDIS_URL:
        _parts = urlsplit(REDIS_URL)
        _base = int(_parts.path.strip("/") or 0)
        _database = (_base + 1 + int(TEST_WORKER.removeprefix("gw"))) % 16  # Redis has 16
        REDIS_URL = urlunsplit(_parts._replace(path=f"/{_database}"))
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="learnai"),
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "capacity": env.int("CHANNEL_LAYER_CAPACITY", default=1000),
                "expiry": 60,
                "prefix": env("CHANNEL_LAYER_PREFIX", default="asgi"),
            },
        }
    }
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
    CELERY_TASK_ALWAYS_EAGER = False
else:
    # Development and tests only: both are single-process.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="memory://")
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True

CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# How each kind of notification reaches people who did not choose (live, email, digest):
# what happens to them personally by email at once, what they watch in the daily digest.
NOTIFICATION_DEFAULT_DELIVERY = {
    "comment_reply": "email",
    "answer": "email",
    "answer_accepted": "email",
    "mention": "email",
    "review_requested": "email",
    "proposal_merged": "email",
    "changes_requested": "email",
    "meetup_soon": "email",
    "ama_soon": "email",
    "badge": "live",
    "watched_question": "digest",
    "watched_activity": "digest",
    "group_invitation": "email",
    "group_request": "email",
    "group_approved": "email",
}

# Every task module (the apps' tasks packages do not import their modules: see
# community/tasks/__init__.py). tests/test_workers.py checks that none is missing.
CELERY_IMPORTS = [
    "community.tasks.amas",
    "community.tasks.badges",
    "community.tasks.groups",
    "community.tasks.notifications",
    "contributions.tasks.checks",
    "contributions.tasks.git",
    "contributions.tasks.sandbox",
    "collaboration.semantic.tasks",  # semantic search (issue 13)
]
CELERY_BEAT_SCHEDULE: dict = {
    # Drops operations older than OPERATION_RETENTION (a no-op while it is 0).
    "prune-operations": {"task": "collaboration.prune_operations", "schedule": 3600},
    "prune-login-throttles": {"task": "accounts.prune_login_throttles", "schedule": 3600},
    # Recomputes the search vectors of edited documents (PostgreSQL), so searches, which
    # refresh first, rarely have much to do. A run not started within a minute is dropped.
    "refresh-search-index": {
        "task": "collaboration.refresh_search_index",
        "schedule": 60,
        "options": {"expires": 60},
    },
    # Hands the post-commit hook's receivers what a crash or an error left undelivered
    # (collaboration/revisions.py); the web processes do the same for open documents.
    "deliver-revisions": {
        "task": "collaboration.deliver_revisions",
        "schedule": 60,
        "options": {"expires": 60},
    },
    # Semantic search (issue 13): embeds edited documents whose task was lost, new and
    # edited questions and answers, and rows of a model no longer configured.
    "semantic-index-stale": {
        "task": "collaboration.semantic_index_stale",
        "schedule": 60,
        "options": {"expires": 60},
    },
    # Moves AMAs scheduled → live → ended at their times and sends "starting soon" (idempotent).
    "advance-amas": {"task": "community.advance_amas", "schedule": 30, "options": {"expires": 30}},
    # Sends each day's notification digests once their hour has come (one per user and day).
    "send-digests": {
        "task": "community.send_digests",
        "schedule": 3600,
        "options": {"expires": 3600},
    },
    # Emails "email at once" notifications whose task was lost (a worker died first).
    "send-pending-emails": {
        "task": "community.send_pending_emails",
        "schedule": 300,
        "options": {"expires": 300},
    },
    # Reminds members of meetups starting within MEETUP_REMINDER_MINUTES (once per meetup).
    "remind-meetups": {
        "task": "community.remind_meetups",
        "schedule": 60,
        "options": {"expires": 60},
    },
    # Commits the periods of live editing that closed into each document's Git repository.
    "git-sync": {
        "task": "contributions.git_sync_pending",
        "schedule": 60,
        "options": {"expires": 60},
    },
    # Re-runs every document's runnable code blocks weekly and records regressions.
    "checks-rerun-blocks": {
        "task": "contributions.rerun_code_blocks",
        "schedule": 7 * 86400,
        "options": {"expires": 3600},
    },
    # Finishes check runs whose sandbox answers never came (their blocks say "not run").
    "checks-finish-stalled": {
        "task": "contributions.finish_stalled_check_runs",
        "schedule": 300,
        "options": {"expires": 300},
    },
}

# --- Auth -----------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailOrUsernameBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Failed password checks allowed per account, and separately per client address, in
# the window before sign-in is locked out (accounts.lockout). The address limit is
# higher because many people share one address (a school, a NAT, a café); it still
# stops one address from guessing passwords across many accounts.
MAX_LOGIN_ATTEMPTS = env.int("MAX_LOGIN_ATTEMPTS", default=5)
MAX_LOGIN_ATTEMPTS_PER_ADDRESS = env.int("MAX_LOGIN_ATTEMPTS_PER_ADDRESS", default=50)
LOGIN_LOCKOUT_WINDOW_SECONDS = env.int("LOGIN_LOCKOUT_WINDOW_SECONDS", default=15 * 60)
LOGIN_LOCKOUT_COOLOFF_SECONDS = env.int("LOGIN_LOCKOUT_COOLOFF_SECONDS", default=15 * 60)
ACCESS_TOKEN_EXPIRE_MINUTES = env.int("ACCESS_TOKEN_EXPIRE_MINUTES", default=30)
REFRESH_TOKEN_EXPIRE_DAYS = env.int("REFRESH_TOKEN_EXPIRE_DAYS", default=7)

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=ACCESS_TOKEN_EXPIRE_MINUTES),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=REFRESH_TOKEN_EXPIRE_DAYS),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "SIGNING_KEY": env("JWT_SIGNING_KEY", default=SECRET_KEY),
    "ALGORITHM": "HS256",
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# --- REST API -------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.StampedJWTAuthentication",
        "accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    # JSON bodies, as the API documents; the one exception, file uploads, sets its own
    # multipart parser (collaboration/attachments/api.py). Daphne (Twisted) also parses
    # multipart POST bodies itself and answers a malformed one with a bare 400 first.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_ANON", default="300/min"),
        "user": env("THROTTLE_USER", default="1200/min"),
        "auth": env("THROTTLE_AUTH", default="30/min"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    # How many proxies in front of us append to X-Forwarded-For (0: trust none of it).
    "NUM_PROXIES": env.int("NUM_PROXIES", default=0),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": f"{SITE_NAME} API",
    "DESCRIPTION": (
        "REST API of the collaborative AI documentation platform. Authenticate with "
        "`Authorization: Bearer <JWT access token>` (from /api/auth/login), "
        "`Authorization: Api-Key <key>`, or the site's session cookie."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/",
    # Every operation lists the error statuses it can answer (401, 403, 404, 415, 429...).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.schema.add_error_responses",
    ],
    # Two different "role" choice sets (account roles, document member roles).
    "ENUM_NAME_OVERRIDES": {
        "RoleEnum": "accounts.roles.Role",
        "MemberRoleEnum": "collaboration.models.MemberRole",
        "ReputationReasonEnum": "community.models.ReputationReason",
        "FlagReasonEnum": "community.models.FlagReason",
        "CloseReasonEnum": "community.models.CloseReason",
        "FlagStatusEnum": "community.models.FlagStatus",
        "CommentStatusEnum": "community.models.CommentStatus",
        "CommentTypeEnum": "community.models.CommentType",
        "TargetTypeEnum": "community.models.TargetType",
        "GroupRoleEnum": "community.models.GroupRole",
        "JoinRequestKindEnum": "community.models.JoinRequestKind",
        "GroupActivityKindEnum": "community.models.GroupActivityKind",
        "NotificationKindEnum": "community.models.NotificationKind",
        "DeliveryEnum": "community.models.Delivery",
        "WatchLevelEnum": "community.models.WatchLevel",
        "WatchTargetEnum": "community.models.WatchTarget",
        "ProposalStateEnum": "contributions.models.ProposalState",
        "ProposalKindEnum": "contributions.models.ProposalKind",
        "ReviewVerdictEnum": "contributions.models.ReviewVerdict",
        "SuggestionStateEnum": "contributions.models.SuggestionState",
    },
}

# --- Internationalisation ----------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not (DEBUG or TESTING)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

# --- Security ---------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # the live editor reads it to call the API
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# Probes and the metrics scrape come over plain HTTP from inside the deployment.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
if env.bool("USE_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = env(
    "CONTENT_SECURITY_POLICY",
    default=(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: https:; font-src 'self' data:; connect-src 'self' ws: wss:; "
        "worker-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
        "object-src 'none'"
    ),
)
# Request size limits: bodies that are not file uploads, and the number of form fields.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
# Silence the HSTS/SSL checks only when the operator said TLS ends in front of us.
SILENCED_SYSTEM_CHECKS = env.list("SILENCED_SYSTEM_CHECKS", default=[])

# --- Real-time limits (see shared realtime-protocol.md "Limits") -------------
MAX_DOCUMENT_CHARS = env.int("MAX_DOCUMENT_CHARS", default=1_000_000)
WS_MAX_FRAME_BYTES = env.int("WS_MAX_FRAME_BYTES", default=512 * 1024)
WS_EDIT_RATE_PER_SECOND = env.int("WS_EDIT_RATE_PER_SECOND", default=100)
WS_CHAT_RATE_PER_SECOND = env.int("WS_CHAT_RATE_PER_SECOND", default=5)
SNAPSHOT_EVERY = env.int("SNAPSHOT_EVERY", default=100)
# A large document's row is not rewritten on every commit (collaboration/checkpoints.py):
# about this many characters of its text are written per commit on average, and readers
# apply at most length / this many operations to the stored checkpoint.
CONTENT_CHECKPOINT_CHARS = env.int("CONTENT_CHECKPOINT_CHARS", default=4096)
# History snapshots of large documents: about this many characters per commit on average.
SNAPSHOT_CHARS = env.int("SNAPSHOT_CHARS", default=1024)
OPERATION_RETENTION = env.int("OPERATION_RETENTION", default=0)  # 0 keeps every operation
PRESENCE_TTL_SECONDS = env.int("PRESENCE_TTL_SECONDS", default=30)
# On PostgreSQL, socket edits are stored in one round trip when the process holds the
# document's latest revision (collaboration/commit/fast.py); off: always under the row lock.
COMMIT_FAST_PATH = env.bool("COMMIT_FAST_PATH", default=True)
# How often each server process compares the access versions of what its sockets were
# allowed with the database, so a revoked right reaches an open socket even if the bus
# lost the announcement (collaboration/realtime/registry.py).
ACCESS_POLL_SECONDS = env.float("ACCESS_POLL_SECONDS", default=0.5)
# How long a socket process gathers committed revisions before handing them to the
# post-commit hook's receivers (comment anchors, suggestions, proposals, Git, search):
# one delivery per document for everything committed meanwhile.
HOOK_DELAY_SECONDS = env.float("HOOK_DELAY_SECONDS", default=0.5)
# Per-edit stage timings (frame -> hub -> committer -> ack written), event-loop lag and bus
# transit as Prometheus histograms, for bench/latency_breakdown.py. Off in production.
REALTIME_TIMINGS = env.bool("REALTIME_TIMINGS", default=False)
# Frames larger than this are sent in `frame_part`s to clients that accept them
# (docs/realtime-protocol.md); 0: never split.
WS_MAX_SEND_BYTES = env.int("WS_MAX_SEND_BYTES", default=1024 * 1024)
# Extra receivers of the post-commit hook, by dotted path (collaboration/revisions.py).
REVISION_RECEIVERS = env.list("REVISION_RECEIVERS", default=[])

# --- Community: reputation and privileges (Stack Overflow's rules as the reference) ------
# Reputation a new account starts with; User.reputation = this + the sum of its ledger.
REPUTATION_START = env.int("REPUTATION_START", default=1)
REPUTATION_QUESTION_UPVOTED = env.int("REPUTATION_QUESTION_UPVOTED", default=10)
REPUTATION_ANSWER_UPVOTED = env.int("REPUTATION_ANSWER_UPVOTED", default=10)
REPUTATION_DOWNVOTED = env.int("REPUTATION_DOWNVOTED", default=-2)
REPUTATION_DOWNVOTE_CAST = env.int("REPUTATION_DOWNVOTE_CAST", default=-1)
REPUTATION_ANSWER_ACCEPTED = env.int("REPUTATION_ANSWER_ACCEPTED", default=15)
REPUTATION_ACCEPTED_ANSWER = env.int("REPUTATION_ACCEPTED_ANSWER", default=2)
REPUTATION_DAILY_VOTE_CAP = env.int("REPUTATION_DAILY_VOTE_CAP", default=200)
# Contributions: a merged proposal (its author; each co-author gets the co-author value)
# and a review its proposal's author marked helpful.
REPUTATION_PROPOSAL_MERGED = env.int("REPUTATION_PROPOSAL_MERGED", default=20)
REPUTATION_PROPOSAL_CO_AUTHOR = env.int("REPUTATION_PROPOSAL_CO_AUTHOR", default=10)
REPUTATION_REVIEW_HELPFUL = env.int("REPUTATION_REVIEW_HELPFUL", default=5)
# The reputation each right needs; moderators and experts have them regardless.
PRIVILEGE_DOWNVOTE = env.int("PRIVILEGE_DOWNVOTE", default=50)
PRIVILEGE_EDIT_OTHERS = env.int("PRIVILEGE_EDIT_OTHERS", default=1000)
PRIVILEGE_CLOSE = env.int("PRIVILEGE_CLOSE", default=2000)
# Spam flags that hide a post until a moderator decides.
SPAM_FLAGS_TO_HIDE = env.int("SPAM_FLAGS_TO_HIDE", default=3)
# Minutes before an AMA starts that its followers are told "starting soon" (once).
AMA_REMINDER_MINUTES = env.int("AMA_REMINDER_MINUTES", default=30)
# Minutes before a study group's meetup starts that its members are reminded (once).
MEETUP_REMINDER_MINUTES = env.int("MEETUP_REMINDER_MINUTES", default=60)

# --- Community: notifications and email ---------------------------------------------------
# Absolute address of the site, for links in emails (no trailing slash).
SITE_URL = env("SITE_URL", default="http://localhost:8000").rstrip("/")
# Outgoing mail: SMTP when EMAIL_HOST is set (and DEBUG is off), else printed to the console.
EMAIL_HOST = env("EMAIL_HOST", default="")
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG or not EMAIL_HOST
    else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default=f"{SITE_NAME} <noreply@localhost>")
# UTC hour (0-23) from which each day's digest of notifications is sent.
NOTIFICATION_DIGEST_HOUR = env.int("NOTIFICATION_DIGEST_HOUR", default=7)
# Seconds before the Redis broker hands a task taken by a worker that died (killed, lost)
# to another worker (with CELERY_TASK_ACKS_LATE): longer than any task runs.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
}

# --- Logging ----------------------------------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FORMAT = env("LOG_FORMAT", default="text" if DEBUG or TESTING else "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.logging.RequestIdFilter"}},
    "formatters": {
        "text": {
            "format": "%(asctime)s %(levelname)-7s [%(request_id)s] %(name)s: %(message)s",
        },
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
    },
}

PROMETHEUS_EXPORT_MIGRATIONS = False
CSRF_FAILURE_VIEW = "config.views.csrf_failure"

# --- Git history of documents (contributions/git) ----------------------------
# Where each document's bare Git repository lives (one directory per document id).
# Under pytest it defaults to a fresh temporary directory, exported so the servers the tests
# start use it too: test documents never write into a developer's repositories.
if TESTING and not os.environ.get("GIT_ROOT"):
    os.environ["GIT_ROOT"] = tempfile.mkdtemp(prefix="learnai-test-git-")
GIT_ROOT = Path(env("GIT_ROOT", default=str(BASE_DIR / "var" / "git")))
# Minutes without edits that close a period of live editing (one Git commit per period).
GIT_PERIOD_MINUTES = env.int("GIT_PERIOD_MINUTES", default=10)
# Committer of every commit, and the domain of the authors' private addresses
# (<username>@GIT_EMAIL_DOMAIN: clones never show people's real email addresses).
GIT_COMMITTER = env("GIT_COMMITTER", default="LearnAI Docs <git@learnai.invalid>")
GIT_EMAIL_DOMAIN = env("GIT_EMAIL_DOMAIN", default="users.noreply.learnai.invalid")
# Imports: largest upload (bytes, also the cap on a zip's uncompressed size), most entries
# in a zip, most Markdown files (documents) and most commits per file read from one import.
GIT_IMPORT_MAX_BYTES = env.int("GIT_IMPORT_MAX_BYTES", default=50 * 1024 * 1024)
GIT_IMPORT_MAX_ENTRIES = env.int("GIT_IMPORT_MAX_ENTRIES", default=5000)
GIT_IMPORT_MAX_DOCUMENTS = env.int("GIT_IMPORT_MAX_DOCUMENTS", default=50)
GIT_IMPORT_MAX_COMMITS = env.int("GIT_IMPORT_MAX_COMMITS", default=1000)

# --- Code sandbox (contributions/sandbox): runnable code blocks ---------------
# auto (bubblewrap, else rlimits, else nothing runs), bwrap, rlimits, or off.
SANDBOX_RUNNER = env("SANDBOX_RUNNER", default="auto")
# The unprivileged user the code runs as when the sandbox worker runs as root.
SANDBOX_USER = env("SANDBOX_USER", default="nobody")
# Wall-clock seconds a run may take (its whole process group is killed then), processor
# seconds it may use and megabytes of memory it may map.
SANDBOX_WALL_SECONDS = env.float("SANDBOX_WALL_SECONDS", default=10)
SANDBOX_CPU_SECONDS = env.int("SANDBOX_CPU_SECONDS", default=5)
SANDBOX_MEMORY_MB = env.int("SANDBOX_MEMORY_MB", default=512)
# The interpreter that runs the code: the system's, so the site's packages stay invisible.
SANDBOX_PYTHON = env("SANDBOX_PYTHON", default="/usr/bin/python3")
# The Celery queue only the sandbox worker consumes (Procfile `sandbox`).
SANDBOX_QUEUE = env("SANDBOX_QUEUE", default="sandbox")
CELERY_TASK_ROUTES = {"contributions.run_code": {"queue": SANDBOX_QUEUE}}

# --- Automated checks and the quality score (contributions/checks) -----------
# Seconds between two check runs of one document: a request within them joins the run
# already queued (which checks the newest revision when it starts).
CHECKS_DEBOUNCE_SECONDS = env.int("CHECKS_DEBOUNCE_SECONDS", default=30)

# Writing assistance (contributions/assist), off by default: "suggest an improvement" and
# "explain this" in the editor, streamed from any OpenAI-compatible endpoint. Both settings
# below must be given for the buttons and the endpoint to exist.
ENABLE_CONTENT_SUGGESTIONS = env.bool("ENABLE_CONTENT_SUGGESTIONS", default=False)
OPENAI_API_KEY = env("OPENAI_API_KEY", default="")
OPENAI_BASE_URL = env("OPENAI_BASE_URL", default="https://api.openai.com/v1")
OPENAI_MODEL = env("OPENAI_MODEL", default="gpt-4o-mini")
ASSIST_RATE_PER_HOUR = env.int("ASSIST_RATE_PER_HOUR", default=30)  # per person
ASSIST_MAX_CHARS = env.int("ASSIST_MAX_CHARS", default=4000)  # of the selected passage
ASSIST_MAX_TOKENS = env.int("ASSIST_MAX_TOKENS", default=800)
ASSIST_TIMEOUT_SECONDS = env.float("ASSIST_TIMEOUT_SECONDS", default=30.0)
# Readability warns below this Flesch reading ease (0-100) or above this school grade.
CHECKS_READABILITY_MIN_EASE = env.float("CHECKS_READABILITY_MIN_EASE", default=30)
CHECKS_READABILITY_MAX_GRADE = env.float("CHECKS_READABILITY_MAX_GRADE", default=14)
# Node.js, which parses math with KaTeX (empty, or Node/KaTeX missing: "not run").
CHECKS_NODE = env("CHECKS_NODE", default="node")
# Minutes a run waits for the sandbox worker before its unanswered blocks say "not run".
CHECKS_CODE_WAIT_MINUTES = env.int("CHECKS_CODE_WAIT_MINUTES", default=15)

# --- File and image uploads (collaboration/attachments) ---------------------------------
# Files attached to documents live in the "attachments" storage: a folder under MEDIA_ROOT
# by default, any S3-compatible bucket when ATTACHMENTS_S3_BUCKET is set (django-storages;
# `pip install boto3` too). They are never served from a public URL: every download goes
# through a view that checks the document's read permission. Under pytest MEDIA_ROOT
# defaults to a fresh temporary directory, so tests never write into a developer's files.
if TESTING and not os.environ.get("MEDIA_ROOT"):
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="learnai-test-media-")
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
ATTACHMENTS_S3_BUCKET = env("ATTACHMENTS_S3_BUCKET", default="")
if ATTACHMENTS_S3_BUCKET:
    STORAGES["attachments"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": ATTACHMENTS_S3_BUCKET,
            # Empty means the library's default: AWS itself, the AWS_* variables or the
            # machine's role. Set the endpoint for MinIO, Ceph, R2, Scaleway...
            "endpoint_url": env("ATTACHMENTS_S3_ENDPOINT_URL", default="") or None,
            "region_name": env("ATTACHMENTS_S3_REGION", default="") or None,
            "access_key": env("ATTACHMENTS_S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env("ATTACHMENTS_S3_SECRET_ACCESS_KEY", default="") or None,
            "location": env("ATTACHMENTS_S3_PREFIX", default="attachments"),
            "default_acl": "private",
            "file_overwrite": False,
        },
    }
else:
    STORAGES["attachments"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": MEDIA_ROOT / "attachments",
            "file_permissions_mode": 0o640,
            "directory_permissions_mode": 0o750,
        },
    }
# Largest file accepted (bytes), and how much one person may store in all (bytes).
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_QUOTA_BYTES = env.int("ATTACHMENT_QUOTA_BYTES", default=200 * 1024 * 1024)
# Largest image accepted, in pixels (all frames of an animation together): the guard
# against decompression bombs, small files that decode to gigabytes.
ATTACHMENT_MAX_PIXELS = env.int("ATTACHMENT_MAX_PIXELS", default=40_000_000)
# Longest side of the thumbnails shown in the attachments list.
ATTACHMENT_THUMBNAIL_PIXELS = env.int("ATTACHMENT_THUMBNAIL_PIXELS", default=320)

# --- Operations (issue 14) ----------------------------------------------------------------
# Graceful drains, the PostgreSQL read replica, Kubernetes and error tracking
# (docs/deployment.md, "Kubernetes" and "Scaling").
from config import sentry as sentry_setup  # noqa: E402  (sentry_sdk only, no Django)

# Seconds a web process takes at most, after SIGTERM, to commit the edits it received,
# close its sockets with 1012 "service restart" and finish requests under way
# (config/sigterm.py). Keep it below the grace period of whatever stops the process
# (Kubernetes terminationGracePeriodSeconds, compose stop_grace_period, systemd).
DRAIN_SECONDS = env.float("DRAIN_SECONDS", default=20)

# The pod's own address (Kubernetes downward API): probes and Prometheus scrapes name it as
# their Host, so it is allowed.
POD_IP = env("POD_IP", default="")
if POD_IP:
    ALLOWED_HOSTS = [*ALLOWED_HOSTS, POD_IP]

# A PostgreSQL read replica (streaming replication), optional. Page and API reads that
# tolerate a little lag go there; writes, the live edit path, sign-in, a browser's reads in
# the REPLICA_PIN_SECONDS after it wrote, and everything outside HTTP requests use the
# primary (config/db_router.py).
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="")
REPLICA_PIN_SECONDS = env.int("REPLICA_PIN_SECONDS", default=10)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["CONN_MAX_AGE"] = 0
    DATABASES["replica"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DB_POOL_MIN_SIZE", default=2),
        "max_size": env.int("DB_POOL_MAX_SIZE", default=16),
        "timeout": env.int("DB_POOL_TIMEOUT", default=10),
    }
    # A test run reads its own test database through the replica alias.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["config.db_router.ReplicaRouter"]
    MIDDLEWARE.insert(
        MIDDLEWARE.index("config.middleware.RequestIdMiddleware") + 1,
        "config.db_router.ReplicaReadsMiddleware",
    )

# Sentry error tracking, off without a DSN: web, Celery and the socket consumer, personal
# data scrubbed (config/sentry.py). Traces are off unless a sample rate is given.
SENTRY_DSN = env("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env("SENTRY_ENVIRONMENT", default="production")
SENTRY_RELEASE = env("SENTRY_RELEASE", default="")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if SENTRY_DSN:
    sentry_setup.sentry_init(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        release=SENTRY_RELEASE,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )
# --- end of Operations (issue 14) ----------------------------------------------------------

# --- Semantic search (collaboration/semantic, issue 13) ------------------------------
# The embedder: a dotted path to a class taking no arguments with `name`, `dimension` and
# `embed(texts)`. The default runs on this machine from the wordllama wheel's own weights
# (256 dimensions, no download ever).
EMBEDDINGS_BACKEND = env(
    "EMBEDDINGS_BACKEND", default="collaboration.semantic.embedders.WordLlamaEmbedder"
)
# Seconds a document's edits settle before its sections are embedded again (one task per
# document in that window).
SEMANTIC_INDEX_DEBOUNCE_SECONDS = env.int("SEMANTIC_INDEX_DEBOUNCE_SECONDS", default=10)
# --- end of Semantic search (issue 13) -------------------------------------------------
# Uploads through the API, per person (each image is decoded and encoded again).
REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["attachments"] = env(
    "THROTTLE_ATTACHMENTS", default="30/min"
)
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]["AttachmentKindEnum"] = (
    "collaboration.attachments.models.AttachmentKind"
)
