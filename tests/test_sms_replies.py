"""Every SMS reply, in both languages, at its longest, fits one GSM-7 segment."""

import itertools

import phonenumbers
import pytest
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from checker import sms_replies as replies
from checker.verdicts import Verdict
from checker.warnings import CATEGORIES

LANGS = ["nl", "en"]


def longest_numbers(count=3) -> list[str]:
    """The longest international forms among phonenumbers' valid example numbers."""
    forms = set()
    for region in phonenumbers.SUPPORTED_REGIONS:
        for kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE,
                     PhoneNumberType.TOLL_FREE, PhoneNumberType.VOIP,
                     PhoneNumberType.PERSONAL_NUMBER, PhoneNumberType.UAN):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None and phonenumbers.is_valid_number(example):
                forms.add(phonenumbers.format_number(example, PhoneNumberFormat.INTERNATIONAL))
    return sorted(forms, key=lambda f: (-len(f), f))[:count]


LONGEST = longest_numbers()
COUNTS = [0, 1, 9, 99, 999]
RETRY_AFTERS = [None, 1, 59 * 60, 3600 * 24, 3600 * 24 * 366]


def verdict(number: str, count: int) -> Verdict:
    return Verdict(number, count, sorted(CATEGORIES) if count else [],
                   "2026-03" if count else None, [], [])


def test_the_longest_numbers_are_long():
    assert len(LONGEST) == 3 and all(len(n) >= 18 for n in LONGEST)


@pytest.mark.parametrize("lang", LANGS)
def test_every_verdict_reply_fits_one_segment_and_keeps_numbers_and_counts(lang):
    texts = replies.TEXTS[lang]
    checked = 0
    for size in (1, 2, 3):
        for counts in itertools.product(COUNTS, repeat=size):
            for retry_after in RETRY_AFTERS:
                vs = [verdict(n, c) for n, c in zip(LONGEST, counts)]
                text = replies.verdicts_text(lang, vs, retry_after)
                assert replies.septets(text) <= replies.MAX_SEPTETS, text
                assert replies.to_gsm7(text) == text
                lines = text.split("\n")
                for line, v in zip(lines, vs):  # the number as understood, the count in digits
                    assert v.number in line and f": {v.warnings}" in line, text
                tail = lines[len(vs):]
                if any(c == 0 for c in counts):  # never presented as safe
                    assert tail[0] in texts["no_guarantee"], text
                if retry_after is not None:  # not cut off
                    wait = replies.wait_text(texts, retry_after)
                    assert tail[-1] in [t.format(wait=wait) for t in texts["limited_rest"]]
                checked += 1
    assert checked > 700


@pytest.mark.parametrize("lang", LANGS)
def test_every_other_reply_fits_one_segment(lang):
    others = [replies.help_text(lang), replies.unregistered_text(), replies.unavailable_text(lang)]
    others += [replies.limited_text(lang, s) for s in RETRY_AFTERS[1:] + [10**9]]
    for text in others:
        assert 0 < replies.septets(text) <= replies.MAX_SEPTETS, text
        assert replies.to_gsm7(text) == text
    # every string of the reply table, formatted at its longest, is GSM-7 as written
    for value in replies.TEXTS[lang].values():
        for text in value if isinstance(value, (list, tuple)) else [value]:
            assert replies.to_gsm7(text) == text, text
    for word in replies.CATEGORY_WORDS[lang].values():
        assert replies.to_gsm7(word) == word


def test_a_language_other_than_dutch_or_english_gets_dutch():
    assert replies.help_text("fr") == replies.help_text("nl") != replies.help_text("en")


def test_gsm7_transliteration_and_septet_count():
    assert replies.to_gsm7("Geëmigreerd – “ja” ‘nee’ … naïef ç") == (
        "Geemigreerd - \"ja\" 'nee' ... naief c")
    assert replies.to_gsm7("é è ü ö ä ñ à Ä Ö Ü") == "é è ü ö ä ñ à Ä Ö Ü"  # GSM-7 already
    assert replies.to_gsm7("emoji 🙂 and 中") == "emoji ? and ?"
    assert replies.septets("€[]{}^~|\\") == 18
    assert replies.septets("abc") == 3
    assert replies.septets(replies.fit("€" * 100)) == 160
    assert replies.fit("x" * 200) == "x" * 160
