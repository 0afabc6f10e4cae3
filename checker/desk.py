"""What the caseworkers' desk page shows beyond the single use cases: the overview's
counts, and an import checked without storing anything (the preview of an upload)."""

from datetime import timedelta
from typing import TYPE_CHECKING

from checker.service import ImportResult
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


def preview_import(checker: "Checker", stream) -> ImportResult:
    """What ``Checker.import_csv`` would store, storing nothing: ``imported`` counts the
    valid rows, ``errors`` lists each invalid row's line and error (InvalidRequest for a
    bad header or file). The rows are only validated in memory."""
    result = ImportResult()
    for _ in checker._import_rows("preview", stream, result):
        pass
    return result
