"""Incident reports: members report, caseworkers publish them as warnings or reject them.

A report's number (optional: many reports have none) becomes a token at once,
and its free text is scrubbed of anything that could be a phone number before
it is stored. A report counts in no verdict; publishing it creates a warning
from its token and incident date, with a summary the caseworker writes (the
member's own words are never shown to other members). A report without a number
cannot become a warning: a caseworker rejects it with a reason (which its member
reads) or leaves it pending.
"""

from typing import TYPE_CHECKING

from checker.accounts import Account
from checker.errors import InvalidRequest, NotFound, Refused
from checker.params import as_row_id, parse_limit, status_filter
from checker.service import utc_now
from checker.warnings import (
    MAX_REASON, MAX_REGION, MAX_SUMMARY, clean_text, parse_category, warning_fields,
)
from data import reports as rows

if TYPE_CHECKING:
    from checker.service import Checker

STATUSES = ("pending", "published", "rejected")
MAX_WHAT_HAPPENED = 5000
MAX_CLIENT_DESCRIPTION = 2000


def as_report_id(value) -> int:
    return as_row_id(value, "report")


class Reports:
    """Reached as ``Checker.reports``."""

    def __init__(self, checker: "Checker"):
        self.checker = checker
        self.store = checker.store

    def _text(self, value, limit, name):
        return clean_text(value, limit, name, self.checker.region)

    def submit(self, reporter: Account, number_text=None, category=None, incident_date=None,
               region=None, what_happened=None, client_description=None) -> dict:
        """Store a pending report -> ``{"id", "status": "pending"}``.

        ``number_text`` may be None or blank (no number); anything else must be a
        valid number (InvalidNumber otherwise).
        """
        checker = self.checker
        fields = warning_fields(category, incident_date, region, None,
                                today=checker.today(), region_code=checker.region)
        what = self._text(what_happened, MAX_WHAT_HAPPENED, "description of what happened")
        if not what:
            raise InvalidRequest("Say what happened (the field what_happened).")
        row = {
            "reporter_id": reporter.id,
            "token": self._token(number_text),
            "category": fields.category,
            "incident_date": fields.incident_date,
            "region": fields.region,
            "what_happened": what,
            "client_description": self._text(
                client_description, MAX_CLIENT_DESCRIPTION, "description of the client"),
            "status": "pending",
            "created_at": utc_now(),
        }
        with self.store.transaction():
            report_id = rows.insert_report(self.store, row)
        return {"id": report_id, "status": "pending"}

    def _token(self, number_text) -> bytes | None:
        """The number's token; None when no number was given (None or blank)."""
        if number_text is None:
            return None
        if not isinstance(number_text, str):
            raise InvalidRequest("The number must be text.")
        if not number_text.strip():
            return None
        return self.checker.hasher.number_token(self.checker.parse(number_text))

    def counts(self) -> dict:
        """``{"pending": n, "published": n, "rejected": n}``, e.g. for the desk's menu."""
        return rows.count_by_status(self.store, STATUSES)

    def mine(self, reporter: Account, limit: int = 100) -> list[dict]:
        """The member's own reports, newest first, with status (and a rejection's reason)."""
        keep = ("id", "category", "incident_date", "region", "what_happened",
                "client_description", "has_number", "status", "reject_reason", "created_at")
        return [{k: r[k] for k in keep} | {"status": _member_status(r)}
                for r in rows.reports_by(self.store, reporter.id, parse_limit(limit))]

    def listing(self, status="pending", limit: int = 100) -> list[dict]:
        """For caseworkers: pending oldest first (the queue), others newest first."""
        return rows.reports_with_status(self.store, status_filter(status, STATUSES, "pending"), parse_limit(limit))

    def get(self, report_id) -> dict:
        report = rows.report(self.store, as_report_id(report_id))
        if report is None:
            raise NotFound(f"There is no report {report_id}.")
        return report

    def publish(self, actor: str, report_id, summary=None, category=None, region=None) -> int:
        """Publish a pending report as a warning; return the warning's id.

        Category and region default to the report's. Refused when the report has no
        number or is no longer pending.
        """
        report_id = as_report_id(report_id)
        checker = self.checker
        summary = self._text(summary, MAX_SUMMARY, "summary")
        with self.store.transaction():
            report = self._pending(report_id, "published")
            token = rows.report_token(self.store, report_id)
            if token is None:
                raise Refused(
                    f"Report {report_id} has no number, so it cannot become a warning: "
                    "reject it with a reason, or add a warning yourself if the number is known."
                )
            warning_row = {
                "token": token,
                "category": parse_category(category or report["category"]),
                "incident_date": report["incident_date"],
                "region": self._text(region, MAX_REGION, "region") if region is not None else report["region"],
                "summary": summary,
                "source": "report",
                "status": "published",
                "created_by": actor,
                "created_at": utc_now(),
            }
            warning_id = self.store.insert_warning(warning_row)
            rows.mark_reviewed(self.store, report_id, "published", reviewed_by=actor,
                               reviewed_at=warning_row["created_at"], warning_id=warning_id)
            checker._audit(actor, "report_published", report_id=report_id,
                           warning_id=warning_id, category=warning_row["category"])
        return warning_id

    def reject(self, actor: str, report_id, reason) -> dict:
        """Reject a pending report with a reason its member will read. Rejecting twice is harmless."""
        report_id = as_report_id(report_id)
        reason = self._text(reason, MAX_REASON, "reason")
        if not reason:
            raise InvalidRequest("A reason is required to reject a report.")
        with self.store.transaction():
            report = self.get(report_id)
            if report["status"] != "rejected":
                self._pending(report_id, "rejected")
                rows.mark_reviewed(self.store, report_id, "rejected", reviewed_by=actor,
                                   reviewed_at=utc_now(), reject_reason=reason)
                self.checker._audit(actor, "report_rejected", report_id=report_id, reason=reason)
        return {"id": report_id, "status": "rejected"}

    def _pending(self, report_id: int, wanted: str) -> dict:
        report = self.get(report_id)
        if report["status"] == "published":
            hint = "; withdraw the warning instead" if wanted == "rejected" else ""
            raise Refused(
                f"Report {report_id} is published already (warning {report['warning_id']}){hint}."
            )
        if report["status"] != "pending":
            raise Refused(f"Report {report_id} is {report['status']} already.")
        return report

    def purge_before(self, cutoff: str) -> int:
        """Delete reports whose incident is past the retention (inside the caller's transaction)."""
        return rows.delete_reports_before(self.store, cutoff)


def _member_status(report: dict) -> str:
    """What the member sees: a published report whose warning was withdrawn says so."""
    if report["status"] == "published" and report["warning_status"] == "withdrawn":
        return "withdrawn"
    return report["status"]
