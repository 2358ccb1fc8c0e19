"""Django settings for Peyvand.

Everything that differs between machines comes from the environment: the embedded default is
SQLite under ``var/`` and the database task queue, so ``peyvand demo`` needs no servers.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PEYVAND_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """The key from the environment, else one generated once and kept in ``var/``."""
    from_env = os.environ.get("PEYVAND_SECRET_KEY")
    if from_env:
        return from_env
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _env_bool("PEYVAND_DEBUG", False)
ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("PEYVAND_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if host.strip()
]
CSRF_TRUSTED_ORIGINS = [
    origin.strip()
    for origin in os.environ.get("PEYVAND_CSRF_TRUSTED_ORIGINS", "").split(",")
    if origin.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "peyvand.common",
    "peyvand.accounts",
    "peyvand.contacts",
    "peyvand.timeline",
    "peyvand.sales",
    "peyvand.service",
    "peyvand.feedback",
    "peyvand.portal",
    "peyvand.integrations",
    "peyvand.knowledge",
    "peyvand.messaging",
    "peyvand.marketing",
    "peyvand.commerce",
    "peyvand.intelligence",
    "peyvand.api",
    "peyvand.web",
]
if "postgres" in os.environ.get("DATABASE_URL", ""):
    INSTALLED_APPS.append("django.contrib.postgres")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "peyvand.accounts.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "peyvand.urls"
WSGI_APPLICATION = "peyvand.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "peyvand.web.context_processors.navigation",
            ],
            "builtins": ["peyvand.common.templatetags.persian_format"],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'peyvand.sqlite3'}"),
        conn_max_age=int(os.environ.get("PEYVAND_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:dashboard"
LOGOUT_REDIRECT_URL = "login"

# Persian first: Farsi is the default language, English is a per-user choice.
LANGUAGE_CODE = "fa"
LANGUAGES = [("fa", _("Persian")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "peyvand" / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Tehran"
USE_TZ = True
FIRST_DAY_OF_WEEK = 6  # Saturday

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"

# Security: secure cookies whenever served over HTTPS (set PEYVAND_HTTPS=1 behind TLS).
_HTTPS = _env_bool("PEYVAND_HTTPS", False)
SESSION_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SECURE = _HTTPS
SECURE_SSL_REDIRECT = _HTTPS and _env_bool("PEYVAND_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 31536000 if _HTTPS else 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if _HTTPS else None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 12
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the cookie-less meta tag instead
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Login throttles and other counters live in the cache: set REDIS_URL when serving from more
# than one process so they are shared.
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
        if os.environ.get("REDIS_URL")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "peyvand"}
    )
}

# Background work: the database queue by default; RQ on Redis when PEYVAND_TASKS=rq.
if os.environ.get("PEYVAND_TASKS", "database") == "rq":
    INSTALLED_APPS += ["django_rq"]
    RQ_QUEUES = {"default": {"URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
elif os.environ.get("PEYVAND_TASKS") == "immediate":
    TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
else:
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

EMAIL_BACKEND = os.environ.get(
    "PEYVAND_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = os.environ.get("PEYVAND_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("PEYVAND_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("PEYVAND_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("PEYVAND_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("PEYVAND_EMAIL_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("PEYVAND_FROM_EMAIL", "Peyvand <no-reply@localhost>")

# Login throttling: attempts per window, per username and per client address.
PEYVAND_LOGIN_ATTEMPTS = int(os.environ.get("PEYVAND_LOGIN_ATTEMPTS", "5"))
PEYVAND_LOGIN_WINDOW_SECONDS = int(os.environ.get("PEYVAND_LOGIN_WINDOW_SECONDS", "300"))
# Per client address the limit is higher: an office behind one NAT address shares it.
PEYVAND_LOGIN_ATTEMPTS_PER_ADDRESS = int(os.environ.get("PEYVAND_LOGIN_ATTEMPTS_PER_ADDRESS", "20"))
# Public web forms: submissions allowed per client address per window.
PEYVAND_FORM_SUBMISSIONS_PER_ADDRESS = int(
    os.environ.get("PEYVAND_FORM_SUBMISSIONS_PER_ADDRESS", "10")
)
PEYVAND_FORM_WINDOW_SECONDS = int(os.environ.get("PEYVAND_FORM_WINDOW_SECONDS", "600"))
# Open leads with no activity for this many days get a follow-up task (0 turns it off).
PEYVAND_LEAD_FOLLOW_UP_DAYS = int(os.environ.get("PEYVAND_LEAD_FOLLOW_UP_DAYS", "3"))
# Value added tax on quotes, in percent (Iran's rate since 1403 is 10).
PEYVAND_VAT_PERCENT = os.environ.get("PEYVAND_VAT_PERCENT", "10")
# The seller's name printed on quotes.
PEYVAND_COMPANY_NAME = os.environ.get("PEYVAND_COMPANY_NAME", "پیوند")
# Money is stored in Rials; this is how it is shown by default ("toman" or "rial").
PEYVAND_MONEY_DISPLAY = os.environ.get("PEYVAND_MONEY_DISPLAY", "toman")
# Customer portal: a sign-in ends after this many seconds without a request; sign-in codes
# asked for per address and per client address, code checks that failed per address and per
# client address, in one window; messages and tickets a customer may post per hour.
PEYVAND_PORTAL_SESSION_SECONDS = int(os.environ.get("PEYVAND_PORTAL_SESSION_SECONDS", "7200"))
PEYVAND_PORTAL_WINDOW_SECONDS = int(os.environ.get("PEYVAND_PORTAL_WINDOW_SECONDS", "900"))
PEYVAND_PORTAL_CODES_PER_ADDRESS = int(os.environ.get("PEYVAND_PORTAL_CODES_PER_ADDRESS", "3"))
PEYVAND_PORTAL_CODES_PER_CLIENT = int(os.environ.get("PEYVAND_PORTAL_CODES_PER_CLIENT", "10"))
PEYVAND_PORTAL_VERIFY_PER_ADDRESS = int(os.environ.get("PEYVAND_PORTAL_VERIFY_PER_ADDRESS", "10"))
PEYVAND_PORTAL_VERIFY_PER_ADDRESS_PER_DAY = int(
    os.environ.get("PEYVAND_PORTAL_VERIFY_PER_ADDRESS_PER_DAY", "30")
)
PEYVAND_PORTAL_VERIFY_PER_CLIENT = int(os.environ.get("PEYVAND_PORTAL_VERIFY_PER_CLIENT", "30"))
PEYVAND_PORTAL_POSTS_PER_HOUR = int(os.environ.get("PEYVAND_PORTAL_POSTS_PER_HOUR", "30"))

# Exports larger than this many rows are built in the background with a download link.
PEYVAND_EXPORT_INLINE_LIMIT = int(os.environ.get("PEYVAND_EXPORT_INLINE_LIMIT", "10000"))

# Where customers reach this server: links in emails (satisfaction surveys) start with it.
PEYVAND_PUBLIC_URL = os.environ.get("PEYVAND_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
# Satisfaction surveys: days a link stays valid; requests with an unknown token allowed per
# client address per window (then 429).
PEYVAND_SURVEY_VALID_DAYS = int(os.environ.get("PEYVAND_SURVEY_VALID_DAYS", "30"))
PEYVAND_SURVEY_REQUESTS_PER_ADDRESS = int(
    os.environ.get("PEYVAND_SURVEY_REQUESTS_PER_ADDRESS", "60")
)
# Knowledge base: "was this helpful?" votes allowed per client address per window, and
# generated answers from an OpenAI-compatible API (off while PEYVAND_LLM_URL is empty).
PEYVAND_KB_VOTES_PER_ADDRESS = int(os.environ.get("PEYVAND_KB_VOTES_PER_ADDRESS", "30"))
PEYVAND_KB_VOTE_WINDOW_SECONDS = int(os.environ.get("PEYVAND_KB_VOTE_WINDOW_SECONDS", "3600"))
PEYVAND_LLM_URL = os.environ.get("PEYVAND_LLM_URL", "")
PEYVAND_LLM_MODEL = os.environ.get("PEYVAND_LLM_MODEL", "")
PEYVAND_LLM_API_KEY = os.environ.get("PEYVAND_LLM_API_KEY", "")
PEYVAND_LLM_TIMEOUT_SECONDS = float(os.environ.get("PEYVAND_LLM_TIMEOUT_SECONDS", "30"))
# Drafted answers an agent may ask for per window (each is a call to the paid API).
PEYVAND_KB_DRAFTS_PER_AGENT = int(os.environ.get("PEYVAND_KB_DRAFTS_PER_AGENT", "20"))
PEYVAND_KB_DRAFT_WINDOW_SECONDS = int(os.environ.get("PEYVAND_KB_DRAFT_WINDOW_SECONDS", "3600"))

# SMS: off while PEYVAND_SMS_GATEWAY is empty; else kavenegar, smsir or ghasedak. The base URL
# defaults to the provider's own (development and tests point it at the local fake gateway).
PEYVAND_SMS_GATEWAY = os.environ.get("PEYVAND_SMS_GATEWAY", "")
PEYVAND_SMS_API_KEY = os.environ.get("PEYVAND_SMS_API_KEY", "")
PEYVAND_SMS_LINE = os.environ.get("PEYVAND_SMS_LINE", "")
PEYVAND_SMS_BASE_URL = os.environ.get("PEYVAND_SMS_BASE_URL", "")
PEYVAND_SMS_TIMEOUT_SECONDS = float(os.environ.get("PEYVAND_SMS_TIMEOUT_SECONDS", "10"))

# Customer intelligence: RFM is scored over purchases of the last N days (recomputed daily).
PEYVAND_RFM_WINDOW_DAYS = int(os.environ.get("PEYVAND_RFM_WINDOW_DAYS", "365"))
# Lifetime value (BG/NBD + Gamma-Gamma, refitted daily): the horizon it is summed over and
# the yearly rate future Rials are discounted at (Iranian inflation makes 0 misleading).
PEYVAND_CLV_HORIZON_DAYS = int(os.environ.get("PEYVAND_CLV_HORIZON_DAYS", "365"))
PEYVAND_CLV_ANNUAL_DISCOUNT_RATE = float(os.environ.get("PEYVAND_CLV_ANNUAL_DISCOUNT_RATE", "0.3"))
# Churn (gradient boosting, retrained daily): a customer has churned when they make no
# purchase in the N days after a date.
PEYVAND_CHURN_HORIZON_DAYS = int(os.environ.get("PEYVAND_CHURN_HORIZON_DAYS", "90"))
# Sentiment of customer text: a dotted path to a class with analyze(texts) (see
# peyvand/intelligence/sentiment/base.py); the built-in Persian lexicon analyzer by default.
PEYVAND_SENTIMENT_ANALYZER = os.environ.get(
    "PEYVAND_SENTIMENT_ANALYZER",
    "peyvand.intelligence.sentiment.lexicon.LexiconSentimentAnalyzer",
)
# The .npz file of the linear analyzer (peyvand.intelligence.sentiment.linear), written by
# scripts/train_sentiment.py from a site's own labelled comments.
PEYVAND_SENTIMENT_MODEL = os.environ.get("PEYVAND_SENTIMENT_MODEL", "")

NINJA_PAGINATION_PER_PAGE = 50

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PEYVAND_LOG_LEVEL", "WARNING")},
}
