"""What a warning is made of, and the checks every way of adding one shares."""

from datetime import date, timedelta
from functools import lru_cache
from typing import NamedTuple

from checker.errors import InvalidRequest
from hashing import scrub

CATEGORIES = (
    "physical_violence",
    "sexual_violence",
    "theft",
    "non_payment",
    "threats",
    "stalking",
    "other",
)
MAX_SUMMARY = 2000
MAX_REGION = 100
MAX_REASON = 1000


class WarningFields(NamedTuple):  # a tuple: an import makes one a row
    category: str
    incident_date: str
    region: str | None
    summary: str | None


def parse_category(value) -> str:
    code = value.strip() if isinstance(value, str) else ""
    if code not in CATEGORIES:
        raise InvalidRequest(f"Unknown category; use one of: {', '.join(CATEGORIES)}.")
    return code


def parse_incident_date(value, today: date) -> str:
    """An ISO date, today when empty; a date in the future is refused."""
    if value in (None, ""):
        return today.isoformat()
    try:
        parsed = _calendar_date(str(value).strip())
    except ValueError:
        raise InvalidRequest("The date must be written YYYY-MM-DD.") from None
    if parsed > today:
        raise InvalidRequest("The incident date is in the future.")
    return parsed.isoformat()


@lru_cache(maxsize=4096)
def _calendar_date(text: str) -> date:
    """``date.fromisoformat``, remembered (an import repeats a few thousand dates). Only
    text that is a date is kept: a call that raises is not remembered."""
    return date.fromisoformat(text)


def clean_text(value, limit: int, name: str, region_code: str) -> str | None:
    """Free text as stored: trimmed, bounded, and with anything like a phone number removed."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"The {name} must be text.")
    text = value.strip()
    if len(text) > limit:
        raise InvalidRequest(f"The {name} is longer than {limit} characters.")
    return scrub(text, region_code) if text else None


def warning_fields(category, incident_date, region, summary, *, today, region_code) -> WarningFields:
    return WarningFields(
        category=parse_category(category),
        incident_date=parse_incident_date(incident_date, today),
        region=clean_text(region, MAX_REGION, "region", region_code),
        summary=clean_text(summary, MAX_SUMMARY, "summary", region_code),
    )


def retention_cutoff(today: date, retention_days: int) -> str:
    """Warnings with an incident date before this ISO date have expired."""
    return (today - timedelta(days=retention_days)).isoformat()
