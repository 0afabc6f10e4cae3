"""checker.clock: today's date, worked out again only when the time leaves the day it knows."""

import time
from datetime import date, datetime, timedelta

import pytest

from checker import clock


@pytest.fixture
def wall(monkeypatch):
    """A settable wall clock for checker.clock (and a fresh cache)."""
    now = {"t": time.time()}
    monkeypatch.setattr(clock.time, "time", lambda: now["t"])
    monkeypatch.setattr(clock, "_day", (date.min, "", 0.0, 0.0))
    return now


def local(*args) -> float:
    return datetime(*args).timestamp()


def test_today_is_the_local_date():
    day, seconds_left = clock.today_and_seconds_left()
    now = datetime.now()
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time())
    assert clock.today() == date.today() and day == date.today().isoformat()
    assert abs(seconds_left - (midnight - now).total_seconds()) <= 2


def test_the_day_changes_at_local_midnight(wall):
    wall["t"] = local(2026, 12, 4, 23, 59, 58)
    assert clock.today() == date(2026, 12, 4)
    assert clock.today_and_seconds_left() == ("2026-12-04", 2)
    wall["t"] = local(2026, 12, 5, 0, 0, 0)
    assert clock.today() == date(2026, 12, 5)
    assert clock.today_and_seconds_left() == ("2026-12-05", 86400)


def test_a_clock_set_back_past_the_days_start_is_noticed(wall):
    wall["t"] = local(2026, 12, 5, 0, 0, 30)
    assert clock.today() == date(2026, 12, 5)
    wall["t"] = local(2026, 12, 4, 23, 59, 50)  # NTP stepped the clock back
    assert clock.today() == date(2026, 12, 4)
    assert clock.today_and_seconds_left() == ("2026-12-04", 10)


def test_the_seconds_left_are_never_zero(wall):
    wall["t"] = local(2026, 12, 4, 23, 59, 59) + 0.9
    assert clock.today_and_seconds_left() == ("2026-12-04", 1)
