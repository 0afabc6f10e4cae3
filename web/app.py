"""The application factory (``create_app``), as in Flask's tutorial.

Under gunicorn (``gunicorn 'web:create_app()'``) it gets no arguments and
reads everything from ``CHECKER_*`` environment variables.
"""

import os

from flask import Flask

from checker.instance import open_checker
from checker.settings import SECRET_NAMES, Settings
from hashing import load_metadata
from web import abuse, api, errors, health, pages, production, security, sms_bird, sms_twilio
from web.json_provider import FastJSONProvider
from web.limits import init_limits
from web import api_desk, api_reports
from web import desk_pages, member_pages, uploads

DEFAULTS = {
    "INSTANCE": "instance",
    "DEFAULT_REGION": "NL",
    "RETENTION_DAYS": 1826,
    "CHECK_LIMITS": "30 per hour;200 per day",
    "AUTH_FAILURE_LIMITS": "20 per minute",
    "LOGIN_LIMITS": "10 per 15 minutes",
    "RATELIMIT_STORAGE_URI": "memory://",
    "PUBLIC_URL": None,
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "PROXY_HOPS": 0,
    "DISTINCT_DAILY_QUOTA": 100,
    "DISTINCT_FLAG_THRESHOLD": 50,
}
SETTINGS_KEYS = ("INSTANCE", "HASH_KEY", "KEY_FILE", "DEFAULT_REGION", "RETENTION_DAYS")


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.json = FastJSONProvider(app)
    app.json.sort_keys = False  # keep the contract's field order
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("CHECKER")
    for name in SECRET_NAMES:  # from_prefixed_env would turn a key of digits into a number
        if f"CHECKER_{name}" in os.environ:
            app.config[name] = os.environ[f"CHECKER_{name}"]
    if test_config:
        app.config.from_mapping(test_config)

    settings = Settings.from_mapping({name: app.config.get(name) for name in SETTINGS_KEYS})
    app.extensions["checker"] = open_checker(settings)
    app.extensions["checker"].keep_warned_tokens()
    load_metadata()

    production.configure(app)
    init_limits(app)
    abuse.init_abuse(app)
    errors.register(app)
    security.register(app)
    app.register_blueprint(api_reports.bp)
    app.register_blueprint(api_desk.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(sms_twilio.bp)
    app.register_blueprint(sms_bird.bp)
    pages.register(app)
    app.register_blueprint(member_pages.bp)
    app.register_blueprint(desk_pages.bp)
    uploads.register(app)
    return app
