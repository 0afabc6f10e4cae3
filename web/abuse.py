"""The daily quota of distinct numbers (policy in ``checker.abuse``), counted in the limit
storage that the check budget uses, so every worker shares it through Redis."""

from flask import current_app

from checker.abuse import DailyQuotaReached, DistinctPolicy, note_distinct_check
from web.errors import ApiError
from web.limits import storage_unavailable


class StorageCounter:
    """Flask-Limiter's storage as a ``checker.abuse.Counter``; a storage error is a 503."""

    def __init__(self, storage):
        self.storage = storage

    def incr(self, key: str, expiry: int) -> int:
        try:
            return self.storage.incr(key, expiry)
        except Exception as exc:
            raise storage_unavailable(exc) from None

    def clear(self, key: str) -> None:
        try:
            self.storage.clear(key)
        except Exception as exc:
            raise storage_unavailable(exc) from None


def init_abuse(app) -> None:
    """Call after ``init_limits``: the quota counts in the check budget's storage."""
    app.extensions["distinct_policy"] = DistinctPolicy.from_settings(
        app.config["DISTINCT_DAILY_QUOTA"], app.config["DISTINCT_FLAG_THRESHOLD"])
    app.extensions["distinct_counter"] = StorageCounter(app.extensions["check_budget"].limiter.storage)


def spend_for_check(account, number) -> None:
    """What one check costs a member on every channel: one from the shared check budget,
    then the daily quota of distinct numbers. Call once the number was understood."""
    extensions = current_app.extensions  # once: every current_app is a context lookup
    extensions["check_budget"].spend(str(account.id))
    _spend_distinct(extensions, account, number)


def _spend_distinct(extensions, account, number) -> None:
    try:
        note_distinct_check(extensions["checker"], account, number,
                            extensions["distinct_counter"], extensions["distinct_policy"])
    except DailyQuotaReached as exc:
        raise ApiError(429, "rate_limited", str(exc), headers={"Retry-After": str(exc.retry_after)},
                       retry_after=exc.retry_after) from None
