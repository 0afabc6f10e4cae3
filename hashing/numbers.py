"""Reading phone numbers as people type them.

Rules (see CONTRACT.md): after an optional ``tel:``, only digits, spaces and
``+ ( ) - . /`` are allowed. phonenumbers would otherwise read trailing letters
as a vanity number or an extension ("06 1234 5678 ok" parses as valid).
Acceptance is ``is_valid_number``, not ``is_possible_number``.
"""

import copy
import re

import phonenumbers
from phonenumbers import Leniency, NumberParseException, PhoneNumberFormat, PhoneNumberMatcher
from phonenumbers import ValidationResult as V

from hashing import fastread

# Keep phonenumbers' compiled metadata patterns rather than re-fetching them from
# the re module's small cache on every call (bounded: the metadata is fixed).
phonenumbers.enable_pattern_cache()

MAX_INPUT_LENGTH = 64
REMOVED = "[number removed]"

_ALLOWED = re.compile(r"[0-9 +()\-./]+")
_ASCII_DIGIT = re.compile(r"[0-9]")
# Two digits of any script (as phonenumbers reads them): phonenumbers parses no number
# with a national part shorter than two digits, and its matcher reads digits, not letters.
_TWO_DIGITS = re.compile(r"\d\D*\d")
# Six or more digits, possibly separated by the characters people put between them.
_DIGIT_RUN = re.compile(r"\+?\d(?:[\s\-./()]{0,3}\d){5,}")

_MESSAGES = {
    "empty": "No number was given.",
    "bad_characters": (
        "A number may contain only digits, spaces and + ( ) - . / "
        "(no letters, words or extensions)."
    ),
    "too_short": "The number is too short.",
    "too_long": "The number is too long.",
    "invalid_country_code": "The country code is not valid.",
    "not_a_number": "This does not look like a phone number.",
    "invalid": "This is not a valid phone number for its country.",
}

_POSSIBILITY_REASONS = {
    V.TOO_SHORT: "too_short",
    V.INVALID_LENGTH: "invalid",
    V.TOO_LONG: "too_long",
    V.INVALID_COUNTRY_CODE: "invalid_country_code",
}

_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "invalid_country_code",
    NumberParseException.NOT_A_NUMBER: "not_a_number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too_short",
    NumberParseException.TOO_SHORT_NSN: "too_short",
    NumberParseException.TOO_LONG: "too_long",
}


class InvalidNumber(ValueError):
    """The text is not a valid phone number. The message never repeats the input."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(_MESSAGES[reason])


class Number:
    """A valid phone number. Its repr hides the digits so that it cannot leak into a log.

    The international form is formatted on first use: an import only needs the
    E.164 form, and formatting costs as much as a quarter of the parsing. It comes
    from phonenumbers' parsed object, or from fastread's (country code, national
    number) when fastread read the number.
    """

    __slots__ = ("e164", "_international", "_parsed", "_parts", "_token")

    def __init__(self, e164: str, international: str | None = None, parsed=None, parts=None):
        self.e164 = e164
        self._international = international
        self._parsed = parsed
        self._parts = parts
        self._token = None  # (Hasher, token): see Hasher.number_token

    @property
    def international(self) -> str:
        if self._international is None:
            if self._parts is not None:
                self._international = fastread.format_international(*self._parts)
            else:
                self._international = phonenumbers.format_number(
                    self._parsed, PhoneNumberFormat.INTERNATIONAL
                )
        return self._international

    def __repr__(self) -> str:
        return "Number(<hidden>)"

    def __eq__(self, other):
        return isinstance(other, Number) and other.e164 == self.e164

    def __hash__(self):
        return hash(self.e164)


def normalize(text, region: str = "NL") -> Number:
    """Read one number typed by a person, or raise InvalidNumber saying what was wrong."""
    if not isinstance(text, str):
        raise InvalidNumber("not_a_number")
    text = text.strip()
    if text[:4].lower() == "tel:":
        text = text[4:].strip()
    if not text:
        raise InvalidNumber("empty")
    if len(text) > MAX_INPUT_LENGTH:
        raise InvalidNumber("too_long")
    if not _ALLOWED.fullmatch(text):
        raise InvalidNumber("bad_characters")
    quick = fastread.read(text, region)
    if quick is not None:
        e164, country_code, national = quick
        return Number(e164, parts=(country_code, national))
    if not _ASCII_DIGIT.search(text):
        raise InvalidNumber("not_a_number")
    return read_with_phonenumbers(text, region)


def read_with_phonenumbers(text: str, region: str) -> Number:
    """phonenumbers' general reader, for any screened text: what ``normalize`` asks
    when fastread cannot say, and what tests compare fastread with."""
    try:
        parsed = phonenumbers.parse(text, region)
    except NumberParseException as exc:
        raise InvalidNumber(_PARSE_REASONS.get(exc.error_type, "not_a_number")) from None
    return _accept(parsed)


def _accept(parsed) -> Number:
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidNumber(_why_invalid(parsed))
    return Number(phonenumbers.format_number(parsed, PhoneNumberFormat.E164), parsed=parsed)


def _why_invalid(parsed) -> str:
    possibility = phonenumbers.is_possible_number_with_reason(parsed)
    if possibility in (V.IS_POSSIBLE, V.INVALID_LENGTH):
        # The length alone does not say; ask whether more or fewer digits would be valid.
        return _length_hint(parsed) or "invalid"
    return _POSSIBILITY_REASONS.get(possibility, "invalid")


def _length_hint(parsed) -> str | None:
    for shift in range(1, 7):
        if _valid_with(parsed, parsed.national_number * 10**shift):
            return "too_short"
        if _valid_with(parsed, parsed.national_number // 10**shift):
            return "too_long"
    return None


def _valid_with(parsed, national_number: int) -> bool:
    candidate = copy.copy(parsed)
    candidate.national_number = national_number
    return national_number > 0 and phonenumbers.is_valid_number(candidate)


def find_numbers(text: str, region: str = "NL", limit: int = 3) -> list[Number]:
    """Valid numbers found in free text (an SMS body), in order, without repeats."""
    found: list[Number] = []
    for match in PhoneNumberMatcher(text, region, leniency=Leniency.VALID):
        number = _accept(match.number)
        if number not in found:
            found.append(number)
        if len(found) == limit:
            break
    return found


def scrub(text: str, region: str = "NL") -> str:
    """Replace anything in free text that could be a phone number with a marker."""
    if not _TWO_DIGITS.search(text):
        return text  # the matcher needs two digits, the digit runs six
    spans = [
        (m.start, m.end)
        for m in PhoneNumberMatcher(text, region, leniency=Leniency.POSSIBLE)
    ]
    spans += [m.span() for m in _DIGIT_RUN.finditer(text)]
    for start, end in sorted(_merge(spans), reverse=True):
        text = text[:start] + REMOVED + text[end:]
    return text


def _merge(spans):
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def is_known_region(region: str) -> bool:
    return region in phonenumbers.SUPPORTED_REGIONS


def load_metadata(regions=("NL", "BE", "DE", "GB", "FR")) -> None:
    """Load phonenumbers' lazily loaded metadata now, and compile the patterns a check uses
    (validity by number type, formatting), so that the first check is not slow (about 5 ms)."""
    for region in regions:
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                national = phonenumbers.format_number(example, PhoneNumberFormat.NATIONAL)
                normalize(national, region).international  # noqa: B018 (formats it)
