"""Number input forms through the public `hashing.normalize` interface.

Every accepted form is checked against its E.164 and international form (what a user is shown),
every refused form against its reason. Expected values were checked with phonenumbers 9.0.43.
"""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hashing import InvalidNumber, normalize

REASONS = {"empty", "bad_characters", "too_short", "too_long", "invalid_country_code",
           "not_a_number", "invalid"}

NL_MOB = ("+31612345678", "+31 6 12345678")
AMS = ("+31201234567", "+31 20 123 4567")
M2M = ("+3197012345678", "+31 970 123 45678")
BE_MOB = ("+32470123456", "+32 470 12 34 56")
DE_BERLIN = ("+493012345678", "+49 30 12345678")

ACCEPTED = [
    # Dutch mobile, as people type it
    ("0612345678", NL_MOB),
    ("06-12345678", NL_MOB),
    ("06 1234 5678", NL_MOB),
    ("06.12.34.56.78", NL_MOB),
    ("06/12345678", NL_MOB),
    ("(06) 12345678", NL_MOB),
    ("+31 6 12345678", NL_MOB),
    ("+31 (0)6 1234 5678", NL_MOB),
    ("+31-6-1234-5678", NL_MOB),
    ("+31.6.12.34.56.78", NL_MOB),
    ("0031612345678", NL_MOB),
    ("0031 6 12345678", NL_MOB),
    ("31612345678", NL_MOB),
    ("  06 12345678  ", NL_MOB),
    # tel: URIs
    ("tel:+31612345678", NL_MOB),
    ("TEL:+31-6-12345678", NL_MOB),
    ("tel:0612345678", NL_MOB),
    ("tel:+32-470-12-34-56", BE_MOB),
    # Dutch fixed lines
    ("020 123 4567", AMS),
    ("(020) 123 45 67", AMS),
    ("020/1234567", AMS),
    ("+31 20 123 4567", AMS),
    ("010-1234567", ("+31101234567", "+31 10 123 4567")),
    # Dutch 097 (M2M) numbers: 12 digits nationally
    ("097012345678", M2M),
    ("0970 1234 5678", M2M),
    ("+31 970 1234 5678", M2M),
    # foreign numbers with their country code
    ("+32 470 12 34 56", BE_MOB),
    ("0032 470 123456", BE_MOB),
    ("+32 2 555 12 12", ("+3225551212", "+32 2 555 12 12")),
    ("+49 30 12345678", DE_BERLIN),
    ("+49 (0)30 12345678", DE_BERLIN),
    ("0049 151 23456789", ("+4915123456789", "+49 1512 3456789")),
    ("+44 20 7946 0958", ("+442079460958", "+44 20 7946 0958")),
    ("+33 6 12 34 56 78", ("+33612345678", "+33 6 12 34 56 78")),
    ("+1 (202) 555-0143", ("+12025550143", "+1 202-555-0143")),
]

REFUSED = [
    ("", "empty"),
    ("   ", "empty"),
    # letters, extensions and other characters are never read as digits
    ("06 1234 5678 please", "bad_characters"),
    ("06 1234 5678 x", "bad_characters"),
    ("06 1234 5678 ok", "bad_characters"),
    ("06 1234 5678 x123", "bad_characters"),
    ("O6 1234 5678", "bad_characters"),
    ("06*12345678", "bad_characters"),
    ("+31 6 12345678 #", "bad_characters"),
    ("0612345678;ext=12", "bad_characters"),
    ("tel:+31612345678;phone-context=nl", "bad_characters"),
    ("call 0612345678", "bad_characters"),
    ("0612345678<script>", "bad_characters"),
    # structurally not a number
    ("+", "not_a_number"),
    ("()", "not_a_number"),
    ("-", "not_a_number"),
    # country codes that do not exist
    ("+999 612345678", "invalid_country_code"),
    ("+0 612345678", "invalid_country_code"),
    # lengths
    ("0031", "too_short"),
    ("06123456789012345678901234567890", "too_long"),
    ("0" * 65, "too_long"),
    ("1" * 200, "too_long"),
    # parse, but are no valid number
    ("+31 69 1234567", "invalid"),  # +31 69.. is no mobile range
    ("06-98765432", "invalid"),
    ("0470 12 34 56", "invalid"),  # Belgian number without its country code
    ("+32 2 123 45 67", "invalid"),
    ("0123456789", "invalid"),
    ("0000000000", "invalid"),
]

# Numbers too short to be valid: "too_short" or "invalid" are both honest answers,
# "too_long" is not (a 097 number has 12 digits nationally, this one 11).
TOO_FEW_DIGITS = ["06", "0612345", "123456", "+31 6 1234 567", "0971 012 3456"]


@pytest.mark.parametrize("text, expected", ACCEPTED, ids=[t for t, _ in ACCEPTED])
def test_accepted_forms(text, expected):
    number = normalize(text)
    assert (number.e164, number.international) == expected


def test_at_least_25_real_world_forms():
    assert len(ACCEPTED) + len(REFUSED) >= 25
    assert len(ACCEPTED) >= 25


def assert_refused(text, reasons, region="NL"):
    with pytest.raises(InvalidNumber) as caught:
        normalize(text, region)
    assert caught.value.reason in reasons
    message = str(caught.value)
    assert message.strip(), "the error must say what was wrong"
    if len(re.sub(r"\D", "", text)) >= 6:
        assert text.strip() not in message
        assert re.sub(r"\D", "", text) not in re.sub(r"\D", "", message)
    return caught.value


@pytest.mark.parametrize("text, reason", REFUSED, ids=[repr(t)[:40] for t, _ in REFUSED])
def test_refused_forms(text, reason):
    assert_refused(text, {reason})


@pytest.mark.parametrize("text", TOO_FEW_DIGITS)
def test_too_few_digits_refused(text):
    assert_refused(text, {"too_short", "invalid"})


@pytest.mark.parametrize("value", [None, 612345678, 31612345678.0, b"0612345678",
                                   ["0612345678"], {"number": "0612345678"}])
def test_non_strings_are_not_a_number(value):
    with pytest.raises(InvalidNumber) as caught:
        normalize(value)
    assert caught.value.reason == "not_a_number"


def test_invalid_number_is_a_value_error():
    assert issubclass(InvalidNumber, ValueError)


@pytest.mark.parametrize("text, region, e164", [
    ("0470 12 34 56", "BE", "+32470123456"),
    ("030 12345678", "DE", "+493012345678"),
    ("0612345678", "BE", None),  # read as Belgian: not valid
    ("+31 6 12345678", "DE", "+31612345678"),  # an explicit country code beats the region
])
def test_region_decides_how_national_numbers_are_read(text, region, e164):
    if e164 is None:
        assert_refused(text, REASONS - {"bad_characters", "empty"}, region)
    else:
        assert normalize(text, region).e164 == e164


@pytest.mark.parametrize("text", ["0612345678", "+32 470 12 34 56", "097012345678"])
def test_repr_never_shows_digits(text):
    number = normalize(text)
    national_digits = number.e164.lstrip("+")[2:]
    assert national_digits not in repr(number)
    assert national_digits not in re.sub(r"\D", "", repr(number))


# --- properties ---------------------------------------------------------------

PHONEISH = st.text(alphabet="0123456789 +()-./tel:TEL;#*xX", max_size=70)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=80), PHONEISH))
def test_random_text_never_raises_anything_but_invalid_number(text):
    try:
        number = normalize(text)
    except InvalidNumber as exc:
        assert exc.reason in REASONS
        digits = re.sub(r"\D", "", text)
        if len(digits) >= 6:
            assert digits not in re.sub(r"\D", "", str(exc))
    else:
        assert re.fullmatch(r"\+[1-9]\d{6,14}", number.e164)
        assert normalize(number.e164).e164 == number.e164
        assert normalize(number.international).e164 == number.e164


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.none(), st.integers(), st.floats(), st.binary(), st.lists(st.text())))
def test_random_non_strings_are_refused(value):
    with pytest.raises(InvalidNumber):
        normalize(value)


SEPARATED = st.lists(st.sampled_from(["", "", " ", "-", ".", "/"]), min_size=9, max_size=9)


@settings(deadline=None)
@given(SEPARATED, st.sampled_from(["", "tel:", "TEL:", "Tel:"]),
       st.sampled_from(["0", "+31", "0031"]))
def test_separators_between_digits_do_not_change_the_number(separators, scheme, prefix):
    digits = "612345678"
    body = digits[0] + "".join(sep + d for sep, d in zip(separators, digits[1:]))
    assert normalize(scheme + prefix + body).e164 == "+31612345678"


NOT_ALLOWED = st.characters(codec="utf-8", exclude_characters="0123456789 +()-./").filter(
    lambda c: not c.isspace() and not c.isdigit())


@settings(deadline=None)
@given(st.text(alphabet=NOT_ALLOWED, min_size=1, max_size=3))
def test_any_other_character_is_bad_characters(junk):
    with pytest.raises(InvalidNumber) as caught:
        normalize("0612345678" + junk)
    assert caught.value.reason == "bad_characters"
