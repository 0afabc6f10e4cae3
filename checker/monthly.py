"""Statistics per calendar month (``YYYY-MM``, UTC): counts only, never a number.

- ``members``: member accounts created by the end of the month (deactivated ones included);
  ``new_members``: created during the month;
- ``reports``: incident reports submitted during the month;
- ``warnings_published``: warnings created during the month, from every source (reports,
  caseworkers, imports), whether or not withdrawn since;
- ``checks`` and ``checks_with_warnings``: lookups on every channel, from the daily counters.

A purge deletes old warnings and reports, so months past the retention count fewer.
"""

from datetime import date
from typing import TYPE_CHECKING

from checker.params import bounded_int
from data import listings

if TYPE_CHECKING:
    from checker.service import Checker

MEASURES = ("members", "new_members", "reports", "warnings_published", "checks",
            "checks_with_warnings")
MAX_MONTHS = 120


def month_keys(today: date, months: int) -> list[str]:
    """The last ``months`` months up to and including today's, oldest first."""
    index = today.year * 12 + today.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - months + 1, index + 1)]


def monthly_stats(checker: "Checker", months=12) -> list[dict]:
    """``[{"month": "YYYY-MM", "members", "new_members", "reports", ...}]``, oldest first."""
    keys = month_keys(checker.today(), bounded_int(months, "number of months", 12, 1, MAX_MONTHS))
    counts = listings.monthly_counts(checker.store, keys[0])
    members = listings.members_before(checker.store, keys[0])
    result = []
    for month in keys:
        row = {name: counts.get(month, {}).get(name, 0) for name in MEASURES}
        members += row["new_members"]
        row["members"] = members
        result.append({"month": month, **row})
    return result
