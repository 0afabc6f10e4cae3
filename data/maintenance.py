"""Whole-database operations: re-wrapping stored tokens, online backups, restores.

Tokens are opaque bytes here: this package never sees a number or a key.
"""

import os
import sqlite3
from pathlib import Path

from data.schema import NEW_EPOCH
from data.store import BUSY_TIMEOUT_MS, Store, StoreError

# The columns that hold keyed tokens or hashes, and may be re-wrapped.
TOKEN_COLUMNS = {
    ("warnings", "token"),
    ("reports", "token"),
    ("accounts", "phone_token"),
    ("accounts", "token_hash"),
}


def rewrap_column(store: Store, table: str, column: str, wrap) -> int:
    """Replace every non-null value of a token column with ``wrap(value)``, inside the
    caller's transaction; return how many rows changed."""
    if (table, column) not in TOKEN_COLUMNS:
        raise ValueError(f"{table}.{column} is not a token column")
    db = store.db
    rows = db.execute(f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL").fetchall()
    db.conn.executemany(f"UPDATE {table} SET {column} = ? WHERE id = ?",
                        [(wrap(value), row_id) for row_id, value in rows])
    return len(rows)


def integrity_problems(path) -> list[str]:
    """``PRAGMA integrity_check`` of a database file: [] when it is intact."""
    try:
        conn = sqlite3.connect(Path(path).absolute().as_uri() + "?mode=ro", uri=True)
        try:
            result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return [f"not a readable SQLite database ({exc})"]
    return [] if result == ["ok"] else result


def read_meta(path, key: str):
    """A meta value from a database file (read-only), or None."""
    conn = sqlite3.connect(Path(path).absolute().as_uri() + "?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()


def schema_version_of(path) -> int:
    conn = sqlite3.connect(Path(path).absolute().as_uri() + "?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def backup_to(store: Store, target, meta: dict) -> None:
    """A consistent copy of the live database at ``target`` (a new file), made with SQLite's
    online backup API: it reads one snapshot while other connections keep writing. ``meta``
    rows are added to the copy, which is left as a single file (rollback journal, not WAL)."""
    try:
        dest = sqlite3.connect(target, isolation_level=None)
    except sqlite3.Error as exc:
        raise StoreError(f"Cannot create the backup file {target} ({exc}).") from None
    source = sqlite3.connect(store.path)
    try:
        source.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        source.backup(dest)
        dest.execute("PRAGMA journal_mode = DELETE")
        dest.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                         list(meta.items()))
    except sqlite3.Error as exc:
        raise StoreError(f"The backup failed ({exc}).") from None
    finally:
        dest.close()
        source.close()


def restore_from(store: Store, source_path) -> None:
    """Copy a backup over the live database with SQLite's backup API: one write transaction
    on the live file, so other connections see either the old or the restored data, and
    SQLite's own locking and WAL handling stay in charge (no file is swapped underneath).

    The backup is first copied beside the database (a private file, removed after), where
    it gets a new warnings epoch (``data.warned``): the live database then changes its
    contents and its epoch in that one transaction."""
    staged_path = store.path.with_name(store.path.name + ".restoring")
    source = sqlite3.connect(Path(source_path).absolute().as_uri() + "?mode=ro", uri=True)
    try:
        store.close()
        _private_new_file(staged_path)
        staged = sqlite3.connect(staged_path, isolation_level=None)
        try:
            source.backup(staged)
            staged.execute(NEW_EPOCH)
            dest = sqlite3.connect(store.path, isolation_level=None)
            try:
                dest.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                staged.backup(dest)
                dest.execute("PRAGMA journal_mode = WAL")
            finally:
                dest.close()
        finally:
            staged.close()
    except (sqlite3.DatabaseError, OSError) as exc:
        raise StoreError(f"The restore failed and the database was left as it was ({exc}).") from None
    finally:
        source.close()
        for suffix in ("", "-journal", "-wal", "-shm"):
            staged_path.with_name(staged_path.name + suffix).unlink(missing_ok=True)


def _private_new_file(path: Path) -> None:
    """An empty file only this user can read (a stale one from a crash is replaced)."""
    path.unlink(missing_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
