"""Rate limits through Flask-Limiter's storage and the ``limits`` strategies.

Checks are limited per account under one scope ("checks") that every channel
(API, web page, SMS) draws on. The budget is spent with ``hit()`` only after a
number has been understood, so an invalid number costs nothing; ``hit()`` is
atomic, so N workers on one Redis allow exactly the limit, no more.

Requests with a missing or bad token, and sign-in attempts, are limited per
client address. If the limit storage fails, lookups fail closed (503).
"""

import math
import time

from flask import current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse_many
from limits.strategies import FixedWindowRateLimiter

from web.errors import ApiError
from web.memory_limits import SCHEME as MEMORY_SCHEME

CHECK_SCOPE = "checks"
AUTH_SCOPE = "auth_failures"
LOGIN_SCOPE = "logins"


class Budget:
    """A set of limits in one scope, spent per identity.

    Under the fixed-window strategy (Flask-Limiter's default, and ours) a budget
    talks to the limit storage directly, with each limit's key made from a
    template built once: ``strategy.hit`` rebuilt the key from its parts on every
    call, which was most of what spending cost. The keys, counts and expiries are
    exactly those of ``FixedWindowRateLimiter``; any other strategy goes through
    ``limits`` as before.
    """

    def __init__(self, limiter: Limiter, scope: str, limits_text: str):
        self.limiter = limiter
        self.scope = scope
        self.limits = parse_many(str(limits_text))
        self._windows = [_Window(limit, scope) for limit in self.limits]

    def spend(self, identity: str) -> None:
        """Take one from every limit, or raise a 429 ApiError saying when to retry."""
        strategy = self.limiter.limiter
        try:
            if type(strategy) is FixedWindowRateLimiter:
                storage = strategy.storage
                for window in self._windows:
                    if storage.incr(window.key(identity), window.expiry) > window.amount:
                        raise _exhausted(strategy, window.limit, self.scope, identity)
                return
            for limit in self.limits:
                if not strategy.hit(limit, self.scope, identity):
                    raise _exhausted(strategy, limit, self.scope, identity)
        except ApiError:
            raise
        except Exception as exc:
            raise storage_unavailable(exc) from None

    def exhausted(self, identity: str) -> bool:
        """True when a limit is already used up (without spending anything)."""
        strategy = self.limiter.limiter
        try:
            if type(strategy) is FixedWindowRateLimiter:
                storage = strategy.storage
                return any(storage.get(w.key(identity)) >= w.amount for w in self._windows)
            return not all(strategy.test(limit, self.scope, identity) for limit in self.limits)
        except Exception as exc:
            raise storage_unavailable(exc) from None

    def retry_error(self, identity: str) -> ApiError:
        strategy = self.limiter.limiter
        for limit in self.limits:
            if not strategy.test(limit, self.scope, identity):
                return _exhausted(strategy, limit, self.scope, identity)
        return _exhausted(strategy, self.limits[0], self.scope, identity)


class _Window:
    """One fixed-window limit of a scope: its storage key for an identity, as
    ``limit.key_for(scope, identity)`` makes it, from a template made once."""

    __slots__ = ("limit", "amount", "expiry", "_prefix", "_suffix")

    def __init__(self, limit, scope: str):
        self.limit, self.amount, self.expiry = limit, limit.amount, limit.get_expiry()
        self._prefix, self._suffix = limit.key_for(scope, _MARK).split(_MARK)

    def key(self, identity: str) -> str:
        return self._prefix + str(identity) + self._suffix


_MARK = "\x00identity\x00"


def _exhausted(strategy, limit, scope, identity) -> ApiError:
    reset = strategy.get_window_stats(limit, scope, identity).reset_time
    retry_after = max(1, math.ceil(reset - time.time()))
    return ApiError(
        429,
        "rate_limited",
        f"Too many requests: the limit is {limit}. Try again in {retry_after} seconds.",
        headers={"Retry-After": str(retry_after)},
        retry_after=retry_after,
    )


def storage_unavailable(exc) -> ApiError:
    """The limit storage failed: fail closed with a 503 (never a 500, never unlimited)."""
    current_app.logger.error("rate-limit storage unavailable: %s", exc.__class__.__name__)
    return ApiError(503, "unavailable", "The service is temporarily unavailable; try again soon.",
                    headers={"Retry-After": "30"})


_unavailable = storage_unavailable  # the name other modules may already use


def init_limits(app) -> None:
    # storage_uri beats RATELIMIT_STORAGE_URI from the config: only memory:// is replaced,
    # by the same counting without limits' expiry thread (web.memory_limits).
    uri = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    memory = f"{MEMORY_SCHEME}://" if uri.startswith("memory://") else None
    limiter = Limiter(key_func=get_remote_address, app=app, default_limits=[], storage_uri=memory)
    _drop_request_hooks(app, limiter)
    app.extensions["check_budget"] = Budget(limiter, CHECK_SCOPE, app.config["CHECK_LIMITS"])
    app.extensions["auth_budget"] = Budget(limiter, AUTH_SCOPE, app.config["AUTH_FAILURE_LIMITS"])
    app.extensions["login_budget"] = Budget(limiter, LOGIN_SCOPE, app.config["LOGIN_LIMITS"])


_HOOK_SETTINGS = ("RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_HEADERS_ENABLED")


def _drop_request_hooks(app, limiter: Limiter) -> None:
    """Take out Flask-Limiter's before/after/teardown request hooks.

    They enforce default, application-wide and blueprint-wide limits and add
    X-RateLimit headers. We use none of those: budgets call ``limits``
    directly, and a view decorated with ``limiter.limit(...)`` checks its limit
    inside the decorator. Yet the hooks cost about 0.1 ms on every request (the
    profile of a check under gunicorn showed them), and Flask-Limiter 4.1 has no
    switch for them. So: no blueprint-wide or default limits here; use a Budget
    or decorate the view. If such limits or headers are configured, the hooks stay.
    """
    if any(app.config.get(name) for name in _HOOK_SETTINGS):
        return

    def belongs_to_limiter(hook) -> bool:
        bound_to = getattr(hook, "__self__", None)
        partial_args = getattr(hook, "args", None) or (None,)
        return bound_to is limiter or partial_args[0] is limiter

    for hooks in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        hooks[None] = [hook for hook in hooks.get(None, []) if not belongs_to_limiter(hook)]


def login_budget() -> Budget:
    """Sign-in attempts on the web page, spent per client address and per name."""
    return current_app.extensions["login_budget"]


def client_address() -> str:
    return request.remote_addr or "unknown"
