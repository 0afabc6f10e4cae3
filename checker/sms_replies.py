"""Every word the SMS channel sends, in Dutch and English, for both gateways.

Each reply fits one GSM-7 segment: at most 160 septets, the extension
characters ``^{}[]~|\\€`` counting two. Characters outside GSM-7 are
transliterated (ë -> e, curly quotes -> straight ones), so that a single one
never turns the message into 70-character UCS-2 segments. A verdict reply is
built at the most detailed level that fits: the no-guarantee sentence gets
shorter first, then categories are dropped, then the month, then the wording
gets terse; the number as understood and the
count in digits are always kept.
"""

import math
import unicodedata

MAX_SEPTETS = 160
LANGUAGES = ("nl", "en")
DEFAULT_LANGUAGE = "nl"

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

_TRANSLITERATION = {
    "‘": "'", "’": "'", "‚": "'", "′": "'", "“": '"', "”": '"', "„": '"', "″": '"',
    "–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-", "…": "...", "\u00a0": " ",
    "\t": " ", "ç": "c", "«": '"', "»": '"', "•": "-", "·": ".",
}

CATEGORY_WORDS = {
    "nl": {
        "physical_violence": "geweld",
        "sexual_violence": "seksueel geweld",
        "theft": "diefstal",
        "non_payment": "niet betaald",
        "threats": "bedreiging",
        "stalking": "stalking",
        "other": "overig",
    },
    "en": {
        "physical_violence": "violence",
        "sexual_violence": "sexual violence",
        "theft": "theft",
        "non_payment": "non-payment",
        "threats": "threats",
        "stalking": "stalking",
        "other": "other",
    },
}

# One text for every unknown phone, in both languages (its owner's language is unknown).
UNREGISTERED = ("Deze telefoon is niet aangemeld. Vraag je hulpverlener hem te registreren. "
                "/ This phone is not registered: ask your caseworker.")

TEXTS = {
    "nl": {
        "help": "Stuur een telefoonnummer (max. 3 per sms), bv. CONTROLE 06xxxxxxxx. "
                "Je krijgt het aantal bekende waarschuwingen terug. "
                "Geen melding is geen garantie op veiligheid.",
        "limited": "Limiet bereikt. Probeer het over {wait} opnieuw.",
        "limited_rest": ["Limiet bereikt voor de rest; opnieuw over {wait}."] * 4
        + ["Limiet: rest over {wait}."],
        "unavailable": "Dienst tijdelijk niet beschikbaar. Probeer het later opnieuw.",
        "hit": ["WAARSCHUWING {number}: {count} {reports} ({categories}), laatst {month}."] * 2
        + ["WAARSCHUWING {number}: {count} {reports}, laatst {month}.",
           "WAARSCHUWING {number}: {count} {reports}.",
           "LET OP {number}: {count}"],
        "none": ["{number}: 0 meldingen bekend."] * 4 + ["{number}: 0"],
        "no_guarantee": ["Geen melding is geen garantie op veiligheid."]
        + ["Geen garantie op veiligheid."] * 3 + ["0 = niets bekend, geen garantie."],
        "reports": ("melding", "meldingen"),
        "minutes": "{n} min",
        "hours": "{n} uur",
    },
    "en": {
        "help": "Text a phone number (max 3 per SMS), e.g. CHECK 06xxxxxxxx. "
                "You get back how many warnings are known. "
                "None known is no guarantee of safety.",
        "limited": "Limit reached. Try again in {wait}.",
        "limited_rest": ["Limit reached for the rest; try again in {wait}."] * 4
        + ["Limit: rest in {wait}."],
        "unavailable": "Service temporarily unavailable. Please try again later.",
        "hit": ["WARNING {number}: {count} {reports} ({categories}), last {month}."] * 2
        + ["WARNING {number}: {count} {reports}, last {month}.",
           "WARNING {number}: {count} {reports}.",
           "ALERT {number}: {count}"],
        "none": ["{number}: 0 warnings known."] * 4 + ["{number}: 0"],
        "no_guarantee": ["None known is no guarantee of safety."]
        + ["No guarantee of safety."] * 3 + ["0 = none known, no guarantee."],
        "reports": ("report", "reports"),
        "minutes": "{n} min",
        "hours": "{n} hours",
    },
}
LEVELS = 5  # from most to least detailed: see the lists above


def language(code) -> str:
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


# -- GSM-7 ----------------------------------------------------------------------

def to_gsm7(text: str) -> str:
    """The text with every character outside GSM-7 replaced by its closest GSM-7 form."""
    return "".join(_gsm7_char(c) for c in text)


def _gsm7_char(c: str) -> str:
    if c in GSM7_BASIC or c in GSM7_EXTENSION:
        return c
    if c in _TRANSLITERATION:
        return _TRANSLITERATION[c]
    stripped = "".join(
        d for d in unicodedata.normalize("NFKD", c) if not unicodedata.combining(d)
    )
    if stripped and all(d in GSM7_BASIC for d in stripped):
        return stripped
    return "?"


def septets(text: str) -> int:
    """The length of a GSM-7 text in septets (extension characters count two)."""
    return sum(2 if c in GSM7_EXTENSION else 1 for c in text)


def fit(text: str) -> str:
    """GSM-7, and cut to one segment as a last resort (the builders avoid needing it)."""
    text = to_gsm7(text)
    while septets(text) > MAX_SEPTETS:
        text = text[:-1]
    return text


# -- replies --------------------------------------------------------------------

def help_text(lang) -> str:
    return fit(TEXTS[language(lang)]["help"])


def unregistered_text() -> str:
    """The same for every unknown phone, in both languages: it reveals nothing about a number."""
    return fit(UNREGISTERED)


def unavailable_text(lang) -> str:
    return fit(TEXTS[language(lang)]["unavailable"])


def limited_text(lang, retry_after: int) -> str:
    texts = TEXTS[language(lang)]
    return fit(texts["limited"].format(wait=wait_text(texts, retry_after)))


def wait_text(texts: dict, seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    if minutes < 120:
        return texts["minutes"].format(n=minutes)
    return texts["hours"].format(n=math.ceil(minutes / 60))


def verdicts_text(lang, verdicts, retry_after=None) -> str:
    """One reply for up to three verdicts; ``retry_after`` when the limit stopped the rest."""
    texts = TEXTS[language(lang)]
    for level in range(LEVELS):
        text = to_gsm7(_verdicts_at(texts, language(lang), verdicts, retry_after, level))
        if septets(text) <= MAX_SEPTETS:
            return text
    return fit(text)


def _verdicts_at(texts, lang, verdicts, retry_after, level) -> str:
    lines = [_verdict_line(texts, lang, v, level) for v in verdicts]
    if any(v.warnings == 0 for v in verdicts):
        lines.append(texts["no_guarantee"][level])
    if retry_after is not None:
        lines.append(texts["limited_rest"][level].format(wait=wait_text(texts, retry_after)))
    return "\n".join(lines)


def _verdict_line(texts, lang, verdict, level) -> str:
    if verdict.warnings == 0:
        return texts["none"][level].format(number=verdict.number)
    words = CATEGORY_WORDS[lang]
    return texts["hit"][level].format(
        number=verdict.number,
        count=verdict.warnings,
        reports=texts["reports"][verdict.warnings != 1],
        categories=", ".join(words.get(c, c) for c in verdict.categories),
        month=verdict.last_reported,
    )
