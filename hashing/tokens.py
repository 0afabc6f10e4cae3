"""Keyed BLAKE3 tokens.

Phone numbers are low-entropy (about 10^8 Dutch mobiles), so an unkeyed or
salted hash is reversed by trying them all. Every token is keyed with a subkey
derived from the instance's secret key, one subkey per purpose, so that a
token of one kind can never be confused with, or used as, another.
"""

from blake3 import blake3

from hashing.numbers import Number

_NUMBER_CONTEXT = "sexwork-safety checker 2026-12-04 phone number token v1"
_SECRET_CONTEXT = "sexwork-safety checker 2026-12-04 access token v1"
_SESSION_CONTEXT = "sexwork-safety checker 2026-12-04 web session secret v1"


def derive_subkey(key: bytes, context: str) -> bytes:
    return blake3(key, derive_key_context=context).digest()


def session_secret(key: bytes) -> bytes:
    """The secret that signs the web's session cookies: a subkey of its own, so that
    the web framework never holds the key that number tokens are made with."""
    return derive_subkey(key, _SESSION_CONTEXT)


class Hasher:
    """Turns numbers and access secrets into 32-byte tokens under one secret key."""

    __slots__ = ("_number_key", "_secret_key")

    def __init__(self, key: bytes):
        self._number_key = derive_subkey(key, _NUMBER_CONTEXT)
        self._secret_key = derive_subkey(key, _SECRET_CONTEXT)

    def __repr__(self) -> str:
        return "Hasher(<key hidden>)"

    def number_token(self, number: Number) -> bytes:
        return blake3(number.e164.encode("ascii"), key=self._number_key).digest()

    def secret_hash(self, secret: str) -> bytes:
        return blake3(secret.encode("utf-8"), key=self._secret_key).digest()
