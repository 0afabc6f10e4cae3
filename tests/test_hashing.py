"""Known answers for the hash scheme, the key fingerprint, scrub and find_numbers.

The expected hex values were computed once, independently of the project's code, with the
`blake3` library (1.0.11) and the scheme:
    subkey(ctx) = blake3(key, derive_key_context=ctx)
    token       = blake3(e164,
                         key=subkey("sexwork-safety checker 2026-12-04 phone number token v1"))
    secret_hash = blake3(utf8, key=subkey("sexwork-safety checker 2026-12-04 access token v1"))
    fingerprint = blake3(key, derive_key_context="... key fingerprint v1").hexdigest()[:16]
A change in any of them means every stored token has become unreachable.
"""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import Leniency, PhoneNumberMatcher

from conftest import (
    KNOWN_TOKENS, OTHER_KEY_FINGERPRINT, OTHER_KEY_HEX, TEST_KEY, TEST_KEY_FINGERPRINT,
)
from hashing import Hasher, find_numbers, fingerprint, normalize, scrub

KNOWN_SECRETS = {
    "correct horse battery staple":
        "52c3618d7c7ca5ade203d1f82a50df61fcf77693ce1e2843593daf9aa04f14ab",
    "wachtwoord-ë": "6112fd15e51f6fee881883b6b6c0dc1d8d22a220218724eecf8316f95cdf3722",
}
REMOVED = "[number removed]"


@pytest.fixture
def hasher():
    return Hasher(TEST_KEY)


@pytest.mark.parametrize("e164, token_hex", KNOWN_TOKENS.items())
def test_number_token_known_answer(hasher, e164, token_hex):
    token = hasher.number_token(normalize(e164))
    assert isinstance(token, bytes) and len(token) == 32
    assert token.hex() == token_hex


@pytest.mark.parametrize("typed", ["06-12345678", "tel:+31612345678", "0031 6 1234 5678"])
def test_token_depends_only_on_the_number_not_on_how_it_was_typed(hasher, typed):
    assert hasher.number_token(normalize(typed)).hex() == KNOWN_TOKENS["+31612345678"]


def test_token_depends_on_the_key():
    number = normalize("0612345678")
    assert Hasher(bytes.fromhex(OTHER_KEY_HEX)).number_token(number) != \
        Hasher(TEST_KEY).number_token(number)


@pytest.mark.parametrize("secret, digest_hex", KNOWN_SECRETS.items())
def test_secret_hash_known_answer(hasher, secret, digest_hex):
    assert hasher.secret_hash(secret).hex() == digest_hex


def test_number_tokens_and_secret_hashes_are_domain_separated(hasher):
    assert hasher.secret_hash("+31612345678").hex() != KNOWN_TOKENS["+31612345678"]


@pytest.mark.parametrize("key, expected", [
    (TEST_KEY, TEST_KEY_FINGERPRINT),
    (bytes.fromhex(OTHER_KEY_HEX), OTHER_KEY_FINGERPRINT),
])
def test_fingerprint_known_answer(key, expected):
    assert fingerprint(key) == expected


def test_fingerprint_reveals_no_key_material():
    fp = fingerprint(TEST_KEY)
    assert re.fullmatch(r"[0-9a-f]{16}", fp)
    assert fp not in TEST_KEY.hex()


# --- scrub --------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("his number is 06-12345678, watch out", f"his number is {REMOVED}, watch out"),
    ("call +31 6 12345678 now", f"call {REMOVED} now"),
    # not a valid number, still scrubbed (possible numbers and digit runs)
    ("he used 06-98765432 that night", f"he used {REMOVED} that night"),
    ("ref 123456", f"ref {REMOVED}"),
    ("code 1 2 3 4 5 6 end", f"code {REMOVED} end"),
    ("12.34.56", REMOVED),
    ("12-34-56-78", REMOVED),
    ("tall man, about 40, blue car", "tall man, about 40, blue car"),
    ("", ""),
])
def test_scrub(text, expected):
    assert scrub(text) == expected


def test_scrub_removes_every_number_from_a_longer_text():
    text = ("Twee nummers: 0612345678 en +32 470 12 34 56, en ook 0970-1234-5678. "
            "Hij belde vanaf 020 123 4567.")
    out = scrub(text)
    assert out.count(REMOVED) == 4
    assert not re.search(r"\d", out)


DIGIT_RUN = re.compile(r"[0-9](?:[ \-./()]?[0-9]){5,}")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789 -./()+abc\n", max_size=60))
def test_scrub_leaves_no_run_of_six_digits(text):
    out = scrub(text)
    assert isinstance(out, str)
    assert not DIGIT_RUN.search(out)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_scrub_accepts_any_text(text):
    assert isinstance(scrub(text), str)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=40),
       st.integers(0, 40), st.sampled_from("0123456789\u0663\u06f5\uff17"))
def test_a_text_with_one_digit_holds_no_number(text, at, digit):
    # scrub skips phonenumbers' matcher for such text: the matcher must agree.
    text = text[:at] + digit + text[at:]
    for region in ("NL", "US", "DE"):
        assert not list(PhoneNumberMatcher(text, region, leniency=Leniency.POSSIBLE))
    assert scrub(text) == text


# --- find_numbers ---------------------------------------------------------------

def e164s(numbers):
    return [n.e164 for n in numbers]


@pytest.mark.parametrize("text, expected", [
    ("Is 06-12345678 ok? En +32 470 12 34 56?", ["+31612345678", "+32470123456"]),
    ("06 12345678 of +31612345678", ["+31612345678"]),  # deduplicated
    ("nummer 06-98765432", []),  # not a valid number
    ("geen nummer hier", []),
    ("", []),
])
def test_find_numbers(text, expected):
    assert e164s(find_numbers(text)) == expected


def test_find_numbers_limit():
    text = "0612345678, 0687654321, 0201234567, 0101234567"
    assert e164s(find_numbers(text)) == ["+31612345678", "+31687654321", "+31201234567"]
    assert e164s(find_numbers(text, limit=1)) == ["+31612345678"]


def test_find_numbers_region():
    assert e164s(find_numbers("bel 0470 12 34 56", region="BE")) == ["+32470123456"]


def test_a_numbers_token_is_worked_out_once_per_hasher():
    number = normalize("06-12345678")
    ours, other = Hasher(TEST_KEY), Hasher(bytes.fromhex(OTHER_KEY_HEX))
    token = ours.number_token(number)
    assert ours.number_token(number) is token  # kept on the Number: hashed once
    assert other.number_token(number) != token  # another key never gets the kept one
    assert ours.number_token(number) == token == ours.number_token(normalize("+31 6 1234 5678"))
    assert "12345678" not in repr(number)
