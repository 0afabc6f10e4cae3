"""A quick reader for the shapes in which numbers are usually typed.

``phonenumbers.parse`` handles every way a number can be written (letters,
extensions, RFC 3966, carrier codes, Italian leading zeros, ...) and costs
most of a check. After ``numbers.normalize`` has screened the characters,
almost every input is digits and separators with an optional leading ``+``.
For those, this module follows the same steps as ``phonenumbers.parse`` +
``is_valid_number`` + ``format_number`` (phonenumbers 9.0.43, pinned), on
the same metadata, with the patterns compiled once per region:

1. international prefix: a leading ``+``, or the default region's IDD
   (``00`` in the Netherlands) when the next digit is not ``0``;
2. country code: the first 1 to 3 digits that are a known calling code;
3. national prefix: stripped exactly as phonenumbers does when the region
   has no transform rule (``0`` in ``06 12345678``);
4. validity: the general description and then any number type, with the
   possible lengths, and the region chosen as phonenumbers chooses it among
   regions sharing a calling code;
5. international format: the first format whose leading digits and pattern
   match, as phonenumbers picks it.

Whenever a step meets anything else (an invalid number, a transform rule, a
default-region number that starts with its own country code, a national
number with a leading zero, a non-geographic code) ``read`` returns None and
the caller asks phonenumbers, so errors and their reasons always come from
phonenumbers. tests/test_fastread.py compares both readers over every
region's example numbers in several forms and over random input.
"""

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import PhoneMetadata

_MIN_NSN, _MAX_NSN = 2, 17  # phonenumbers' _MIN_LENGTH_FOR_NSN, _MAX_LENGTH_FOR_NSN
_SEPARATORS = str.maketrans("", "", " ()-./")
_CALLING_CODES = phonenumbers.COUNTRY_CODE_TO_REGION_CODE
_NON_GEOGRAPHIC = "001"
_TYPE_DESCS = (
    "premium_rate", "toll_free", "shared_cost", "voip", "personal_number",
    "pager", "uan", "voicemail", "fixed_line",
)


class _Desc:
    """A number description: its possible lengths and its pattern, compiled."""

    __slots__ = ("lengths", "pattern")

    def __init__(self, desc):
        self.lengths = frozenset(desc.possible_length)
        self.pattern = _compile(desc.national_number_pattern)

    def matches(self, nsn: str) -> bool:
        """phonenumbers' _is_number_matching_desc."""
        if self.lengths and len(nsn) not in self.lengths:
            return False
        return self.pattern is not None and self.pattern.fullmatch(nsn) is not None


class _Region:
    """What a reading needs of one region's metadata, compiled once."""

    def __init__(self, metadata):
        self.country_code = metadata.country_code
        self.general = _Desc(metadata.general_desc)
        self.local_lengths = frozenset(metadata.general_desc.possible_length_local_only)
        names = list(_TYPE_DESCS)
        if not metadata.same_mobile_and_fixed_line_pattern:
            names.append("mobile")  # otherwise phonenumbers reads mobile as fixed line
        self.types = tuple(_Desc(getattr(metadata, n)) for n in names if getattr(metadata, n))
        self._any_type: dict[int, re.Pattern | None] = {}
        self.leading_digits = _compile(metadata.leading_digits)
        self.idd = _compile(metadata.international_prefix)
        self.national_prefix = _compile(metadata.national_prefix_for_parsing)
        self.has_transform = bool(metadata.national_prefix_transform_rule)
        formats = metadata.intl_number_format or metadata.number_format
        self.formats = tuple(_Format(f) for f in formats)

    def is_valid(self, nsn: str) -> bool:
        """phonenumbers' _number_type_helper(...) != UNKNOWN: the general description
        and any number type. The types that allow a length are joined into one
        alternation per length, which fully matches exactly when one of them does."""
        if not self.general.matches(nsn):
            return False
        size = len(nsn)
        try:
            any_type = self._any_type[size]
        except KeyError:
            any_type = self._any_type[size] = self._join_types(size)
        return any_type is not None and any_type.fullmatch(nsn) is not None

    def _join_types(self, size: int):
        patterns = [
            t.pattern.pattern for t in self.types
            if t.pattern is not None and (not t.lengths or size in t.lengths)
        ]
        return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None

    def strip_national_prefix(self, digits: str) -> str | None:
        """phonenumbers' national prefix stripping as parse applies it, or None when
        this reader does not follow it (a transform rule, an impossible length)."""
        if self.national_prefix is None:
            return digits
        found = self.national_prefix.match(digits)
        if found is None:
            return digits
        if self.has_transform:
            return None
        stripped = digits[found.end():]
        general = self.general.pattern
        if general is not None and general.fullmatch(digits) and not general.fullmatch(stripped):
            return digits  # the number was viable with its prefix and is not without
        if len(stripped) in self.general.lengths and len(stripped) not in self.local_lengths:
            return stripped
        return None  # phonenumbers would weigh the length: leave it to phonenumbers

    def format_international(self, nsn: str) -> str:
        """phonenumbers' _format_nsn for INTERNATIONAL."""
        for number_format in self.formats:
            if number_format.fits(nsn):
                return number_format.apply(nsn)
        return nsn


class _Format:
    """One number format: leading digits, pattern and rule (``\\1 \\2-\\3``), compiled.

    ``apply`` gives what phonenumbers' ``pattern.sub(rule, nsn)`` gives: when the
    first match spans the whole number and the pattern cannot match an empty
    string (which ``sub`` would also replace at the end), ``sub`` replaces exactly
    that match, so the rule's text and groups are joined directly; anything else
    is left to ``sub`` itself.
    """

    __slots__ = ("leading", "pattern", "rule", "parts", "width", "slices")

    _GROUP = re.compile(r"\\([1-9])")

    def __init__(self, number_format):
        self.leading = _compile(number_format.leading_digits_pattern[-1]) \
            if number_format.leading_digits_pattern else None
        self.pattern = re.compile(number_format.pattern)
        self.rule = number_format.format
        pieces = self._GROUP.split(self.rule)  # text, group, text, group, ..., text
        simple = (
            self.pattern.match("") is None
            and all("\\" not in p for p in pieces[::2])
            and not any(p[:1].isdigit() for p in pieces[2::2])  # "\\10" is group 10 to sub
        )
        self.parts = tuple(
            int(piece) if i % 2 else piece for i, piece in enumerate(pieces) if piece
        ) if simple else None
        self.width, self.slices = _fixed_groups(number_format.pattern)

    def fits(self, nsn: str) -> bool:
        """phonenumbers' _choose_formatting_pattern_for_number, for one format."""
        if self.leading is not None and self.leading.match(nsn) is None:
            return False
        if self.slices is not None:  # fixed-width digit groups: the length decides
            return len(nsn) == self.width
        return self.pattern.fullmatch(nsn) is not None

    def apply(self, nsn: str) -> str:
        if self.slices is not None and self.parts is not None and len(nsn) == self.width:
            return "".join(
                nsn[self.slices[part - 1]] if isinstance(part, int) else part for part in self.parts
            )
        found = self.pattern.match(nsn)
        if self.parts is None or found.end() != len(nsn):
            return self.pattern.sub(self.rule, nsn)
        groups = found.groups()
        return "".join(
            (groups[part - 1] or "") if isinstance(part, int) else part for part in self.parts
        )


_FIXED_GROUPS = re.compile(r"(?:\(\\d(?:\{\d+\})?\))+")
_GROUP_WIDTH = re.compile(r"\(\\d(?:\{(\d+)\})?\)")


def _fixed_groups(pattern: str):
    """(total width, slices) when a format's pattern is fixed-width digit groups only,
    such as ``(\\d)(\\d{8})``, else (None, None). On a national number of ASCII
    digits (all that ``read`` accepts) such a pattern fits exactly the numbers of its
    total width, and its groups are the slices: no regular expression needed (most
    formats are of this kind, NL's mobile one among them)."""
    if not _FIXED_GROUPS.fullmatch(pattern):
        return None, None
    slices, at = [], 0
    for width in _GROUP_WIDTH.findall(pattern):
        slices.append(slice(at, at + int(width or 1)))
        at += int(width or 1)
    return at, tuple(slices)


def _compile(pattern):
    return re.compile(pattern) if pattern else None


@lru_cache(maxsize=512)  # ~250 regions; bounded whatever a caller passes
def _region(code: str) -> _Region | None:
    metadata = PhoneMetadata.metadata_for_region(code, None)
    return _Region(metadata) if metadata is not None else None


def read(text: str, default_region: str):
    """(E.164, country code, national number) for a valid number in a simple shape,
    or None: then only phonenumbers can say. ``text`` has passed numbers' screen."""
    digits = text.translate(_SEPARATORS)
    plus = digits.startswith("+")
    if plus:
        digits = digits[1:]
    if not digits.isdigit() or not digits.isascii():
        return None  # a second plus
    if not plus:
        home = _region(default_region)
        if home is None:
            return None
        found = home.idd.match(digits) if home.idd is not None else None
        if found is None:
            return _read_national(digits, home)
        digits = digits[found.end():]
        if digits.startswith("0"):
            return None  # phonenumbers then reads it as a national number
    return _read_international(digits)


def _read_national(digits: str, home: _Region):
    if digits.startswith(str(home.country_code)):
        return None  # maybe a country code without its plus: phonenumbers weighs both
    nsn = home.strip_national_prefix(digits)
    return _accept(home.country_code, nsn)


def _read_international(digits: str):
    if len(digits) <= _MIN_NSN or digits.startswith("0"):
        return None
    for size in (1, 2, 3):
        country_code = int(digits[:size])
        if country_code in _CALLING_CODES:
            break
    else:
        return None
    regions = _CALLING_CODES[country_code]
    if regions[0] == _NON_GEOGRAPHIC:
        return None
    main = _region(regions[0])
    nsn = main.strip_national_prefix(digits[size:]) if main is not None else None
    return _accept(country_code, nsn)


def _accept(country_code: int, nsn: str | None):
    if nsn is None or not _MIN_NSN <= len(nsn) <= _MAX_NSN or nsn.startswith("0"):
        return None
    region = _region_of(country_code, nsn)
    if region is None or not region.is_valid(nsn):
        return None
    return f"+{country_code}{nsn}", country_code, nsn


def _region_of(country_code: int, nsn: str) -> _Region | None:
    """phonenumbers' region_code_for_number, among the regions of one calling code."""
    codes = _CALLING_CODES[country_code]
    if len(codes) == 1:
        return _region(codes[0])
    for code in codes:
        region = _region(code)
        if region is None:
            continue
        if region.leading_digits is not None:
            if region.leading_digits.match(nsn):
                return region
        elif region.is_valid(nsn):
            return region
    return None


def format_international(country_code: int, nsn: str) -> str:
    """phonenumbers.format_number(..., INTERNATIONAL) for a number ``read`` accepted."""
    main = _region(_CALLING_CODES[country_code][0])
    return f"+{country_code} {main.format_international(nsn)}"
