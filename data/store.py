"""The Store: every query the domain needs, and nothing that sees a phone number.

Writes go through one writable connection per thread, inside ``transaction()``
(``BEGIN IMMEDIATE`` around sqlite-utils' ``db.atomic()``), so that several
processes can write without deadlocking on a lock upgrade. Lookups use a
separate read-only connection, which cannot write even by mistake.
"""

import json
import sqlite3
import threading
from contextlib import contextmanager
from itertools import islice
from pathlib import Path

import sqlite_utils

from data.schema import (
    EPOCH_MARK, INSERT_TRIGGER, INSERT_TRIGGER_NAME, INSERTS_MARK, MIGRATIONS, SCHEMA_VERSION,
)

BUSY_TIMEOUT_MS = 5000
# A large import inserts into the token index at random places: with SQLite's default 2 MB
# page cache most inserts re-read index pages (about 30,000 rows/s at a million rows). A
# 64 MB cache while importing keeps it several times faster, and memory still bounded.
IMPORT_CACHE_KIB = 64 * 1024
# Indexes whose keys arrive in random order during an import. Once an import has
# inserted more rows than the table held before (and at least REBUILD_AFTER_ROWS),
# they are dropped and built again at its end, in the same transaction: sorting
# once is cheaper than a random B-tree insert per row (10.1 against 7.4 us a row
# for 1,000,000 rows). A rollback brings them back like everything else.
REBUILT_INDEXES = ("warnings_by_date", "warnings_by_token_date")
REBUILD_AFTER_ROWS = 50_000
IMPORT_BATCH_ROWS = 10_000
# Lookups read the database through a memory map: a token lookup in a million warnings then
# costs no read() system call per page (about half the time of a lookup). The pages are the
# OS's file cache, shared by every worker; only the pages touched count in a worker's RSS.
READER_MMAP_BYTES = 256 * 1024 * 1024
WARNING_COLUMNS = frozenset({"token", "category", "incident_date", "region", "summary", "source",
                             "status", "created_by", "created_at"})


class StoreError(Exception):
    """The database cannot be used (missing, newer than this program, corrupt)."""


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")


class Store:
    def __init__(self, path):
        self.path = Path(path)
        self._local = threading.local()

    # -- connections -------------------------------------------------------

    @property
    def db(self) -> sqlite_utils.Database:
        db = getattr(self._local, "db", None)
        if db is None:
            conn = sqlite3.connect(self.path, isolation_level=None)
            _configure(conn)
            conn.execute("PRAGMA journal_mode = WAL")
            # Durable against process crashes; a power cut may lose the last commits.
            conn.execute("PRAGMA synchronous = NORMAL")
            db = self._local.db = sqlite_utils.Database(conn)
        return db

    @property
    def reader(self) -> sqlite3.Connection:
        conn = getattr(self._local, "reader", None)
        if conn is None:
            uri = self.path.absolute().as_uri() + "?mode=ro"
            conn = sqlite3.connect(uri, uri=True, isolation_level=None)
            _configure(conn)
            conn.execute(f"PRAGMA mmap_size = {READER_MMAP_BYTES}")
            conn.row_factory = sqlite3.Row
            self._local.reader = conn
        return conn

    def close(self) -> None:
        for name in ("db", "reader"):
            handle = getattr(self._local, name, None)
            if handle is not None:
                (handle.conn if name == "db" else handle).close()
                setattr(self._local, name, None)

    @contextmanager
    def transaction(self):
        """One all-or-nothing write; nested calls become savepoints."""
        db = self.db
        if db.conn.in_transaction:
            with db.atomic():
                yield db
            return
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            with db.atomic():
                yield db
        except BaseException:
            if db.conn.in_transaction:
                db.conn.execute("ROLLBACK")
            raise
        db.conn.execute("COMMIT")

    # -- schema ------------------------------------------------------------

    def exists(self) -> bool:
        return self.path.exists()

    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def migrate(self) -> int:
        """Bring the schema up to date; return how many migrations ran."""
        version = self.schema_version()
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"The database has schema version {version}, newer than this "
                f"program knows ({SCHEMA_VERSION}). Upgrade the program."
            )
        with self.transaction() as db:
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                statements = script if isinstance(script, list) else script.split(";")
                for statement in filter(str.strip, statements):
                    db.execute(statement)
                db.execute(f"PRAGMA user_version = {number}")
        return SCHEMA_VERSION - version

    def require_current(self) -> None:
        if not self.exists():
            raise StoreError(f"No database at {self.path}. Run `checker init` first.")
        version = self.schema_version()
        if version != SCHEMA_VERSION:
            raise StoreError(
                f"The database has schema version {version}, this program needs "
                f"{SCHEMA_VERSION}. Run `checker init` to migrate it."
            )

    # -- meta --------------------------------------------------------------

    def get_meta(self, key: str):
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db["meta"].upsert({"key": key, "value": value}, pk="key")

    # -- warnings ----------------------------------------------------------

    def insert_warning(self, row: dict) -> int:
        with self.transaction() as db:
            return db["warnings"].insert(row).last_pk

    def insert_warning_rows(self, columns, rows) -> int:
        """Insert tuples (in ``columns`` order) inside the caller's transaction; return how many."""
        assert set(columns) <= WARNING_COLUMNS
        conn = self.db.conn
        sql = f"INSERT INTO warnings ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        previous = conn.execute("PRAGMA cache_size").fetchone()[0]
        conn.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
        try:
            return self._insert_in_batches(conn, sql, iter(rows))
        finally:
            conn.execute(f"PRAGMA cache_size = {int(previous)}")

    def _insert_in_batches(self, conn, sql: str, rows) -> int:
        """The insert trigger (data.schema, migration 5) would cost each row an update of
        its count, more than the insert itself: it is dropped for the batches and the rows
        are counted once, all inside the caller's transaction (a rollback undoes both)."""
        assert conn.in_transaction, "the trigger must not be missing outside a transaction"
        conn.execute(f"DROP TRIGGER {INSERT_TRIGGER_NAME}")
        inserted = self._insert_batches(conn, sql, rows)
        conn.execute(INSERT_TRIGGER)
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + excluded.value",
            [INSERTS_MARK, str(inserted)],
        )
        return inserted

    def _insert_batches(self, conn, sql: str, rows) -> int:
        rebuild_at = max(REBUILD_AFTER_ROWS, conn.execute("SELECT count(*) FROM warnings").fetchone()[0])
        dropped: list[str] = []
        inserted = 0
        while True:
            count = max(0, conn.executemany(sql, islice(rows, IMPORT_BATCH_ROWS)).rowcount)
            inserted += count
            if count < IMPORT_BATCH_ROWS:
                break
            if inserted >= rebuild_at and not dropped:
                dropped = self._drop_random_order_indexes(conn)
        for create in dropped:
            conn.execute(create)
        return inserted

    @staticmethod
    def _drop_random_order_indexes(conn) -> list[str]:
        """Drop REBUILT_INDEXES; return the statements that create them again."""
        marks = ", ".join("?" * len(REBUILT_INDEXES))
        found = conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name IN ({marks})",
            REBUILT_INDEXES,
        ).fetchall()
        for name, _ in found:
            conn.execute(f'DROP INDEX "{name}"')
        return [create for _, create in found]

    # -- tokens that have warnings (data.warned) ------------------------------

    @contextmanager
    def snapshot(self):
        """Reads that see one state of the database (a read transaction on the reader)."""
        conn = self.reader
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def write_stamp(self) -> int:
        """A number that changes whenever another connection (of any process) commits
        a change: SQLite's ``PRAGMA data_version``, on this thread's reader.

        SQLite reads it from its own WAL index. This process must not open the ``-shm``
        (or database) file itself: closing any descriptor of a file drops every POSIX
        lock the process holds on it, SQLite's included, and SQLite relies on those
        (another process could then reset the WAL index under this one's readers)."""
        return self.reader.execute("PRAGMA data_version").fetchone()[0]

    def warnings_inserted(self) -> tuple[str | None, int]:
        """(epoch, how many warnings were inserted in it): the trigger's count, which
        starts a new epoch when the database is restored (``maintenance.restore_from``)."""
        marks = dict(self.reader.execute(
            "SELECT key, value FROM meta WHERE key IN (?, ?)", [EPOCH_MARK, INSERTS_MARK]))
        return marks.get(EPOCH_MARK), int(marks.get(INSERTS_MARK) or 0)

    def warning_token_prefixes(self, batch: int = 65_536):
        """The first 8 bytes of every warning's token (any status), in byte order, in
        chunks of concatenated prefixes: read from the token index, without a sort."""
        cursor = self.reader.cursor()
        cursor.row_factory = None
        cursor.execute("SELECT substr(token, 1, 8) FROM warnings ORDER BY token")
        while chunk := cursor.fetchmany(batch):
            yield b"".join(row[0] for row in chunk)

    def newest_warning_token_prefixes(self, count: int) -> list[bytes]:
        """The first 8 bytes of the tokens of the ``count`` warnings with the highest ids."""
        cursor = self.reader.cursor()
        cursor.row_factory = None
        return [row[0] for row in cursor.execute(
            "SELECT substr(token, 1, 8) FROM warnings ORDER BY id DESC LIMIT ?", [count])]

    def counting_warnings(self, token: bytes, since: str) -> list[sqlite3.Row]:
        """Published warnings for a token with an incident date on or after ``since``."""
        return self.reader.execute(
            "SELECT category, incident_date, region, summary FROM warnings "
            "WHERE token = ? AND status = 'published' AND incident_date >= ? "
            "ORDER BY incident_date DESC, id DESC",
            [token, since],
        ).fetchall()

    def get_warning(self, warning_id: int):
        row = self.db.execute(
            "SELECT id, category, incident_date, region, status FROM warnings WHERE id = ?",
            [warning_id],
        ).fetchone()
        return dict(zip(("id", "category", "incident_date", "region", "status"), row)) if row else None

    def mark_withdrawn(self, warning_id: int, at: str, reason: str) -> None:
        self.db.execute(
            "UPDATE warnings SET status = 'withdrawn', withdrawn_at = ?, withdraw_reason = ? "
            "WHERE id = ? AND status = 'published'",
            [at, reason, warning_id],
        )

    def delete_warnings_before(self, cutoff: str) -> int:
        return self.db.execute(
            "DELETE FROM warnings WHERE incident_date < ?", [cutoff]
        ).rowcount

    # -- accounts ----------------------------------------------------------

    def insert_account(self, row: dict) -> int:
        return self.db["accounts"].insert(row).last_pk

    def set_account(self, account_id: int, **values) -> None:
        self.db["accounts"].update(account_id, values)

    def account_by(self, column: str, value):
        assert column in ("token_hash", "phone_token", "name", "id")
        cursor = self.reader.execute(
            "SELECT id, name, role, active, language, password_hash FROM accounts "
            f"WHERE {column} = ?",
            [value],
        )
        row = cursor.fetchone()
        return dict(row) if row else None

    # -- gateway messages ----------------------------------------------------

    def claim_message(self, id_hash: bytes, at: str, prune_before: str) -> bool:
        """Record a message id hash; False if it was recorded already. Prunes old ones."""
        with self.transaction() as db:
            db.execute("DELETE FROM sms_messages WHERE received_at < ?", [prune_before])
            return db.execute(
                "INSERT OR IGNORE INTO sms_messages (id_hash, received_at) VALUES (?, ?)",
                [id_hash, at],
            ).rowcount == 1

    # -- audit -------------------------------------------------------------

    def add_event(self, at: str, actor: str, action: str, details: dict) -> None:
        self.db["audit"].insert(
            {"at": at, "actor": actor, "action": action, "details": json.dumps(details)}
        )

    def events(self, limit: int | None = None) -> list[dict]:
        sql = "SELECT at, actor, action, details FROM audit ORDER BY id DESC"
        params: list = []
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [
            {"at": at, "actor": actor, "action": action, **json.loads(details)}
            for at, actor, action, details in self.db.execute(sql, params)
        ]

    # -- counters ----------------------------------------------------------

    def add_check_counts(self, rows) -> None:
        """Add ``(day, channel, checks, hits)`` rows to the counters in one transaction."""
        with self.transaction() as db:
            db.conn.executemany(
                "INSERT INTO check_counts (day, channel, checks, hits) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (day, channel) DO UPDATE SET "
                "checks = checks + excluded.checks, hits = hits + excluded.hits",
                rows,
            )

    def counts(self, since: str) -> dict:
        """Counts only, for statistics: never a token, never a number."""
        one = lambda sql, *p: self.db.execute(sql, p).fetchone()[0] or 0  # noqa: E731
        return {
            "warnings": one(
                "SELECT count(*) FROM warnings WHERE status = 'published' AND incident_date >= ?",
                since,
            ),
            "withdrawn": one("SELECT count(*) FROM warnings WHERE status = 'withdrawn'"),
            "expired": one(
                "SELECT count(*) FROM warnings WHERE status = 'published' AND incident_date < ?",
                since,
            ),
            "members": one(
                "SELECT count(*) FROM accounts WHERE role = 'member' AND active = 1"
            ),
            "caseworkers": one(
                "SELECT count(*) FROM accounts WHERE role = 'caseworker' AND active = 1"
            ),
            "checks": one("SELECT sum(checks) FROM check_counts"),
            "hits": one("SELECT sum(hits) FROM check_counts"),
        }

