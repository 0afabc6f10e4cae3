"""The schema, as numbered migrations. ``PRAGMA user_version`` records how far a database is."""

INSERTS_MARK = "warnings_inserted"
EPOCH_MARK = "warnings_epoch"  # a random value, new whenever the database is restored
NEW_EPOCH = f"""
    INSERT INTO meta (key, value) VALUES ('{EPOCH_MARK}', lower(hex(randomblob(8))))
    ON CONFLICT (key) DO UPDATE SET value = excluded.value
"""
INSERT_TRIGGER_NAME = "warnings_count_inserts"
INSERT_TRIGGER = f"""
    CREATE TRIGGER {INSERT_TRIGGER_NAME} AFTER INSERT ON warnings BEGIN
        INSERT INTO meta (key, value) VALUES ('{INSERTS_MARK}', '1')
        ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;
    END
"""

MIGRATIONS = [
    # 1: warnings keyed by number token, accounts, audit trail, check counters.
    """
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE accounts (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE COLLATE NOCASE,
        role TEXT NOT NULL CHECK (role IN ('member', 'caseworker')),
        token_hash BLOB UNIQUE,
        password_hash TEXT,
        phone_token BLOB UNIQUE,
        language TEXT NOT NULL DEFAULT 'nl',
        active INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL
    );
    CREATE TABLE warnings (
        id INTEGER PRIMARY KEY,
        token BLOB NOT NULL,
        category TEXT NOT NULL,
        incident_date TEXT NOT NULL,
        region TEXT,
        summary TEXT,
        source TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'published'
            CHECK (status IN ('published', 'withdrawn')),
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        withdrawn_at TEXT,
        withdraw_reason TEXT
    );
    CREATE INDEX warnings_by_token ON warnings (token);
    CREATE INDEX warnings_by_date ON warnings (incident_date);
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        details TEXT NOT NULL DEFAULT '{}'
    );
    CREATE TABLE check_counts (
        day TEXT NOT NULL,
        channel TEXT NOT NULL,
        checks INTEGER NOT NULL DEFAULT 0,
        hits INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (day, channel)
    );
    """,
    # 2: SMS gateways retry: a keyed hash of each (gateway, message id) answered, pruned after days.
    """
    CREATE TABLE sms_messages (
        id_hash BLOB PRIMARY KEY,
        received_at TEXT NOT NULL
    );
    CREATE INDEX sms_messages_by_time ON sms_messages (received_at);
    """,
    # 3: incident reports from members, reviewed by caseworkers (issue 5).
    # A report's number is a token like a warning's (NULL when the member gave none);
    # its free text is stored scrubbed. A published report points at its warning.
    """
    CREATE TABLE reports (
        id INTEGER PRIMARY KEY,
        reporter_id INTEGER NOT NULL REFERENCES accounts (id),
        token BLOB,
        category TEXT NOT NULL,
        incident_date TEXT NOT NULL,
        region TEXT,
        what_happened TEXT NOT NULL,
        client_description TEXT,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'published', 'rejected')),
        reviewed_by TEXT,
        reviewed_at TEXT,
        reject_reason TEXT,
        warning_id INTEGER REFERENCES warnings (id) ON DELETE SET NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX reports_by_status ON reports (status, id);
    CREATE INDEX reports_by_reporter ON reports (reporter_id, id);
    CREATE INDEX reports_by_warning ON reports (warning_id);
    CREATE INDEX warnings_by_created ON warnings (created_at)
    """,
    # 4: a check's lookup (token, then incident dates newest first) served by one index,
    # without a sort: the token index becomes (token, incident_date), rowid last.
    """
    CREATE INDEX warnings_by_token_date ON warnings (token, incident_date);
    DROP INDEX warnings_by_token;
    """,
    # 5: every insert into warnings counts itself in meta ('warnings_inserted'), so that a
    # process holding the tokens that have warnings in memory (data.warned) knows when to
    # read the new ones; a restore gives the count a new epoch. A list: the trigger's body
    # has semicolons of its own.
    [
        f"INSERT OR IGNORE INTO meta (key, value) VALUES ('{INSERTS_MARK}', '0')",
        NEW_EPOCH,
        INSERT_TRIGGER,
    ],
]

SCHEMA_VERSION = len(MIGRATIONS)
