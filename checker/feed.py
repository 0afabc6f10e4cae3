"""Published warnings read two ways, never with a number or a token.

- The members' alert feed: warnings that count (published, not withdrawn, not
  expired) and were published in the last ``days`` days, newest first,
  optionally for one region: category, incident month, region, summary and
  the day of publication.
- The caseworkers' list: every warning with its id and status (published,
  withdrawn or expired), newest first, to find the one to withdraw.
"""

from datetime import timedelta
from typing import TYPE_CHECKING

from checker.errors import InvalidRequest
from checker.params import bounded_int, parse_limit, status_filter
from checker.warnings import MAX_REGION, retention_cutoff
from data import listings

if TYPE_CHECKING:
    from checker.service import Checker

ALERT_DAYS = 90
WARNING_STATUSES = ("published", "withdrawn", "expired")


def parse_days(value) -> int:
    return bounded_int(value, "number of days", ALERT_DAYS, 1, 3660)


class Feed:
    """Reached as ``Checker.feed``."""

    def __init__(self, checker: "Checker"):
        self.checker = checker
        self.store = checker.store

    def _cutoff(self) -> str:
        return retention_cutoff(self.checker.today(), self.checker.settings.retention_days)

    def _since(self, days: int) -> str:
        return (self.checker.today() - timedelta(days=days - 1)).isoformat()

    def alerts(self, region=None, days=ALERT_DAYS, limit=50) -> list[dict]:
        """``[{"category", "month", "region", "summary", "published"}]``, newest first."""
        region = _region_filter(region)
        return listings.alerts(self.store, self._cutoff(), self._since(parse_days(days)),
                               region, parse_limit(limit, 50))

    def alert_regions(self, days=ALERT_DAYS) -> list[str]:
        """The regions that occur in the feed, for a filter menu."""
        return listings.alert_regions(self.store, self._cutoff(), self._since(parse_days(days)))

    def warnings(self, status=None, limit=100, offset=0) -> list[dict]:
        """``[{"id", "category", "month", "region", "summary", "source", "status", ...}]``."""
        status = status_filter(status, WARNING_STATUSES, None)
        return listings.warnings(self.store, self._cutoff(), status,
                                 parse_limit(limit, 100, 1000),
                                 bounded_int(offset, "offset", 0, 0, 10**9))


def _region_filter(region) -> str | None:
    if region is None:
        return None
    if not isinstance(region, str) or len(region) > MAX_REGION:
        raise InvalidRequest(f"The region must be text of at most {MAX_REGION} characters.")
    return region.strip() or None
