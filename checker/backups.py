"""``checker backup`` and ``checker restore``.

A backup is a single SQLite file made with SQLite's online backup API while the service
runs. It holds tokens, never numbers, and never the key: only the key's fingerprint
(in its ``meta`` table, as every instance database does), so that a restore can refuse a
backup that the configured key cannot read.
"""

import os
from pathlib import Path

from checker.errors import Refused, SetupProblem
from checker.instance import FINGERPRINT, configured_keys, open_checker
from checker.service import utc_now
from checker.settings import Settings
from data import Store, StoreError
from data.maintenance import (
    backup_to,
    integrity_problems,
    read_meta,
    restore_from,
    schema_version_of,
)
from data.schema import SCHEMA_VERSION
from hashing import fingerprint


def backup(settings: Settings, target, actor: str) -> dict:
    checker = open_checker(settings)
    target = Path(target)
    partial = target.with_name(target.name + ".partial")
    if target.exists() or partial.exists():
        raise Refused(f"{target} (or {partial.name}) exists already: choose a new file name.")
    backed_up_at = utc_now()
    try:
        backup_to(checker.store, partial, {"backup_at": backed_up_at})
    except StoreError as exc:
        partial.unlink(missing_ok=True)
        raise Refused(str(exc)) from None
    problems = integrity_problems(partial)
    if problems:
        partial.unlink()
        raise Refused("The backup failed its integrity check: " + "; ".join(problems[:5]))
    os.chmod(partial, 0o600)
    os.replace(partial, target)
    checker._audit(actor, "backup", backup_at=backed_up_at)
    return {"path": str(target), "key_fingerprint": checker.key_fingerprint,
            "backup_at": backed_up_at, "bytes": target.stat().st_size}


def restore(settings: Settings, source, actor: str) -> dict:
    source = Path(source)
    if not source.is_file():
        raise Refused(f"There is no backup file {source}.")
    backup_fingerprint = _checked_backup(source)
    given = fingerprint(configured_keys(settings))
    if backup_fingerprint != given:
        raise Refused(
            f"The backup was made with key {backup_fingerprint}, the configured key is {given}. "
            "Refusing to restore it: its warnings would never match. Configure the key the "
            "backup was made with (a backup made before a key rotation needs the old chain)."
        )
    settings.instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    store = Store(settings.database_path)
    try:
        restore_from(store, source)
        store.migrate()
        problems = integrity_problems(settings.database_path)
        if problems:
            raise Refused("The restored database failed its integrity check: " + problems[0])
        store.add_event(utc_now(), actor, "restored",
                        {"backup_at": store.get_meta("backup_at")})
    except StoreError as exc:
        raise SetupProblem(str(exc)) from None
    finally:
        store.close()
    return {"restored": str(source), "key_fingerprint": given,
            "backup_at": read_meta(settings.database_path, "backup_at")}


def _checked_backup(source: Path) -> str:
    problems = integrity_problems(source)
    if problems:
        raise Refused(f"{source} is not an intact database: " + "; ".join(problems[:5]))
    found = read_meta(source, FINGERPRINT)
    if found is None:
        raise Refused(f"{source} is not a backup of a checker instance (no key fingerprint).")
    if schema_version_of(source) > SCHEMA_VERSION:
        raise Refused(f"{source} comes from a newer version of this program: upgrade first.")
    return found
