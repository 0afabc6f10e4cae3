"""Incident reports in SQLite. Rows go out without their token: only whether there is one.

Every function takes the ``Store``; writes are meant to run inside the
caller's ``store.transaction()``.
"""

from data.store import Store

# What a caseworker or the reporting member may see of a report: never the token.
_COLUMNS = """
    r.id, a.name AS reporter, r.category, r.incident_date, r.region, r.what_happened,
    r.client_description, r.token IS NOT NULL AS has_number, r.status, r.reviewed_by,
    r.reviewed_at, r.reject_reason, r.warning_id, w.status AS warning_status, r.created_at
"""
_FROM = """
    FROM reports r JOIN accounts a ON a.id = r.reporter_id
    LEFT JOIN warnings w ON w.id = r.warning_id
"""


def _rows(cursor) -> list[dict]:
    names = [column[0] for column in cursor.description]
    return [_fix(dict(zip(names, row))) for row in cursor.fetchall()]


def _fix(row: dict) -> dict:
    row["has_number"] = bool(row["has_number"])
    return row


def insert_report(store: Store, row: dict) -> int:
    return store.db["reports"].insert(row).last_pk


def report(store: Store, report_id: int) -> dict | None:
    """One report as shown to caseworkers, read on the writing connection (current state)."""
    rows = _rows(store.db.execute(f"SELECT {_COLUMNS} {_FROM} WHERE r.id = ?", [report_id]))
    return rows[0] if rows else None


def report_token(store: Store, report_id: int) -> bytes | None:
    row = store.db.execute("SELECT token FROM reports WHERE id = ?", [report_id]).fetchone()
    return row[0] if row else None


def reports_with_status(store: Store, status: str | None, limit: int) -> list[dict]:
    """Pending reports oldest first (a queue); reviewed ones newest first."""
    where, params = ("WHERE r.status = ?", [status]) if status else ("", [])
    order = "r.id ASC" if status == "pending" else "r.id DESC"
    sql = f"SELECT {_COLUMNS} {_FROM} {where} ORDER BY {order} LIMIT ?"
    return _rows(store.reader.execute(sql, [*params, limit]))


def reports_by(store: Store, reporter_id: int, limit: int) -> list[dict]:
    sql = f"SELECT {_COLUMNS} {_FROM} WHERE r.reporter_id = ? ORDER BY r.id DESC LIMIT ?"
    return _rows(store.reader.execute(sql, [reporter_id, limit]))


def mark_reviewed(store: Store, report_id: int, status: str, **values) -> bool:
    """Move a pending report to ``status``; False when it was no longer pending."""
    assignments = ", ".join(f"{name} = ?" for name in values)
    cursor = store.db.execute(
        f"UPDATE reports SET status = ?, {assignments} WHERE id = ? AND status = 'pending'",
        [status, *values.values(), report_id],
    )
    return cursor.rowcount == 1


def count_by_status(store: Store, statuses) -> dict[str, int]:
    counts = dict(store.reader.execute(
        "SELECT status, count(*) FROM reports GROUP BY status").fetchall())
    return {status: counts.get(status, 0) for status in statuses}


def delete_reports_before(store: Store, cutoff: str) -> int:
    return store.db.execute("DELETE FROM reports WHERE incident_date < ?", [cutoff]).rowcount
