"""Languages of the web pages: Dutch by default, English one tap away.

The choice is kept in a ``lang`` cookie (no account change, no number involved).
Texts are marked with gettext in the templates and here; the catalogs live in
``web/translations`` and ship compiled inside the package.
"""

from datetime import date, timedelta

from flask import request
from flask_babel import Babel, format_date, format_timedelta, get_locale
from flask_babel import lazy_gettext as _l

LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"
LANG_COOKIE = "lang"
# Each language's name in itself, for the switch.
LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}

CATEGORY_NAMES = {
    "physical_violence": _l("Physical violence"),
    "sexual_violence": _l("Sexual violence"),
    "theft": _l("Theft"),
    "non_payment": _l("Refused to pay"),
    "threats": _l("Threats"),
    "stalking": _l("Stalking"),
    "other": _l("Other"),
}

# A report's or warning's status, by code.
STATUS_NAMES = {
    "pending": _l("Waiting for review"),
    "published": _l("Published"),
    "rejected": _l("Rejected"),
    "withdrawn": _l("Withdrawn"),
    "expired": _l("Expired"),
}

# Why a number was not understood, by InvalidNumber.reason.
INVALID_NUMBER = {
    "empty": _l("Type the client's phone number first."),
    "bad_characters": _l(
        "A number may contain only digits, spaces and + ( ) - . / "
        "(no letters, words or extensions)."
    ),
    "too_short": _l("The number is too short: is a digit missing?"),
    "too_long": _l("The number is too long: is there a digit too many?"),
    "invalid_country_code": _l("The country code is not right."),
    "not_a_number": _l("This does not look like a phone number."),
    "invalid": _l("This is not a valid phone number for its country."),
}


# The domain's messages that a member can meet on the report form, in the page's language.
# Any other message (the desk's, mostly) is shown as the domain wrote it, in English.
DOMAIN_MESSAGES = {
    "Say what happened (the field what_happened).": _l("Tell what happened."),
    "The incident date is in the future.": _l("The date of the incident is in the future."),
    "The date must be written YYYY-MM-DD.": _l("The date is not a valid date."),
    "A reason is required to reject a report.": _l("Give a reason."),
    "A reason is required to withdraw a warning.": _l("Give a reason."),
}


def domain_message(message: str) -> str:
    return str(DOMAIN_MESSAGES.get(message, message))


def select_language() -> str:
    chosen = request.cookies.get(LANG_COOKIE)
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def current_language() -> str:
    return str(get_locale() or DEFAULT_LANGUAGE)


def other_language() -> str:
    return next(code for code in LANGUAGES if code != current_language())


def category_name(code: str) -> str:
    return str(CATEGORY_NAMES.get(code, code))


def status_name(code: str) -> str:
    return str(STATUS_NAMES.get(code, code))


def invalid_number_message(reason: str) -> str:
    return str(INVALID_NUMBER.get(reason, INVALID_NUMBER["invalid"]))


def month_name(year_month: str | None) -> str:
    """'2026-03' as 'maart 2026' or 'March 2026'."""
    if not year_month:
        return ""
    year, month = map(int, year_month.split("-"))
    return format_date(date(year, month, 1), "MMMM y")


def short_month(year_month: str) -> str:
    """'2026-03' as 'mrt' or 'Mar', for a chart's labels."""
    year, month = map(int, year_month.split("-"))
    return format_date(date(year, month, 1), "MMM").rstrip(".")


def day_name(iso_day: str | None) -> str:
    """'2026-03-14' (or a timestamp starting so) as '14 maart 2026' or '14 March 2026'."""
    if not iso_day:
        return ""
    return format_date(date.fromisoformat(iso_day[:10]), "d MMMM y")


def in_time(seconds: int) -> str:
    """A wait as words: 'over 12 minuten', 'in 12 minutes'."""
    return format_timedelta(timedelta(seconds=max(60, seconds)), granularity="minute",
                            threshold=2, add_direction=True)


def init_app(app) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    Babel(app, locale_selector=select_language)
    app.jinja_env.globals.update(
        current_language=current_language,
        other_language=other_language,
        language_names=LANGUAGE_NAMES,
        category_name=category_name,
        status_name=status_name,
        categories=tuple(CATEGORY_NAMES),
        month_name=month_name,
        day_name=day_name,
    )
    app.jinja_env.filters["category_name"] = category_name
