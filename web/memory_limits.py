"""In-memory limit storage without a thread per 10 ms.

``limits``' MemoryStorage expires its keys from a ``threading.Timer`` that it
starts again 10 ms after the last one whenever a counter moves. Under load a
worker then starts about 70 threads a second, and each one takes the GIL from
the requests (strace of a gunicorn worker: 236 clone3 calls and 2,530 futex
calls in 3.5 s, against none for a bare Flask app). This storage counts the same
way for the fixed-window limits that ``web.limits`` uses, and sweeps expired keys
inline, at most once every ``SWEEP_SECONDS``, from the request that notices.

``memory://`` in ``CHECKER_RATELIMIT_STORAGE_URI`` means this storage
(``web.limits.init_limits`` passes ``checker-memory://`` to the Limiter).
"""

import threading
import time

from limits.storage import MemoryStorage

SCHEME = "checker-memory"
SWEEP_SECONDS = 10.0


class SweptMemoryStorage(MemoryStorage):
    """``incr`` and ``get`` count as MemoryStorage's do (a key's window starts with its
    first increment and ends ``expiry`` seconds later), under one lock instead of a lock
    per key, and without dropping an expired key on every read: the sweep does that."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)  # one timer, once
        self._next_sweep = time.monotonic() + SWEEP_SECONDS
        self._lock = threading.Lock()

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        self._sweep_now_and_then()
        now = time.time()
        with self._lock:
            if self.expirations.get(key, 0) <= now:  # absent or expired: a new window
                self.expirations[key] = now + expiry
                self.storage[key] = amount
                return amount
            value = self.storage[key] = self.storage.get(key, 0) + amount
            return value

    def get(self, key: str) -> int:
        if self.expirations.get(key, 0) <= time.time():
            return 0
        return self.storage.get(key, 0)

    def get_expiry(self, key: str) -> float:
        now = time.time()
        return max(now, self.expirations.get(key, now))

    def _sweep_now_and_then(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_SECONDS
        wall = time.time()
        with self._lock:
            for key, expires in list(self.expirations.items()):
                if expires <= wall:
                    self.storage.pop(key, None)
                    self.expirations.pop(key, None)
                    self.locks.pop(key, None)
