"""Today's local date, worked out once a day.

A check needs today's date (the retention cutoff, the day its count goes to, the
distinct-number quota's day and the seconds left in it). ``date.today()`` asks the C
library for the local time on every call, about 1 us inside a request; this asks
again only when the time is no longer within the day it knows. The day's bounds come
from ``mktime``, so a day with a daylight-saving change ends on time, and a clock set
back past the day's start is noticed.
"""

import time
from datetime import date, timedelta

_day = (date.min, "", 0.0, 0.0)  # (today, its ISO form, its local start, the next midnight)


def _current() -> tuple[tuple, float]:
    global _day
    wall = time.time()
    day = _day
    if not day[2] <= wall < day[3]:
        today = date.fromtimestamp(wall)
        day = _day = (today, today.isoformat(), _local_midnight(today),
                      _local_midnight(today + timedelta(days=1)))
    return day, wall


def _local_midnight(day: date) -> float:
    return time.mktime((day.year, day.month, day.day, 0, 0, 0, 0, 0, -1))


def today() -> date:
    return _current()[0][0]


def today_and_seconds_left() -> tuple[str, int]:
    """(today's ISO date, whole seconds left in it)."""
    (_, iso, _, midnight), wall = _current()
    return iso, max(1, int(midnight - wall))
