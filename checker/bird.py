"""Sending replies through Bird's Channels API, with retries kept in memory only.

A reply states a number and goes to a phone number, so it must never be
written to disk (not even to a queue file). Replies wait in a bounded
in-memory outbox; one background thread sends them and retries failures
(connection errors, 429 and 5xx) with exponential backoff, up to ``max_age``.
The limit: a restart loses the replies still queued. When the outbox is full
the web view answers 503 without claiming the message, so that Bird delivers
it again later instead of it being lost.
"""

import json
import logging
import threading
from contextlib import contextmanager
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class BirdConfig:
    api_url: str
    workspace_id: str
    channel_id: str
    access_key: str

    @property
    def messages_url(self) -> str:
        return (f"{self.api_url.rstrip('/')}/workspaces/{self.workspace_id}"
                f"/channels/{self.channel_id}/messages")

    def __repr__(self) -> str:
        return f"BirdConfig({self.api_url!r}, <ids and key hidden>)"


class OutboxFull(Exception):
    """No room for another reply: the caller should have the message delivered again later."""


class SendFailed(Exception):
    def __init__(self, reason: str, retryable: bool):
        super().__init__(reason)
        self.retryable = retryable


def send_message(config: BirdConfig, recipient: str, text: str, timeout: float = 10.0) -> None:
    """POST one text message; raise SendFailed (saying whether to retry) unless Bird accepts it."""
    body = json.dumps({
        "receiver": {"contacts": [{"identifierKey": "phonenumber", "identifierValue": recipient}]},
        "body": {"type": "text", "text": {"text": text}},
    }).encode("utf-8")
    request = urllib.request.Request(config.messages_url, data=body, method="POST", headers={
        "Authorization": f"AccessKey {config.access_key}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    })
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
    except urllib.error.HTTPError as err:
        raise SendFailed(f"HTTP {err.code}", err.code in RETRYABLE_STATUS) from None
    except (OSError, ValueError) as exc:  # URLError, timeouts, refused connections
        raise SendFailed(exc.__class__.__name__, True) from None


@dataclass
class _Item:
    recipient: str
    text: str
    created: float
    attempts: int = 0
    due: float = 0.0

    def __repr__(self) -> str:
        return f"_Item(<hidden>, attempts={self.attempts})"


@dataclass
class OutboxStats:
    """Counts only, never a number or a text."""

    sent: int = 0
    retried: int = 0
    dropped: int = 0


class Outbox:
    """A bounded in-memory queue of replies and the thread that sends them."""

    def __init__(self, config: BirdConfig, size: int = 1000, base_delay: float = 1.0,
                 max_delay: float = 300.0, max_age: float = 6 * 3600.0, sender=send_message):
        self.config = config
        self.size = size
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_age = max_age
        self._send = sender
        self._items: deque[_Item] = deque()
        self._cond = threading.Condition()
        self._thread = None
        self._closed = False
        self._in_flight = 0
        self._reserved = 0
        self.stats = OutboxStats()

    def __repr__(self) -> str:
        return f"Outbox(pending={len(self._items)})"

    @contextmanager
    def slot(self):
        """Reserve room for one reply before the message is handled (raise OutboxFull if
        there is none); inside, ``send(recipient, text)`` queues the reply, at most once."""
        with self._cond:
            if self._closed or self._used() >= self.size:
                raise OutboxFull()
            self._reserved += 1
        queued = []

        def send(recipient: str, text: str) -> None:
            if not queued:
                queued.append(True)
                self._queue(_Item(recipient, text, time.monotonic()))

        try:
            yield send
        finally:
            with self._cond:
                self._reserved -= 1

    def _used(self) -> int:
        """Queued, being sent, or reserved: each needs its place (caller holds the lock)."""
        return len(self._items) + self._in_flight + self._reserved

    def _queue(self, item: _Item) -> None:
        with self._cond:
            self._items.append(item)
            self._start()
            self._cond.notify()

    def pending(self) -> int:
        """Replies not sent yet: queued or being sent."""
        with self._cond:
            return len(self._items) + self._in_flight

    def close(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="bird-outbox", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            item = self._next_due()
            if item is None:
                return
            self._attempt(item)

    def _next_due(self):
        """The first item that is due, waiting until one is; None once closed."""
        with self._cond:
            while not self._closed:
                now = time.monotonic()
                due = [item for item in self._items if item.due <= now]
                if due:
                    self._items.remove(due[0])
                    self._in_flight += 1
                    return due[0]
                wait = min((item.due for item in self._items), default=now + 60) - now
                self._cond.wait(timeout=max(0.01, wait))
            return None

    def _attempt(self, item: _Item) -> None:
        item.attempts += 1
        try:
            self._send(self.config, item.recipient, item.text)
        except SendFailed as exc:
            self._failed(item, exc)
        except Exception as exc:  # never let the worker die
            self._failed(item, SendFailed(exc.__class__.__name__, True))
        else:
            self.stats.sent += 1
        finally:
            with self._cond:
                self._in_flight -= 1

    def _failed(self, item: _Item, exc: SendFailed) -> None:
        too_old = time.monotonic() - item.created > self.max_age
        if not exc.retryable or too_old:
            self.stats.dropped += 1
            log.error("Bird reply dropped after %d attempts (%s)", item.attempts, exc)
            return
        delay = min(self.max_delay, self.base_delay * 2 ** (item.attempts - 1))
        item.due = time.monotonic() + delay
        self.stats.retried += 1
        log.warning("Bird reply not sent (%s); retry %d in %.1f s", exc, item.attempts, delay)
        self._queue(item)
