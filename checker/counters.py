"""Check counters, kept in memory and written in batches.

Writing a counter row on every check was the largest cost of a check (a write
transaction each time). Counts are now added up in memory, per day and
channel, and written in one transaction when ``FLUSH_CHECKS`` checks are
pending, every ``FLUSH_SECONDS`` (both by a daemon thread, started once per
process, so that a check never waits for a write), when
statistics are read in this process, and when the process exits (atexit).

Every write to the database makes every reader in every process drop its page
cache: the next lookups read their B-tree pages afresh (at 1,000,000 warnings a
check then costs about 7 us more until the cache is warm again). So writes are
rare: every ``FLUSH_SECONDS``, or at ``FLUSH_CHECKS`` pending checks, a bound
that only a burst of more than 2,000 checks a second reaches.

Only counts are held, never a number or a token. A process that crashes (or
is killed with SIGKILL) loses the counts it had not yet written: at most
``FLUSH_SECONDS`` worth. That is acceptable for statistics.

There is one counter per database file per process, shared by every Checker
on that file, so that a Checker reading statistics also sees the checks that
another Checker in the same process has counted but not yet written. A flush
opens its own short-lived connection: the counter holds no connection between
flushes, nor any Checker's store.
"""

import atexit
import logging
import os
import threading
from pathlib import Path

from data import Store

FLUSH_CHECKS = 10_000
FLUSH_SECONDS = 5.0

log = logging.getLogger(__name__)


class CheckCounter:
    def __init__(self, path, flush_checks: int = FLUSH_CHECKS, flush_seconds: float = FLUSH_SECONDS):
        self.path = Path(path)
        self.flush_checks = flush_checks
        self.flush_seconds = flush_seconds
        self._lock = threading.Lock()
        self._pending: dict[tuple[str, str], list[int]] = {}
        self._pending_checks = 0
        self._flusher: threading.Thread | None = None
        self._wake = threading.Event()

    def add(self, day: str, channel: str, hit: bool) -> None:
        with self._lock:
            counts = self._pending.get((day, channel))
            if counts is None:
                counts = self._pending[(day, channel)] = [0, 0]
            counts[0] += 1
            counts[1] += hit
            self._pending_checks += 1
            full = self._pending_checks >= self.flush_checks
            if self._flusher is None:
                self._flusher = threading.Thread(target=self._flush_every, daemon=True,
                                                 name="check-counter-flush")
                self._flusher.start()
        if full:
            self._wake.set()  # the flusher writes them: a check never waits for a write

    def flush(self) -> None:
        """Write the pending counts in one transaction; keep them if the write fails."""
        with self._lock:
            pending, self._pending, self._pending_checks = self._pending, {}, 0
        if not pending or not self.path.exists():
            return  # nothing to write, or the database is gone (a test's temporary instance)
        store = Store(self.path)
        try:
            store.add_check_counts(
                [(day, channel, checks, hits) for (day, channel), (checks, hits) in pending.items()]
            )
        except Exception as exc:  # a check must not fail because its count could not be written
            log.warning("check counts not written yet (%s); will retry", exc.__class__.__name__)
            self._restore(pending)
        finally:
            store.close()

    def _restore(self, pending) -> None:
        with self._lock:
            for key, (checks, hits) in pending.items():
                counts = self._pending.setdefault(key, [0, 0])
                counts[0] += checks
                counts[1] += hits
                self._pending_checks += checks

    def _flush_every(self) -> None:
        while self.path.exists():
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            self.flush()
        with self._lock:
            self._flusher = None

    def _forget(self) -> None:
        """In a forked child: the parent's pending counts (and its thread) are the parent's."""
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._pending, self._pending_checks, self._flusher = {}, 0, None


_counters: dict[Path, CheckCounter] = {}
_counters_lock = threading.Lock()


def counter_for(database_path) -> CheckCounter:
    """The process's counter for a database file."""
    path = Path(database_path).absolute()
    with _counters_lock:
        counter = _counters.get(path)
        if counter is None:
            counter = _counters[path] = CheckCounter(path)
        return counter


@atexit.register
def flush_all() -> None:
    """Write every pending count: at exit."""
    for counter in list(_counters.values()):
        counter.flush()


def _after_fork_in_child() -> None:
    global _counters_lock
    _counters_lock = threading.Lock()
    for counter in _counters.values():
        counter._forget()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
