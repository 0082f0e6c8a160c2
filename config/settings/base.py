"""Settings shared by every environment. Everything secret or site-specific comes from the environment."""

import datetime as dt
import ipaddress
import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_bool(name: str, default: bool) -> bool:
    """A yes/no setting; anything but 1/0, true/false, yes/no, on/off is refused (a typo is not False)."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    word = value.strip().lower()
    if word not in _TRUE | _FALSE:
        raise ImproperlyConfigured(f"{name}={value!r}: use 1/0, true/false, yes/no or on/off")
    return word in _TRUE


def env_int(name: str, default: int, *, minimum: int = 0) -> int:
    """A whole-number setting; a value that is not one (or below `minimum`) is refused by name."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return default
    try:
        number = int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: a whole number is required") from None
    if number < minimum:
        raise ImproperlyConfigured(f"{name}={value!r}: at least {minimum}")
    return number


def env_networks(name: str) -> tuple:
    """Comma-separated addresses or networks (10.0.0.5, 10.1.0.0/16, ::1); a bad one is refused by name."""
    networks = []
    for item in os.environ.get(name, "").split(","):
        if item.strip():
            try:
                networks.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                raise ImproperlyConfigured(f"{name}: {item.strip()!r} is no IP address or network") from None
    return tuple(networks)


# Off unless a settings module turns it on: `development` (the default of manage.py, Celery, wsgi and
# asgi, for `make run`) does; production is chosen explicitly with DJANGO_SETTINGS_MODULE.
DEBUG = env_bool("DJANGO_DEBUG", False)

# Without a key in the environment, a random key for this process (sessions end with it) — never a key
# written in the repository; config.settings.production refuses to start without one.
SECRET_KEY = os.environ.get("SECRET_KEY") or os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50)

ALLOWED_HOSTS = [h for h in os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "config.apps.DutyChainAdminConfig",  # django.contrib.admin with 责任体系 first
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "simple_history",
    "import_export",
    "django_celery_beat",
    "config.axes_app.AxesConfig",  # django-axes, named in Chinese
    "csp",
    "responsibility",
    "accountability",
    "accounts",
]

MIDDLEWARE = [
    # First: the request id and the one JSON log line per request (config/observability.py).
    "config.observability.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "responsibility.middleware.RequestGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # No LocaleMiddleware: the product speaks Chinese whatever the browser asks for (admin included).
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "responsibility.middleware.NoStoreForSignedInMiddleware",
    "csp.middleware.CSPMiddleware",
    # Turns a login refused by the rate limits (responsibility.auth) into a 429.
    "responsibility.middleware.LoginThrottleMiddleware",
    # Last, as django-axes asks: it turns a lockout flagged during authentication into the 429 page.
    "axes.middleware.AxesMiddleware",
    # Innermost: a view that fails on an unreachable database answers the 503 page, not a 500.
    "config.observability.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "accountability.context_processors.notification_badge",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Writers queue for the lock instead of failing (threads, the Celery worker and the web server share a file).
    DATABASES["default"].setdefault("OPTIONS", {}).update({"timeout": 20, "transaction_mode": "IMMEDIATE"})
# A streaming replica for the reads of read-only requests (config/replica.py, docs/operations.md "Scaling").
# In tests the alias mirrors the default database unless a test starts a real replica.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 0)
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["config.replica.ReplicaRouter"]
    # Before anything reads: the session, the user, the view.
    MIDDLEWARE.insert(1, "config.replica.ReplicaReadsMiddleware")
# After a write, the client's reads go to the primary for this long (read-your-writes past replication lag).
DATABASE_REPLICA_STICKY_SECONDS = env_int("DATABASE_REPLICA_STICKY_SECONDS", 15, minimum=1)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "responsibility.auth.LoginThrottleBackend",  # first: a locked-out login never reaches the password check
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
LOCALE_PATHS = [BASE_DIR / "locale"]  # the admin strings Django's own Chinese catalogue lacks
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "static"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))

LOGIN_URL = "/accounts/login/"

# Login throttling (django-axes, README): after AXES_FAILURE_LIMIT wrong passwords for one username from
# one address, that pair is locked for AXES_COOLOFF_TIME; attempts and lockouts are kept in the database.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env_int("DUTYCHAIN_LOGIN_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("DUTYCHAIN_LOGIN_COOLOFF_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "responsibility.auth.lockout_response"
# The client's address for the lockout and every throttle: REMOTE_ADDR, or behind trusted reverse
# proxies the address they saw (responsibility.auth.client_ip; X-Forwarded-For is believed only from them).
AXES_CLIENT_IP_CALLABLE = "responsibility.auth.client_ip"
TRUSTED_PROXIES = env_networks("DJANGO_TRUSTED_PROXIES")
if os.environ.get("DJANGO_PROXY_COUNT", "").strip():
    # A count trusted whatever stood in front; addresses say which hops may be believed.
    raise ImproperlyConfigured(
        "DJANGO_PROXY_COUNT is replaced by DJANGO_TRUSTED_PROXIES (the reverse proxies' addresses or networks)"
    )
LOGIN_REDIRECT_URL = "/"

# Content-Security-Policy (django-csp): scripts only from this site (no inline script anywhere); inline
# style attributes are allowed (charts and a few layouts use them); nothing may frame the pages.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Product rules that a locality may tune (DOMAIN.md says these are settings).
DUTYCHAIN = {
    # DESIGN §3.4: inspections within this many days before the event count (谁检查谁负责).
    "INSPECTION_WINDOW_DAYS": env_int("DUTYCHAIN_INSPECTION_WINDOW_DAYS", 365, minimum=1),
    # 493号令 Art 13: 补报 within 7 days (not 30) for road traffic and fire; sector codes, ancestors count.
    "SHORT_REPORT_WINDOW_SECTORS": ["road", "road_traffic", "traffic", "fire"],
    # Request guards: an API JSON body's size and nesting.
    "MAX_JSON_BYTES": 1_000_000,
    "MAX_JSON_DEPTH": 32,
    # Evidence uploads (整改证明材料): size and the file types a photo, scan or report comes in.
    "EVIDENCE_MAX_BYTES": 20 * 1024 * 1024,
    # Production puts /api/schema/ and /api/docs/ behind login.
    "API_DOCS_LOGIN_REQUIRED": False,
    # Each checked by its content: signature and structure (responsibility/file_content.py).
    "EVIDENCE_EXTENSIONS": ["jpg", "jpeg", "png", "pdf", "docx", "xlsx"],
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # API keys (accounts.ApiKey, hashed): `Authorization: Token <key>`; knox's class, made safe
        # against a malformed header (accounts/authentication.py).
        "accounts.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "responsibility.api.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["responsibility.filters.FilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "responsibility.api.pagination.IdsFirstPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "responsibility.api.schema.DutyChainSchema",
    "EXCEPTION_HANDLER": "responsibility.api.exceptions.exception_handler",
    # Counted per client address as the login lockout counts it (responsibility/throttles.py).
    "DEFAULT_THROTTLE_CLASSES": [
        "responsibility.throttles.AnonThrottle",
        "responsibility.throttles.UserThrottle",
    ],
    # Any stock DRF throttle would believe X-Forwarded-For from anyone; 0 makes it count REMOTE_ADDR.
    "NUM_PROXIES": 0,
    "DEFAULT_THROTTLE_RATES": {
        "anon": "60/minute",
        "user": "2000/minute",
        "api_token": "10/minute",
        # Every login attempt (login page, admin, key endpoint), right or wrong: per address, per account.
        # The account's limit is above the lockout's (AXES_FAILURE_LIMIT): one address guessing is locked
        # out by axes before it can hold the account up for colleagues elsewhere.
        "login_address": "30/minute",
        "login_account": "20/minute",
    },
}

# API keys: several per user, only their hash stored, valid until revoked.
KNOX_TOKEN_MODEL = "accounts.ApiKey"
# knox's own migrations create its default token table even when the model is swapped; that stray
# table (with a key to auth_user) breaks PostgreSQL's TRUNCATE in flush. Our model has its migration.
MIGRATION_MODULES = {"knox": None}
REST_KNOX = {"TOKEN_TTL": None, "AUTH_HEADER_PREFIX": "Token"}

SPECTACULAR_SETTINGS = {
    "TITLE": "安全生产责任链 API",
    "DESCRIPTION": (
        "Duty chains, traces, 一案双查 cases and reminders.\n\n"
        '**认证**：脚本用 `POST /api/v1/auth/token/`（JSON `{"username", "password"}`）换取 API 密钥，'
        "之后每个请求带 `Authorization: Token <密钥>`；网页“API 密钥”页（/account/api-keys/）可查看、命名和撤销。"
        "浏览器中已登录的会话也可直接调用（写操作需 CSRF 令牌）。"
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Read and write shapes differ (codes in, codes and names out; multipart evidence uploads).
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "DutyTypeEnum": "responsibility.models.DutyType",
        "RegionLevelEnum": "responsibility.models.RegionLevel",
        "UserRoleEnum": "responsibility.api.serializers.USER_ROLES",
        "PartyRoleEnum": "accountability.api.serializers.common.PARTY_ROLES",
        "HazardLevelEnum": "accountability.models.HazardLevel",
        "HazardStateEnum": "accountability.models.HazardState",
        "CaseStateEnum": "accountability.models.CaseState",
        "GradeEnum": "accountability.grading.Grade",
        "InvestigatorRoleEnum": "accountability.models.InvestigatorRole",
        "CadreAuthorityEnum": "responsibility.models.CadreAuthority",
        "CaseNatureEnum": "accountability.models.CaseNature",
        "FindingCategoryEnum": "accountability.models.Category",
        "AlertKindEnum": "accountability.models.AlertKind",
        "AlertStateEnum": "accountability.models.AlertState",
        "GovFindingSourceEnum": "accountability.models.FindingSource",
        "GovFindingStateEnum": "accountability.models.FindingState",
        "HazardSourceEnum": "accountability.models.HazardSource",
    },
}

# Celery: Redis when REDIS_URL is set; otherwise tasks run eagerly in-process (the embedded default).
# The latest a hazard's 整改期限, a 督办期限 or an extension may run, in days from the day it runs from
# (accountability/hazard_dates.py).
HAZARD_DEADLINE_MAX_DAYS = 365

REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A message whose worker died before acknowledging it is redelivered by Redis after this many seconds
# (the reminder tasks are idempotent, and the next sweep re-enqueues anything still undelivered).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "dutychain@localhost")

GUARDIAN_RAISE_403 = True

# django-import-export's own guard against formulas in downloads; our resources also escape every
# formula-like cell (responsibility/spreadsheets.py), which this option alone does not (it strips one "=").
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True
IMPORT_EXPORT_ESCAPE_ILLEGAL_CHARS_ON_EXPORT = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.observability.RequestIdFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}
