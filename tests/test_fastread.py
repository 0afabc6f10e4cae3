"""hashing.fastread against phonenumbers' own reader: the same number, or no answer.

A wrong reading would give a number the wrong token, and a member "no warnings"
for a number that has some. So whenever fastread answers, its E.164 and
international forms must equal what phonenumbers.parse + is_valid_number +
format_number give for the same text and default region; when phonenumbers
refuses a text, fastread must not answer. The inputs: every supported region's
example numbers of every type (and its invalid example) in E.164, international,
national and RFC 3966 form, with an IDD, without a plus, with a national prefix
after the country code, and mutated by one digit; read with that region, the
Netherlands and other defaults whose rules differ (national prefix transforms,
shared calling codes). Then random digit strings, and hypothesis.
"""

import random
import re

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from phonenumbers import PhoneNumberFormat as F
from phonenumbers import PhoneNumberType

from hashing import InvalidNumber, normalize
from hashing import fastread
from hashing.numbers import MAX_INPUT_LENGTH, read_with_phonenumbers

# Default regions with unusual rules: transform rules (AR, BR, MX), shared calling codes
# (US, GB, RU, IT, FI), national prefixes other than 0 (US, RU, HU "06").
DEFAULTS = ("NL", "BE", "DE", "GB", "US", "IT", "AR", "BR", "MX", "RU", "FR", "AU", "JP", "HU",
            "FI", "CN", "IN")
TYPES = [getattr(PhoneNumberType, name) for name in dir(PhoneNumberType) if name.isupper()]
SCREEN = set("0123456789 +()-./")


def slow(text, region):
    try:
        number = read_with_phonenumbers(text, region)
    except InvalidNumber:
        return None
    return number.e164, number.international


def fast(text, region):
    found = fastread.read(text, region)
    if found is None:
        return None
    e164, country_code, national = found
    return e164, fastread.format_international(country_code, national)


def disagreements(texts, regions):
    """(text, region, fast, slow) wherever fastread answered differently; and how often it answered."""
    wrong, answered, total = [], 0, 0
    for text in texts:
        if not set(text) <= SCREEN or len(text) > MAX_INPUT_LENGTH:
            continue
        for region in regions:
            total += 1
            quick = fast(text, region)
            if quick is None:
                continue
            answered += 1
            expected = slow(text, region)
            if quick != expected:
                wrong.append((text, region, quick, expected))
    return wrong, answered, total


def forms_of(example, rng):
    nsn = phonenumbers.national_significant_number(example)
    cc = example.country_code
    forms = [phonenumbers.format_number(example, f) for f in (F.E164, F.INTERNATIONAL, F.NATIONAL)]
    forms.append(phonenumbers.format_number(example, F.RFC3966).removeprefix("tel:"))
    forms += [f"00{cc}{nsn}", f"{cc}{nsn}", nsn, f"0{nsn}", f"+{cc} 0{nsn}", f"(+{cc}) {nsn}",
              f"+{cc} ({nsn[:2]}) {nsn[2:]}", f"011{cc}{nsn}", f"8{nsn}", f"1{nsn}"]
    for change in range(6):  # one digit replaced, added or removed
        digits = list(nsn)
        at = rng.randrange(len(digits))
        if change % 3 == 0:
            digits[at] = str(rng.randrange(10))
        elif change % 3 == 1:
            digits.insert(at, str(rng.randrange(10)))
        elif len(digits) > 1:
            del digits[at]
        mutated = "".join(digits)
        forms += [f"+{cc}{mutated}", f"0{mutated}", mutated]
    return forms


def region_examples(region):
    examples = [phonenumbers.example_number_for_type(region, kind) for kind in TYPES]
    examples.append(phonenumbers.invalid_example_number(region))
    return [e for e in examples if e is not None]


@pytest.mark.parametrize("group", range(4))
def test_every_regions_examples_read_as_phonenumbers_reads_them(group):
    rng = random.Random(group)
    regions = sorted(phonenumbers.SUPPORTED_REGIONS)[group::4]
    texts = [form for region in regions for e in region_examples(region) for form in forms_of(e, rng)]
    wrong, answered, total = disagreements(texts, ("NL",))
    for region in regions:  # each region's own numbers with itself as the default, too
        w, a, t = disagreements(
            [form for e in region_examples(region) for form in forms_of(e, rng)], (region,)
        )
        wrong, answered, total = wrong + w, answered + a, total + t
    assert wrong == []
    assert answered > total // 5  # the quick reader does answer for a good share


def test_random_digits_read_as_phonenumbers_reads_them():
    rng = random.Random(2026)
    prefixes = ["+", "", "0", "00", "06", "+31", "+310", "+44", "+1", "+7", "+39", "+54", "+55"]
    texts = [rng.choice(prefixes) + "".join(rng.choice("0123456789") for _ in range(rng.randrange(2, 16)))
             for _ in range(20_000)]
    wrong, answered, _ = disagreements(texts, DEFAULTS[:6])
    assert wrong == []
    assert answered > 1000


@settings(max_examples=400, deadline=None)
@given(text=st.text(alphabet="0123456789 +()-./", min_size=1, max_size=24),
       region=st.sampled_from(DEFAULTS))
def test_any_screened_text_reads_as_phonenumbers_reads_it(text, region):
    wrong, _, _ = disagreements([text], (region,))
    assert wrong == []


@pytest.mark.parametrize("text", [
    "0612345678", "06-12345678", "06 12 34 56 78", "+31 6 12345678", "0031612345678",
    "+31 (0)6 1234 5678", "020 123 4567", "(020) 1234567", "+32 470 12 34 56",
    "+49 30 12345678", "+44 7911 123456",
])
def test_the_usual_forms_take_the_quick_path(text):
    assert fast(text, "NL") == slow(text, "NL") is not None


@pytest.mark.parametrize("text", [
    "31612345678",         # a country code without its plus: phonenumbers weighs both readings
    "+39 06 1234 5678",    # an Italian leading zero
    "+800 1234 5678",      # a non-geographic calling code
    "06 1234 567",         # invalid: the reason comes from phonenumbers
    "++31 6 12345678",
])
def test_other_forms_are_left_to_phonenumbers(text):
    assert fast(text, "NL") is None


def test_normalize_gives_the_same_number_either_way():
    quick = normalize("06 12345678")
    general = read_with_phonenumbers("06 12345678", "NL")
    assert (quick.e164, quick.international) == (general.e164, general.international)
    assert quick == general


def test_every_regions_patterns_compile_and_join():
    """The joined number-type patterns are built lazily per length: build them all once here.
    Joining is only exact without back-references, which would be renumbered."""
    for code in sorted(phonenumbers.SUPPORTED_REGIONS):
        region = fastread._region(code)
        assert region is not None
        for t in region.types:
            assert t.pattern is None or not re.search(r"\\[1-9]", t.pattern.pattern)
        for size in range(2, 18):
            region._join_types(size)
