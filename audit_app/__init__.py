"""Storecheck: store experience audits and mystery-shopper surveys."""

from __future__ import annotations

from flask import Flask

from audit_app.config import PROJECT_ROOT, Config


def create_app(config: Config | None = None) -> Flask:
    """Build the app. Tests pass their own Config; production reads the environment."""
    config = config or Config.from_env()
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
        instance_path=str(config.instance_dir),
    )
    app.config.from_mapping(config.flask_settings())
    if config.trusted_proxies:
        # The client's address (rate limits, logs) and scheme come from the proxies' headers.
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = config.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]
    register_routing(app)
    register_extensions(app)
    register_i18n(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_security_headers(app)
    register_request_log(app)
    register_compression(app)
    register_template_helpers(app)
    register_webhook_jobs(app)
    register_cli(app)
    register_mail(app)
    return app


def register_routing(app: Flask) -> None:
    from audit_app.routing import init_routing

    init_routing(app)


def register_extensions(app: Flask) -> None:
    from audit_app import models  # noqa: F401  (registers the tables with the metadata)
    from audit_app.auth.session import init_login
    from audit_app.database import configure_engine
    from audit_app import ratelimit_storage  # noqa: F401  (registers the storecheck-db:// rate-limit storage)
    from audit_app.extensions import csrf, db, limiter, migrate

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    init_login(app)


def register_i18n(app: Flask) -> None:
    from audit_app.i18n import init_i18n

    init_i18n(app)


def register_blueprints(app: Flask) -> None:
    from audit_app.actions import bp as actions_bp
    from audit_app.api.edge import init_api
    from audit_app.auth import bp as auth_bp
    from audit_app.headoffice import bp as headoffice_bp
    from audit_app.manager import bp as manager_bp
    from audit_app.ops import bp as ops_bp
    from audit_app.photos import bp as photos_bp
    from audit_app.shopper import bp as shopper_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(shopper_bp, url_prefix="/shopper")
    app.register_blueprint(manager_bp, url_prefix="/manager")
    app.register_blueprint(headoffice_bp, url_prefix="/head-office")
    app.register_blueprint(photos_bp)
    app.register_blueprint(actions_bp, url_prefix="/actions")
    app.register_blueprint(ops_bp)
    init_api(app)


def register_errorhandlers(app: Flask) -> None:
    from audit_app.errors import init_error_pages

    init_error_pages(app)


def register_security_headers(app: Flask) -> None:
    from audit_app.security import init_security_headers

    init_security_headers(app)


def register_request_log(app: Flask) -> None:
    from audit_app.request_log import init_request_log

    init_request_log(app)


def register_compression(app: Flask) -> None:
    from audit_app.compression import init_compression

    init_compression(app)


def register_template_helpers(app: Flask) -> None:
    from audit_app.template_helpers import init_template_helpers

    init_template_helpers(app)


def register_webhook_jobs(app: Flask) -> None:
    from audit_app.webhook_jobs import init_webhook_jobs

    init_webhook_jobs(app)


def register_mail(app: Flask) -> None:
    from audit_app.mail import init_mail

    init_mail(app)


def register_cli(app: Flask) -> None:
    from audit_app.cli import init_cli

    init_cli(app)
