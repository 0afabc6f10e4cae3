"""Creating and opening an instance: its folder, secret key and database.

Nothing opens without the key the database was built with. A wrong key would
not fail loudly on its own: it would answer "no warnings" for every number.
"""

import os
from dataclasses import dataclass

from checker.errors import SetupProblem
from checker.service import Checker, utc_now
from checker.settings import Settings
from data import Store, StoreError
from hashing import Hasher, fingerprint, generate_key_file, load_keys, session_secret

FINGERPRINT = "key_fingerprint"


@dataclass(frozen=True)
class InitResult:
    instance: str
    key_fingerprint: str
    key_created: bool
    database_created: bool

    def as_json(self) -> dict:
        return self.__dict__.copy()


def configured_keys(settings: Settings) -> tuple[bytes, ...]:
    """The configured key chain (one key unless it was rotated), oldest first."""
    return load_keys(settings.hash_key, settings.key_file, settings.instance_key_file)


def key_file_path(settings: Settings):
    return settings.key_file or settings.instance_key_file


def init_instance(settings: Settings) -> InitResult:
    """Create what is missing; never overwrite a key; refuse a key the database does not know."""
    settings.instance.mkdir(mode=0o700, parents=True, exist_ok=True)
    store = Store(settings.database_path)
    database_created = not store.exists()
    try:
        known = None if database_created else _stored_fingerprint(store)
        key, key_created = _key_for_init(settings, known)
        _require_match(known, key)
        store.migrate()
        if known is None:
            store.set_meta(FINGERPRINT, fingerprint(key))
            store.set_meta("created_at", utc_now())
    except StoreError as exc:
        raise SetupProblem(str(exc)) from None
    finally:
        store.close()
    return InitResult(str(settings.instance), fingerprint(key), key_created, database_created)


def _stored_fingerprint(store: Store):
    if store.schema_version() == 0:
        return None
    return store.get_meta(FINGERPRINT)


def _key_for_init(settings: Settings, known_fingerprint):
    """Load the configured key, or create the key file when there is none to load."""
    path = key_file_path(settings)
    if settings.hash_key is None and known_fingerprint is None and not path.exists():
        return generate_key_file(path), True
    return configured_keys(settings), False


def _require_match(known, key) -> None:
    given = fingerprint(key)
    if known is not None and known != given:
        raise SetupProblem(
            f"The secret key does not match this database: the database was built with "
            f"key {known}, the key given is {given}. Refusing to start, because a wrong "
            f"key would answer 'no warnings' for every number. Set CHECKER_HASH_KEY or "
            f"CHECKER_KEY_FILE to the instance's own key."
        )


def open_checker(settings: Settings) -> Checker:
    """The Checker for an initialised instance, after checking its key."""
    store = Store(settings.database_path)
    try:
        store.require_current()
        keys = configured_keys(settings)
        known = store.get_meta(FINGERPRINT)
    except StoreError as exc:
        raise SetupProblem(str(exc)) from None
    if known is None:
        raise SetupProblem("The database has no key fingerprint. Run `checker init`.")
    _require_match(known, keys)
    _warn_if_readable(settings)
    # Sessions are signed under the newest key: a rotation signs everyone out.
    return Checker(store, Hasher(keys), settings, key_fingerprint=known,
                   session_secret=session_secret(keys[-1]))


def _warn_if_readable(settings: Settings) -> None:
    path = key_file_path(settings)
    if settings.hash_key is None and path.exists() and os.stat(path).st_mode & 0o077:
        import warnings

        warnings.warn(f"The key file {path} is readable by other users: chmod 600 it.", stacklevel=2)
