"""Read-only listings for the caseworkers' desk and the members' feed: never a token.

Warnings, members and per-month counts. Every query selects named columns, so a
token column can never slip into an answer.
"""

import json

from data.store import Store


def _rows(cursor) -> list[dict]:
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


# -- warnings ---------------------------------------------------------------

_WARNING_STATUS = """
    CASE WHEN status = 'withdrawn' THEN 'withdrawn'
         WHEN incident_date < :cutoff THEN 'expired'
         ELSE 'published' END
"""


def warnings(store: Store, cutoff: str, status: str | None, limit: int, offset: int) -> list[dict]:
    """Warnings newest first, with their status: published (counting), withdrawn or expired."""
    sql = f"""
        SELECT * FROM (
            SELECT id, category, substr(incident_date, 1, 7) AS month, region, summary,
                   source, (SELECT r.id FROM reports r WHERE r.warning_id = warnings.id) AS report_id,
                   {_WARNING_STATUS} AS status, created_by, created_at
            FROM warnings
        ) WHERE :status IS NULL OR status = :status
        ORDER BY id DESC LIMIT :limit OFFSET :offset
    """
    params = {"cutoff": cutoff, "status": status, "limit": limit, "offset": offset}
    return _rows(store.reader.execute(sql, params))


def alerts(store: Store, cutoff: str, published_since: str, region: str | None,
           limit: int) -> list[dict]:
    """Counting warnings published on or after ``published_since``, newest first."""
    sql = """
        SELECT category, substr(incident_date, 1, 7) AS month, region, summary,
               substr(created_at, 1, 10) AS published
        FROM warnings
        WHERE status = 'published' AND incident_date >= :cutoff AND created_at >= :since
          AND (:region IS NULL OR region = :region COLLATE NOCASE)
        ORDER BY created_at DESC, id DESC LIMIT :limit
    """
    params = {"cutoff": cutoff, "since": published_since, "region": region, "limit": limit}
    return _rows(store.reader.execute(sql, params))


def alert_regions(store: Store, cutoff: str, published_since: str) -> list[str]:
    cursor = store.reader.execute(
        "SELECT DISTINCT region FROM warnings WHERE status = 'published' AND region IS NOT NULL "
        "AND incident_date >= ? AND created_at >= ? ORDER BY region COLLATE NOCASE",
        [cutoff, published_since],
    )
    return [row[0] for row in cursor.fetchall()]


# -- members ----------------------------------------------------------------

def members(store: Store) -> list[dict]:
    cursor = store.reader.execute(
        "SELECT id, name, active, password_hash IS NOT NULL AS has_password, "
        "phone_token IS NOT NULL AS has_sms_phone, language, created_at "
        "FROM accounts WHERE role = 'member' ORDER BY name COLLATE NOCASE"
    )
    return [
        {**row, "active": bool(row["active"]), "has_password": bool(row["has_password"]),
         "has_sms_phone": bool(row["has_sms_phone"])}
        for row in _rows(cursor)
    ]


# -- per month --------------------------------------------------------------

def monthly_counts(store: Store, first_month: str) -> dict[str, dict[str, int]]:
    """Counts per ``YYYY-MM`` from ``first_month`` on; months without any are absent.

    ``members_before`` is the number of member accounts created before ``first_month``.
    """
    queries = {
        "new_members": "SELECT substr(created_at, 1, 7) m, count(*) FROM accounts "
                       "WHERE role = 'member' AND created_at >= ? GROUP BY m",
        "reports": "SELECT substr(created_at, 1, 7) m, count(*) FROM reports "
                   "WHERE created_at >= ? GROUP BY m",
        "warnings_published": "SELECT substr(created_at, 1, 7) m, count(*) FROM warnings "
                              "WHERE created_at >= ? GROUP BY m",
        "checks": "SELECT substr(day, 1, 7) m, sum(checks) FROM check_counts "
                  "WHERE day >= ? GROUP BY m",
        "checks_with_warnings": "SELECT substr(day, 1, 7) m, sum(hits) FROM check_counts "
                                "WHERE day >= ? GROUP BY m",
    }
    counts: dict[str, dict[str, int]] = {}
    for name, sql in queries.items():
        for month, value in store.reader.execute(sql, [first_month]).fetchall():
            counts.setdefault(month, {})[name] = value or 0
    return counts


def members_before(store: Store, first_month: str) -> int:
    return store.reader.execute(
        "SELECT count(*) FROM accounts WHERE role = 'member' AND created_at < ?", [first_month]
    ).fetchone()[0]


# -- audit ------------------------------------------------------------------

def events_since(store: Store, action: str, since: str) -> list[dict]:
    """Audit events of one action at or after ``since`` (ISO), newest first."""
    cursor = store.reader.execute(
        "SELECT at, actor, action, details FROM audit WHERE action = ? AND at >= ? "
        "ORDER BY id DESC", [action, since])
    return [{"at": at, "actor": actor, "action": act, **json.loads(details)}
            for at, actor, act, details in cursor.fetchall()]
