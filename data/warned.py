"""Which tokens have warnings, held in memory by a process that serves checks.

Most checks find no warnings, and asking SQLite costs such a check most of its
lookup: about 25 us inside a request, where the caches are cold (a statement's
fixed cost; about 10 us in a loop). So a serving process keeps the first 8 bytes
of every warning's token, of any status, in a sorted array (8 MB for a million
warnings, with the start of each of 65,536 ranges of prefixes beside it, so that a
search touches a few neighbouring entries rather than 20 scattered ones) and asks
SQLite only when a token's prefix is in it. A prefix found costs a lookup, as
before: a withdrawn or expired warning, or another token with the same first 8
bytes, only costs time, never a wrong answer. Only tokens are held, never a number.

What it must never do is miss a warning. Warnings are only ever added by INSERT,
and every insert counts itself in ``meta`` (the trigger of migration 5; an import
counts its rows at once, in its own transaction). The count is read again when
the database may have changed: when SQLite's data version changed since the same
thread's last reading (``Store.write_stamp``: any commit by another connection changes
it, and each thread reads through a connection of its own, whose versions count on
their own; looked at every ``VERSION_SECONDS`` at most), after a change made through
this process's Checker (``stale``), and in any case once ``REFRESH_SECONDS`` have
passed. If the count grew by n, the tokens of the n warnings with the highest ids are
added, read in the same snapshot. SQLite gives an inserted row an id above every row
in the table when the insert names none (no insert of ours does), so every row
inserted since the last reading that is still there is among the n highest. A warning added by another process (the CLI, another
worker) therefore answers this process's checks from ``VERSION_SECONDS`` after it
on, and always within ``REFRESH_SECONDS``.

A restore puts back a database whose count may come to equal the one last read
while holding other warnings, so ``checker restore`` gives the restored database
a new random epoch in the same transaction, and a new epoch (or a count that went
down) means reading everything again.

Tokens are only rewritten by a key rotation, and a rotation makes every running
process refuse checks until it is restarted (``web.production``).
"""

import sys
import threading
import time
from array import array
from bisect import bisect_left

REFRESH_SECONDS = 1.0
VERSION_SECONDS = 0.01  # a commit elsewhere counts from this thread's checks this much later
BUCKET_SHIFT = 48  # a prefix's top 16 bits choose its range
# More new warnings than this since the array was read: read it all again
# (about half a second at a million warnings) instead of holding them in a set.
MAX_RECENT = 50_000


class WarnedTokens:
    def __init__(self, store, refresh_seconds: float = REFRESH_SECONDS, clock=time.monotonic):
        self.store, self.refresh_seconds, self.clock = store, refresh_seconds, clock
        self._lock = threading.Lock()
        # (sorted prefixes from the last full reading, where each range starts in them,
        # prefixes added since): swapped whole, so that a check in another thread never
        # sees one part without the others
        self._state: tuple[array, array, frozenset] = _indexed(array("Q")) + (frozenset(),)
        self._seen: tuple | None = None  # (epoch, insert count) the state reflects
        # SQLite's data version as this thread's connection read it before its last
        # reading of the count: versions count per connection, and so per thread
        self._stamps = threading.local()
        self._due = 0.0

    def may_have(self, token: bytes) -> bool:
        """False only when no warning, of any status, has this token."""
        now = self.clock()
        if now >= self._due or self._committed_elsewhere(now):
            self.refresh()
        prefix = int.from_bytes(token[:8], "big")
        prefixes, starts, recent = self._state
        bucket = prefix >> BUCKET_SHIFT
        end = starts[bucket + 1]
        i = bisect_left(prefixes, prefix, starts[bucket], end)
        return (i < end and prefixes[i] == prefix) or prefix in recent

    def _committed_elsewhere(self, now: float) -> bool:
        """Whether SQLite's data version moved since this thread's last reading of the
        count. Looked at once every VERSION_SECONDS at most: reading it is a read
        transaction (about 5 us), and under load checks come far more often."""
        local = self._stamps
        if now < getattr(local, "next_look", now):
            return False
        local.next_look = now + VERSION_SECONDS
        return self.store.write_stamp() != getattr(local, "stamp", None)

    def stale(self) -> None:
        """Read the count again before the next check (a change was made here)."""
        self._due = 0.0

    def refresh(self) -> None:
        """Catch up with the database. An error propagates: the check then fails, it
        does not answer from a state that may be behind."""
        with self._lock:
            due = self.clock() + self.refresh_seconds
            stamp = self.store.write_stamp()  # before reading: a commit after it changes it
            with self.store.snapshot():
                inserted = self.store.warnings_inserted()
                if inserted != self._seen:
                    self._state = self._caught_up(inserted)
                    self._seen = inserted
            self._stamps.stamp, self._due = stamp, due

    def _caught_up(self, inserted: tuple) -> tuple[array, array, frozenset]:
        prefixes, starts, recent = self._state
        epoch, count = inserted
        same_epoch = self._seen is not None and self._seen[0] == epoch
        new = count - self._seen[1] if same_epoch else None
        if new is None or new < 0 or len(recent) + new > MAX_RECENT:
            return _indexed(_read_all(self.store)) + (frozenset(),)
        newest = self.store.newest_warning_token_prefixes(new)
        return prefixes, starts, recent | {int.from_bytes(prefix, "big") for prefix in newest}

    def __len__(self) -> int:
        prefixes, _, recent = self._state
        return len(prefixes) + len(recent)


def _indexed(prefixes: array) -> tuple[array, array]:
    """The sorted prefixes, and where each range of them starts (one more at the end)."""
    if not prefixes:
        return prefixes, array("L", [0]) * ((1 << (64 - BUCKET_SHIFT)) + 1)
    starts = array("L", (bisect_left(prefixes, bucket << BUCKET_SHIFT)
                         for bucket in range(1 << (64 - BUCKET_SHIFT))))
    starts.append(len(prefixes))
    return prefixes, starts


def _read_all(store) -> array:
    prefixes = array("Q")
    assert prefixes.itemsize == 8
    for chunk in store.warning_token_prefixes():
        prefixes.frombytes(chunk)
    if sys.byteorder == "little":
        prefixes.byteswap()  # read as big-endian numbers, they sort as SQLite sorted the bytes
    return prefixes
