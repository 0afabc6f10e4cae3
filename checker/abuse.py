"""Abuse: a daily quota of *distinct* numbers per account, and a flag for caseworkers.

Someone harvesting the list checks many different numbers; a member before a booking
checks a few, often the same one again. So besides the check budget (every check counts),
each account may check at most ``quota`` different numbers a day, and an account that
reaches ``threshold`` different numbers in a day is flagged once that day in the audit
trail (action ``member_flagged``) for a caseworker to look at.

Counting distinct numbers needs to recognise a number seen earlier today, without
remembering numbers or tokens (checks are never logged by number or by hash). Only a
16-bit bucket of the token under a subkey for the day is stored (``Hasher.daily_bucket``),
in the limit storage (memory or Redis), expiring at the end of the day. Numbers that share
a bucket count once, so the count is a lower bound: harmless at quotas of a few hundred.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from checker.clock import today_and_seconds_left
from checker.errors import SetupProblem

SYSTEM_ACTOR = "system"


class Counter(Protocol):
    """Atomic counters that expire: Flask-Limiter's storage implements this."""

    def incr(self, key: str, expiry: int) -> int: ...

    def clear(self, key: str) -> None: ...


class DailyQuotaReached(Exception):
    def __init__(self, quota: int, retry_after: int):
        self.quota, self.retry_after = quota, retry_after
        super().__init__(
            f"You have checked the largest number of different numbers allowed in a day "
            f"({quota}). Numbers you checked today can still be checked again."
        )


@dataclass(frozen=True)
class DistinctPolicy:
    quota: int = 100  # 0: no quota
    threshold: int = 50  # 0: never flag

    @classmethod
    def from_settings(cls, quota, threshold) -> "DistinctPolicy":
        return cls(_count(quota, "CHECKER_DISTINCT_DAILY_QUOTA"),
                   _count(threshold, "CHECKER_DISTINCT_FLAG_THRESHOLD"))


def _count(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SetupProblem(f"{name} must be a whole number, 0 or more (0 switches it off).")
    return value


def note_distinct_check(checker, account, number, counter: Counter,
                        policy: DistinctPolicy, now=None) -> int:
    """Count ``number`` among the account's distinct numbers today; return that count.

    Raises DailyQuotaReached for a new number past the quota (that number is then not
    remembered, so it stays refused). Counter errors propagate: the caller fails closed.
    """
    if not policy.quota and not policy.threshold:
        return 0
    if now is None:
        day, seconds_left = today_and_seconds_left()
    else:
        day, seconds_left = now.date().isoformat(), _seconds_left_today(now)
    expiry = seconds_left + 60
    bucket = checker.hasher.daily_bucket(checker.hasher.number_token(number), day)
    day_key = f"distinct/{day}/{account.id}"
    bucket_key = f"{day_key}/{bucket}"
    if counter.incr(bucket_key, expiry) != 1:
        return 0  # seen today already: costs no quota
    count = counter.incr(day_key, expiry)
    if count == policy.threshold:  # atomic counter: exactly once a day per account
        checker._audit(SYSTEM_ACTOR, "member_flagged", account_id=account.id, name=account.name,
                       day=day, distinct_numbers=count)
    if policy.quota and count > policy.quota:
        counter.clear(bucket_key)
        raise DailyQuotaReached(policy.quota, expiry)
    return count


def _seconds_left_today(now: datetime) -> int:
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(),
                                tzinfo=now.tzinfo)
    return max(1, int((midnight - now).total_seconds()))
