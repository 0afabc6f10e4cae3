"""The instance's secret key: 32 random bytes kept as 64 hex characters.

There is no default key. Where it comes from, in order: an explicit hex value
(``CHECKER_HASH_KEY``), an explicit file (``CHECKER_KEY_FILE``), the instance's
``hash.key``. A fingerprint (a one-way derivation) identifies a key without
revealing it; the database stores it so that a wrong key is refused.

After ``checker key rotate`` the key is a *chain*: several keys, oldest first, one
64-hex key per line in the key file (``CHECKER_HASH_KEY``: comma-separated). A number
token is then the oldest key's token re-hashed under each later key in turn. The
fingerprint of a chain is that of all its keys together, so a partial chain is refused.
"""

import os
import secrets
from pathlib import Path

from blake3 import blake3

KEY_BYTES = 32
_FINGERPRINT_CONTEXT = "sexwork-safety checker 2026-12-04 key fingerprint v1"


class KeyProblem(Exception):
    """The key is missing, unreadable or malformed. The message says what to do."""


def parse_key_hex(text, source: str) -> bytes:
    text = str(text).strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise KeyProblem(
            f"The secret key from {source} must be {KEY_BYTES * 2} hexadecimal characters."
        )
    return key


def parse_key_chain(text, source: str) -> tuple[bytes, ...]:
    """One key per line (or comma-separated), oldest first; blank lines are ignored."""
    parts = [p for p in str(text).replace(",", "\n").split() if p]
    if not parts:
        raise KeyProblem(f"The secret key from {source} is empty.")
    return tuple(parse_key_hex(part, source) for part in parts)


def fingerprint(key) -> str:
    """Fingerprint of one key, or of a chain of keys (all of them, in order)."""
    material = key if isinstance(key, bytes) else b"".join(key)
    return blake3(material, derive_key_context=_FINGERPRINT_CONTEXT).hexdigest()[:16]


def load_key(hex_value=None, key_file=None, instance_key_file=None) -> bytes:
    """The one key from the first source given (see ``load_keys`` for a rotated chain)."""
    keys = load_keys(hex_value, key_file, instance_key_file)
    if len(keys) != 1:
        raise KeyProblem("The key is a chain of rotated keys; this needs a single key.")
    return keys[0]


def load_keys(hex_value=None, key_file=None, instance_key_file=None) -> tuple[bytes, ...]:
    """Load the key chain from the first source given; raise KeyProblem if there is none."""
    if hex_value not in (None, ""):
        return parse_key_chain(hex_value, "CHECKER_HASH_KEY")
    path = Path(key_file) if key_file else Path(instance_key_file) if instance_key_file else None
    if path is None or not path.exists():
        where = f" (looked for {path})" if path else ""
        raise KeyProblem(
            "No secret key found" + where + ". Run `checker init` to create one, "
            "or set CHECKER_HASH_KEY or CHECKER_KEY_FILE to the instance's key."
        )
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyProblem(f"Cannot read the key file {path}: {exc.__class__.__name__}") from None
    return parse_key_chain(text, str(path))


def generate_key_file(path) -> bytes:
    """Write a new random key to ``path`` with mode 0600; never overwrite an existing file."""
    key = new_key()
    write_key_file(path, [key])
    return key


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def write_key_file(path, keys) -> None:
    """Write a key chain (oldest first, one per line) to a NEW file, mode 0600, synced to disk."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write("".join(key.hex() + "\n" for key in keys))
        f.flush()
        os.fsync(f.fileno())
