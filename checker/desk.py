"""What the caseworkers' desk page shows beyond the single use cases: the overview's counts."""

from datetime import timedelta
from typing import TYPE_CHECKING

from data import listings

if TYPE_CHECKING:
    from checker.service import Checker

FLAGGED_DAYS = 7


def overview(checker: "Checker", days: int = FLAGGED_DAYS) -> dict:
    """``{"pending_reports", "flagged", "days"}``: ``flagged`` lists the ``member_flagged``
    audit events (account name, day, distinct numbers: never a number) of the last ``days``."""
    since = (checker.today() - timedelta(days=days - 1)).isoformat()
    return {
        "pending_reports": checker.reports.counts().get("pending", 0),
        "flagged": listings.events_since(checker.store, "member_flagged", since),
        "days": days,
    }

