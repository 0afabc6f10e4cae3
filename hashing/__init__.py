"""The only package that sees a raw phone number.

It turns what a person typed into a canonical number (``normalize``), finds
numbers in free text (``find_numbers``, ``scrub``) and turns numbers and
secrets into keyed BLAKE3 tokens (``Hasher``). Nothing here does I/O except
``keys``, which reads and writes the secret key file.
"""

from hashing.keys import (
    KEY_BYTES,
    KeyProblem,
    fingerprint,
    generate_key_file,
    load_key,
    load_keys,
    new_key,
    parse_key_hex,
    write_key_file,
)
from hashing.numbers import (
    InvalidNumber,
    Number,
    find_numbers,
    is_known_region,
    load_metadata,
    normalize,
    scrub,
)
from hashing.tokens import Hasher, session_secret

__all__ = [
    "KEY_BYTES",
    "Hasher",
    "InvalidNumber",
    "KeyProblem",
    "Number",
    "find_numbers",
    "fingerprint",
    "generate_key_file",
    "is_known_region",
    "load_key",
    "load_keys",
    "new_key",
    "write_key_file",
    "load_metadata",
    "normalize",
    "parse_key_hex",
    "scrub",
    "session_secret",
]
