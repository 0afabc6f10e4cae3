"""Accounts recently signed in by access token, remembered for at most a second.

Looking the account up costs an API check about a tenth of its time (a keyed hash
and a query). So a process remembers the accounts it found by token hash (never
the token) for ``SECONDS``. What that costs: a change made by another process
(``checker member deactivate`` or a token reissued in another worker) takes up to
that long to reach this one. A change made through this process's Checker clears
everything at once (every such change is audited, and ``Checker._audit`` clears it).
Only accounts found are remembered: an unknown token always goes to the database.
"""

import threading
import time

SECONDS = 1.0
MAX_ENTRIES = 4096


class RecentAccounts:
    def __init__(self, seconds: float = SECONDS, max_entries: int = MAX_ENTRIES, clock=time.monotonic):
        self.seconds, self.max_entries, self.clock = seconds, max_entries, clock
        self._found: dict[bytes, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def get(self, token_hash: bytes):
        """The account remembered for this token hash, or None."""
        entry = self._found.get(token_hash)
        if entry is None or self.clock() - entry[0] >= self.seconds:
            return None
        return entry[1]

    def remember(self, token_hash: bytes, account) -> None:
        with self._lock:
            if len(self._found) >= self.max_entries:
                self._found.clear()  # bounded; at this size a second's entries are cheap to refill
            self._found[token_hash] = (self.clock(), account)

    def forget_all(self) -> None:
        with self._lock:
            self._found.clear()
