"""Settings for serving behind a proxy with several workers (gunicorn + Redis).

- The limit storage must never be bypassed: Flask-Limiter's options that would swallow a
  storage error or fall back to per-process memory are forced off, so a Redis outage makes
  checks fail closed (503), never unlimited.
- In-memory limits are per process: outside ``checker serve`` (which runs one process and
  sets ``CHECKER_SINGLE_PROCESS``) a loud warning says so at start-up.
- ``CHECKER_PROXY_HOPS`` (off by default) trusts that many proxies' ``X-Forwarded-*``
  headers, so per-address limits see the client, not the proxy.
"""

import time

from flask import current_app
from werkzeug.middleware.proxy_fix import ProxyFix

from checker.errors import SetupProblem
from checker.instance import FINGERPRINT
from web.context import checker
from web.errors import ApiError

KEY_RECHECK_SECONDS = 1.0

# A hung Redis must not hang every worker: give up after this many seconds (then 503).
REDIS_TIMEOUTS = {"socket_timeout": 2, "socket_connect_timeout": 2}
PER_PROCESS_WARNING = (
    "RATE LIMITS ARE PER PROCESS: CHECKER_RATELIMIT_STORAGE_URI is %s, so every worker "
    "process keeps its own counts and N workers allow N times every limit. Set "
    "CHECKER_RATELIMIT_STORAGE_URI=redis://HOST:PORT/DB for production."
)


def configure(app) -> None:
    """Call before the Limiter is created: it reads the RATELIMIT_* options at init."""
    config = app.config
    config["RATELIMIT_SWALLOW_ERRORS"] = False
    config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = False
    config["RATELIMIT_IN_MEMORY_FALLBACK"] = []
    uri = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if uri.startswith(("redis", "rediss", "valkey")):
        config["RATELIMIT_STORAGE_OPTIONS"] = {
            **REDIS_TIMEOUTS, **(config.get("RATELIMIT_STORAGE_OPTIONS") or {})}
    if uri.startswith("memory://") and not config.get("SINGLE_PROCESS"):
        app.logger.warning(PER_PROCESS_WARNING, uri)
    app.before_request(_same_key_as_database)
    hops = proxy_hops(config.get("PROXY_HOPS", 0))
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def proxy_hops(value) -> int:
    if value in (None, "", False):
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise SetupProblem("CHECKER_PROXY_HOPS must be a whole number from 0 to 10.")
    return value


def _same_key_as_database() -> None:
    """Refuse to answer (503) once the database's key fingerprint differs from the key this
    process loaded, i.e. after ``checker key rotate`` while the service ran: a stale key
    would answer "no warnings" for every number. Read at most once a second."""
    state = current_app.extensions.setdefault("key_recheck", {"at": 0.0, "same": True})
    now = time.monotonic()
    if now - state["at"] >= KEY_RECHECK_SECONDS:
        current = checker()
        state["same"] = current.store.get_meta(FINGERPRINT) == current.key_fingerprint
        state["at"] = now
    if not state["same"]:
        current_app.logger.error("the database's key fingerprint changed (key rotated?): "
                                 "restart the service with the new key file")
        raise ApiError(503, "unavailable", "The service is being maintained; try again soon.",
                       headers={"Retry-After": "30"})
