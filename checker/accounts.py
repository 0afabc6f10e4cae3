"""Members and caseworkers: access tokens and passwords.

An access token is shown once and stored only as a keyed hash, so the
database alone cannot be used to sign in. Passwords are hashed with argon2id.
"""

import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

ROLES = ("member", "caseworker")
TOKEN_PREFIX = "chk_"
MAX_NAME = 64
MIN_PASSWORD = 10
MAX_PASSWORD = 1024

_passwords = PasswordHasher()  # argon2id with the library's current defaults
# Verifying against this keeps a wrong name as slow as a wrong password.
_DUMMY_HASH = _passwords.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Account:
    id: int
    name: str
    role: str
    language: str

    @property
    def is_caseworker(self) -> bool:
        return self.role == "caseworker"


@dataclass(frozen=True)
class NewAccount:
    id: int
    name: str
    token: str
    password: str | None = None  # only for a password made here (demo accounts), shown once

    def as_json(self) -> dict:
        shown = {"id": self.id, "name": self.name, "token": self.token}
        if self.password is not None:
            shown["password"] = self.password
        return shown


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_password() -> str:
    """A random password of 16 URL-safe characters (96 bits)."""
    return secrets.token_urlsafe(12)


def hash_password(password: str) -> str:
    return _passwords.hash(password)


def password_matches(password_hash: str | None, password: str) -> bool:
    try:
        return _passwords.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False
