from __future__ import annotations

import stat
from pathlib import Path

from audit_app.config import Config, normalise_database_url


def test_without_settings_the_app_uses_sqlite_in_the_instance_folder(tmp_path: Path) -> None:
    config = Config.from_env({"INSTANCE_DIR": str(tmp_path)})
    assert config.database_url == f"sqlite:///{tmp_path / 'storecheck.db'}"
    assert config.upload_dir == tmp_path / "uploads"


def test_a_secret_key_is_generated_once_kept_private_and_reused(tmp_path: Path) -> None:
    first = Config.from_env({"INSTANCE_DIR": str(tmp_path)}).secret_key
    second = Config.from_env({"INSTANCE_DIR": str(tmp_path)}).secret_key
    assert first == second and len(first) >= 40
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_an_explicit_secret_key_and_database_url_win(tmp_path: Path) -> None:
    config = Config.from_env({"INSTANCE_DIR": str(tmp_path), "SECRET_KEY": "s3cret",
                              "DATABASE_URL": "postgres://u@db/storecheck", "SESSION_COOKIE_SECURE": "true"})
    assert config.secret_key == "s3cret"
    assert config.database_url == "postgresql+psycopg://u@db/storecheck"
    assert config.session_cookie_secure is True
    assert not (tmp_path / "secret_key").exists()


def test_postgresql_urls_use_the_psycopg_3_driver() -> None:
    assert normalise_database_url("postgresql://h/db") == "postgresql+psycopg://h/db"
    assert normalise_database_url("postgresql+psycopg://h/db") == "postgresql+psycopg://h/db"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_passwords_are_hashed_with_scrypt_unless_the_config_says_otherwise(tmp_path: Path) -> None:
    assert Config.from_env({"INSTANCE_DIR": str(tmp_path)}).password_hash_method == "scrypt"
    typed = Config(database_url="sqlite://", secret_key="k", upload_dir=tmp_path, password_hash_method="pbkdf2:sha256:1")
    assert typed.password_hash_method == "pbkdf2:sha256:1"
    assert typed.flask_settings()["PASSWORD_HASH_METHOD"] == "pbkdf2:sha256:1"
    # The flask-style key in `extra` still sets the typed field.
    legacy = Config(database_url="sqlite://", secret_key="k", upload_dir=tmp_path,
                    extra={"PASSWORD_HASH_METHOD": "pbkdf2:sha256:2"})
    assert legacy.password_hash_method == "pbkdf2:sha256:2"


def test_the_api_rate_limit_comes_from_the_environment_and_a_typo_keeps_the_default(tmp_path: Path) -> None:
    base = {"INSTANCE_DIR": str(tmp_path)}
    assert Config.from_env(base).api_rate_limit == "600 per minute;20000 per hour"
    assert Config.from_env({**base, "API_RATE_LIMIT": "50 per minute"}).api_rate_limit == "50 per minute"
    assert Config.from_env({**base, "API_RATE_LIMIT": "lots"}).api_rate_limit == "600 per minute;20000 per hour"
    assert Config.from_env({**base, "API_RATE_LIMIT": "5/second"}).flask_settings()["API_RATE_LIMIT"] == "5/second"
