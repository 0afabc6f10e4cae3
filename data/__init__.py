"""Storage on SQLite through sqlite-utils. Takes and returns tokens, never numbers."""

from data.store import Store, StoreError

__all__ = ["Store", "StoreError"]
