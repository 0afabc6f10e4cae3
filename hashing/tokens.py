"""Keyed BLAKE3 tokens.

Phone numbers are low-entropy (about 10^8 Dutch mobiles), so an unkeyed or
salted hash is reversed by trying them all. Every token is keyed with a subkey
derived from the instance's secret key, one subkey per purpose, so that a
token of one kind can never be confused with, or used as, another.

After key rotations the Hasher holds a chain of keys, oldest first: a token is
made under the oldest key and then re-hashed under each later key's subkey for
the same purpose (H_new(H_old(x))). Rotation re-wraps stored tokens the same way,
so the old keys alone no longer match anything stored.
"""

from blake3 import blake3

from hashing.numbers import Number

_NUMBER_CONTEXT = "sexwork-safety checker 2026-12-04 phone number token v1"
_SECRET_CONTEXT = "sexwork-safety checker 2026-12-04 access token v1"
_MESSAGE_CONTEXT = "sexwork-safety checker 2026-12-04 gateway message id v1"
_BUCKET_CONTEXT = "sexwork-safety checker 2026-12-04 daily distinct-check bucket v1"
_SESSION_CONTEXT = "sexwork-safety checker 2026-12-04 web session secret v1"


def derive_subkey(key: bytes, context: str) -> bytes:
    return blake3(key, derive_key_context=context).digest()


def _chain(data: bytes, subkeys) -> bytes:
    for subkey in subkeys:
        data = blake3(data, key=subkey).digest()
    return data
def session_secret(key: bytes) -> bytes:
    """The secret that signs the web's session cookies: a subkey of its own, so that
    the web framework never holds the key that number tokens are made with."""
    return derive_subkey(key, _SESSION_CONTEXT)


class Hasher:
    """Turns numbers and access secrets into 32-byte tokens under a secret key
    (or a chain of rotated keys, oldest first)."""

    __slots__ = ("_number_keys", "_secret_keys", "_bucket_key", "_message_key", "_day_key")

    def __init__(self, key):
        keys = [key] if isinstance(key, bytes) else list(key)
        if not keys:
            raise ValueError("a Hasher needs at least one key")
        self._number_keys = [derive_subkey(k, _NUMBER_CONTEXT) for k in keys]
        self._secret_keys = [derive_subkey(k, _SECRET_CONTEXT) for k in keys]
        self._bucket_key = derive_subkey(keys[-1], _BUCKET_CONTEXT)
        # Message ids are kept for days only, so the newest key alone serves.
        self._message_key = derive_subkey(keys[-1], _MESSAGE_CONTEXT)
        self._day_key = ("", b"")  # (day, its bucket subkey): one day at a time

    def __repr__(self) -> str:
        return "Hasher(<key hidden>)"

    def number_token(self, number: Number) -> bytes:
        """The number's token. It is kept on the Number, which lives only as long as the
        request that read it, so a check that needs it twice (the distinct-number quota,
        the lookup) hashes once."""
        memo = number._token
        if memo is not None and memo[0] is self:
            return memo[1]
        token = _chain(number.e164.encode("ascii"), self._number_keys)
        number._token = (self, token)
        return token

    def secret_hash(self, secret: str) -> bytes:
        return _chain(secret.encode("utf-8"), self._secret_keys)

    def rewrap_number_token(self, token: bytes) -> bytes:
        """A token of the chain without the newest key -> the token under the whole chain."""
        return _chain(token, self._number_keys[-1:])

    def rewrap_secret_hash(self, secret_hash: bytes) -> bytes:
        return _chain(secret_hash, self._secret_keys[-1:])

    def daily_bucket(self, token: bytes, day: str) -> str:
        """A 16-bit bucket (4 hex digits) for a number token under a subkey for ``day``.

        Used to count *distinct* numbers a member checked today without remembering
        them: 65,536 buckets, so even with the key each bucket stands for about 1,500
        Dutch mobile numbers, and a new subkey every day means buckets of different
        days cannot be linked.
        """
        day_key = self._day_key
        if day_key[0] != day:
            day_key = self._day_key = (day, blake3(day.encode("ascii"), key=self._bucket_key).digest())
        return blake3(token, key=day_key[1]).hexdigest()[:4]

    def message_token(self, message_id: str) -> bytes:
        """A gateway's message id, kept only to answer a retried message once."""
        return blake3(message_id.encode("utf-8"), key=self._message_key).digest()
