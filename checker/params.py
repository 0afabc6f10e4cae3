"""Reading the small options of listings (limits, days, months), as given by the web's query
strings or the CLI: text or int in, a bounded int out, or InvalidRequest saying the range."""

from checker.errors import InvalidRequest, NotFound


def bounded_int(value, what: str, default: int, minimum: int, maximum: int) -> int:
    """``value`` as an int from ``minimum`` to ``maximum``; ``default`` when None or empty."""
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = minimum - 1
    if not minimum <= number <= maximum:
        raise InvalidRequest(f"The {what} must be a whole number from {minimum} to {maximum}.")
    return number


def parse_limit(value, default: int = 100, maximum: int = 500) -> int:
    return bounded_int(value, "limit", default, 1, maximum)


def status_filter(value, statuses, default: str | None) -> str | None:
    """One of ``statuses``, or None for ``all``; ``default`` when None or empty."""
    status = str(value).strip().lower() if value not in (None, "") else default
    if status in (None, "all"):
        return None
    if status not in statuses:
        raise InvalidRequest(f"Unknown status; use one of: {', '.join(statuses)}, all.")
    return status


def as_row_id(value, what: str) -> int:
    """A row id, or NotFound ("There is no WHAT VALUE."): SQLite ids are 1 to 2**63 - 1."""
    try:
        row_id = int(value)
    except (TypeError, ValueError):
        raise NotFound(f"There is no {what} {value}.") from None
    if not 0 < row_id < 2**63:
        raise NotFound(f"There is no {what} {value}.")
    return row_id
