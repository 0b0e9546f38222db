"""Typed, frozen configuration read from the environment with safe defaults."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _colour(value: str | None, default: str) -> str:
    """A #rgb or #rrggbb colour; anything else falls back to the default (it ends up inside CSS)."""
    if value and re.fullmatch(r"#[0-9A-Fa-f]{3}([0-9A-Fa-f]{3})?", value.strip()):
        return value.strip()
    return default


def _rate_limit(value: str | None, default: str) -> str:
    """A `limits` rate such as "600 per minute;20000 per hour"; anything unreadable falls back to the default."""
    from limits import parse_many

    try:
        return value.strip() if value and value.strip() and parse_many(value.strip()) else default
    except ValueError:
        return default


def _whole(value: str | None, default: int) -> int:
    try:
        return max(0, int(value)) if value not in (None, "") else default
    except ValueError:
        return default


def _secret_key(instance_dir: Path) -> str:
    """Return the key kept in instance/secret_key, creating it on first use (never committed)."""
    path = instance_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


@dataclass(frozen=True)
class Config:
    database_url: str
    secret_key: str
    upload_dir: Path
    instance_dir: Path = DEFAULT_INSTANCE
    session_cookie_secure: bool = False
    testing: bool = False
    csrf_enabled: bool = True
    # Rate-limit counters: "" keeps them in the app's database (shared by every worker); or a `limits` storage
    # URL such as redis://127.0.0.1:6379.
    ratelimit_storage_url: str = ""
    # Sign-in throttling: failures allowed per account from one address, and per address, in the window.
    login_attempts_per_account: int = 5
    login_attempts_per_address: int = 20
    login_lockout_seconds: int = 900
    # Requests one REST API token may make (a `limits` rate; several separated by ";").
    api_rate_limit: str = "600 per minute;20000 per hour"
    default_locale: str = "en"
    default_timezone: str = "UTC"
    brand_name: str = "Storecheck"
    # PDF scorecards: header colour and an optional logo file (PNG, JPEG or SVG).
    brand_accent: str = "#0b6e69"
    brand_logo: Path | None = None
    # Processes rendering a batch of scorecards (0: one per core).
    pdf_workers: int = 0
    # Task queue for batch PDFs (RQ); without it batches run in the web process.
    redis_url: str | None = None
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto headers are believed (0: none).
    trusted_proxies: int = 0
    # Webhooks: host names whose endpoints may resolve to loopback, private or link-local addresses (an intranet
    # receiver); the seconds a delivery may take; the failed attempts in a row that turn an endpoint off.
    webhook_allowed_hosts: tuple[str, ...] = ()
    webhook_timeout_seconds: float = 5.0
    webhook_disable_after: int = 15
    # How passwords are hashed (werkzeug's method names); tests choose a cheap one.
    password_hash_method: str = "scrypt"
    # Outgoing e-mail: smtp://, smtps:// or smtp+starttls:// (user:password@host:port); none turns e-mail off
    # (messages are still written to the outbox, to be seen in the settings).
    smtp_url: str | None = None
    mail_from: str = "Storecheck <storecheck@localhost>"
    # The address people reach the app at, for links in e-mails and the API links in webhook payloads (no request
    # to take it from).
    public_url: str = "http://127.0.0.1:5000"
    # How the outbox is sent after a commit without REDIS_URL: "thread" (a sender thread in this process) or
    # "manual" (only `flask mail send` and the tests send it).
    mail_delivery: str = "thread"
    # How long a password reset link works.
    password_reset_minutes: int = 60
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The flask-style key in `extra` is still honoured, and becomes the typed field.
        if "PASSWORD_HASH_METHOD" in self.extra:
            object.__setattr__(self, "password_hash_method", str(self.extra["PASSWORD_HASH_METHOD"]))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Config":
        env = os.environ if environ is None else environ
        instance_dir = Path(env.get("INSTANCE_DIR") or DEFAULT_INSTANCE)
        database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_dir / 'storecheck.db'}"
        return cls(
            database_url=normalise_database_url(database_url),
            secret_key=env.get("SECRET_KEY") or _secret_key(instance_dir),
            upload_dir=Path(env.get("UPLOAD_DIR") or instance_dir / "uploads"),
            instance_dir=instance_dir,
            session_cookie_secure=_bool(env.get("SESSION_COOKIE_SECURE"), False),
            ratelimit_storage_url=env.get("RATELIMIT_STORAGE_URL") or "",
            default_locale=env.get("DEFAULT_LOCALE") or "en",
            default_timezone=env.get("DEFAULT_TIMEZONE") or "UTC",
            brand_name=env.get("BRAND_NAME") or "Storecheck",
            brand_accent=_colour(env.get("BRAND_ACCENT"), "#0b6e69"),
            brand_logo=Path(env["BRAND_LOGO"]) if env.get("BRAND_LOGO") else None,
            pdf_workers=_whole(env.get("PDF_WORKERS"), 0),
            redis_url=env.get("REDIS_URL") or None,
            trusted_proxies=_whole(env.get("TRUSTED_PROXIES"), 0),
            webhook_allowed_hosts=tuple(host.strip().lower() for host in (env.get("WEBHOOK_ALLOWED_HOSTS") or "")
                                        .split(",") if host.strip()),
            webhook_disable_after=_whole(env.get("WEBHOOK_DISABLE_AFTER"), 15) or 15,
            smtp_url=env.get("SMTP_URL") or None,
            mail_from=env.get("MAIL_FROM") or "Storecheck <storecheck@localhost>",
            public_url=(env.get("PUBLIC_URL") or "http://127.0.0.1:5000").rstrip("/"),
            mail_delivery="manual" if env.get("MAIL_DELIVERY") == "manual" else "thread",
            password_reset_minutes=_whole(env.get("PASSWORD_RESET_MINUTES"), 60) or 60,
            api_rate_limit=_rate_limit(env.get("API_RATE_LIMIT"), cls.api_rate_limit),
        )

    def with_overrides(self, **changes: Any) -> "Config":
        return replace(self, **changes)

    def flask_settings(self) -> dict[str, Any]:
        """Translate to the keys Flask and its extensions read."""
        engine_options: dict[str, Any] = {"pool_pre_ping": True}
        return {
            "SECRET_KEY": self.secret_key,
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SQLALCHEMY_ENGINE_OPTIONS": engine_options,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": self.session_cookie_secure,
            "REMEMBER_COOKIE_HTTPONLY": True,
            "REMEMBER_COOKIE_SAMESITE": "Lax",
            "REMEMBER_COOKIE_SECURE": self.session_cookie_secure,
            "WTF_CSRF_ENABLED": self.csrf_enabled,
            "WTF_CSRF_TIME_LIMIT": None,
            "TESTING": self.testing,
            "UPLOAD_DIR": str(self.upload_dir),
            "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
            **self._ratelimit_settings(),
            "RATELIMIT_HEADERS_ENABLED": False,
            "BABEL_DEFAULT_LOCALE": self.default_locale,
            "BABEL_DEFAULT_TIMEZONE": self.default_timezone,
            "BABEL_TRANSLATION_DIRECTORIES": str(Path(__file__).parent / "translations"),
            "PASSWORD_HASH_METHOD": self.password_hash_method,
            "API_RATE_LIMIT": self.api_rate_limit,
            "STORECHECK_CONFIG": self,
            **dict(self.extra),
        }


    def _ratelimit_settings(self) -> dict[str, Any]:
        if self.ratelimit_storage_url:
            return {"RATELIMIT_STORAGE_URI": self.ratelimit_storage_url}
        # audit_app.ratelimit_storage.DatabaseStorage
        return {"RATELIMIT_STORAGE_URI": "storecheck-db://", "RATELIMIT_STRATEGY": "fixed-window",
                "RATELIMIT_STORAGE_OPTIONS": {"database_url": self.database_url,
                                              "instance_dir": str(self.instance_dir)}}


def normalise_database_url(url: str) -> str:
    """Use the psycopg 3 driver for plain postgres URLs (Heroku-style `postgres://` too)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url
