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

import time

from limits.storage import MemoryStorage

SCHEME = "checker-memory"
SWEEP_SECONDS = 10.0


class SweptMemoryStorage(MemoryStorage):
    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)  # one timer, once
        self._next_sweep = time.monotonic() + SWEEP_SECONDS

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        self.get(key)  # drops the key if it has expired
        self._sweep_now_and_then()
        with self.locks[key]:
            self.storage[key] += amount
            if self.storage[key] == amount:
                self.expirations[key] = time.time() + expiry
        return self.storage.get(key, 0)

    def _sweep_now_and_then(self) -> None:
        now = time.monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + SWEEP_SECONDS
        wall = time.time()
        for key, expires in list(self.expirations.items()):
            if expires <= wall:
                self.storage.pop(key, None)
                self.expirations.pop(key, None)
                self.locks.pop(key, None)
