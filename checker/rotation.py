"""``checker key rotate``: a new key on top of the old ones, every stored token re-wrapped.

The key file becomes a chain (oldest first). Every number token, phone token and
access-token hash is replaced by its keyed BLAKE3 hash under the new key's subkey, in one
transaction together with the new fingerprint. From then on lookups compute
H_new(H_old(number)), so the old key alone matches nothing stored.

Order of the steps, so that a failure at any point leaves a usable instance:
1. the new chain is written to ``hash.key.new`` (mode 0600, synced);
2. one transaction re-wraps every token and stores the new fingerprint: on any error it
   rolls back and ``hash.key.new`` is deleted, leaving the old state;
3. ``hash.key.new`` is renamed over the key file (atomic).
A crash between 2 and 3 leaves the database on the new chain, which is in ``hash.key.new``:
README says how to finish by hand.
"""

import os
from dataclasses import dataclass

from checker.errors import Refused
from checker.instance import FINGERPRINT, configured_keys, key_file_path, open_checker
from checker.service import utc_now
from checker.settings import Settings
from data.maintenance import rewrap_column
from hashing import Hasher, fingerprint, new_key, write_key_file


@dataclass(frozen=True)
class Rotation:
    old_fingerprint: str
    fingerprint: str
    key_file: str
    keys_in_chain: int
    warnings: int
    reports: int
    phones: int
    access_tokens: int

    def as_json(self) -> dict:
        return self.__dict__.copy()


def rotate_key(settings: Settings, actor: str) -> Rotation:
    if settings.hash_key is not None:
        raise Refused(
            "The key comes from CHECKER_HASH_KEY, which this command cannot rewrite. "
            "Put the key in a file (CHECKER_KEY_FILE or INSTANCE/hash.key), unset "
            "CHECKER_HASH_KEY and rotate again."
        )
    checker = open_checker(settings)  # refuses a wrong or partial chain
    old_keys = configured_keys(settings)
    chain = (*old_keys, new_key())
    path = key_file_path(settings)
    pending = path.with_name(path.name + ".new")
    if pending.exists():
        raise Refused(f"{pending} exists: an earlier rotation did not finish. See README "
                      "(Key rotation) before rotating again.")
    try:
        write_key_file(pending, chain)
    except OSError as exc:
        raise Refused(f"Cannot write the new key file {pending}: {exc.strerror}.") from None
    try:
        counts = _rewrap_everything(checker, Hasher(chain), fingerprint(chain), actor)
    except BaseException:
        pending.unlink()
        raise
    os.replace(pending, path)
    _sync_folder(path.parent)
    return Rotation(checker.key_fingerprint, fingerprint(chain), str(path), len(chain), **counts)


def _rewrap_everything(checker, new_hasher: Hasher, new_fingerprint: str, actor: str) -> dict:
    store = checker.store
    with store.transaction():
        counts = {
            "warnings": rewrap_column(store, "warnings", "token", new_hasher.rewrap_number_token),
            "reports": rewrap_column(store, "reports", "token", new_hasher.rewrap_number_token),
            "phones": rewrap_column(store, "accounts", "phone_token",
                                    new_hasher.rewrap_number_token),
            "access_tokens": rewrap_column(store, "accounts", "token_hash",
                                           new_hasher.rewrap_secret_hash),
        }
        store.set_meta(FINGERPRINT, new_fingerprint)
        store.add_event(utc_now(), actor, "key_rotated", {
            "old_fingerprint": checker.key_fingerprint, "fingerprint": new_fingerprint, **counts})
    return counts


def _sync_folder(folder) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
