"""Checking numbers by text message, the same for every gateway.

A gateway's web view verifies the request's signature, then hands the text to
``SmsDesk.answer``, which returns what to reply (or nothing). The sender's
phone is only ever turned into a number token to find the member; neither it
nor any number in the text is stored. Gateways retry, so each message id is
claimed once (as a keyed hash) and a repeat is answered without a lookup.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from checker import sms_replies as replies
from checker.errors import InvalidNumber
from hashing import find_numbers

MAX_NUMBERS = 3
MAX_TEXT = 1600  # ten concatenated segments; longer bodies are cut before reading
KEEP_MESSAGE_IDS = timedelta(days=7)
COMMANDS = frozenset({"HELP", "INFO", "HULP", "?", "UITLEG"})
# Words people put before or after a number; they are ignored (numbers are read from free text).
_KEYWORDS = re.compile(r"\b(check|controle|controleer|nummer|number|aub|pls|please)\b", re.I)


class LimitReached(Exception):
    """The member's check budget is used up for now."""

    def __init__(self, retry_after: int):
        super().__init__(f"retry after {retry_after} s")
        self.retry_after = retry_after


class Unavailable(Exception):
    """The limit storage cannot be reached: checks fail closed."""


@dataclass(frozen=True)
class Inbound:
    gateway: str  # "twilio" or "bird"
    message_id: str
    sender: str  # the sender's phone as the gateway gives it: never stored or logged
    text: str

    def __repr__(self) -> str:
        return f"Inbound({self.gateway}, <hidden>)"


@dataclass(frozen=True)
class Outcome:
    reply: str | None = field(repr=False)  # None: send nothing; may state numbers
    kind: str  # help, verdicts, limited, unavailable, unregistered, silent, duplicate


class SmsDesk:
    """Answers inbound texts.

    ``spend_check(account, number)`` takes one check from the member's shared budget
    (and the daily quota of distinct numbers)
    and raises LimitReached or Unavailable; ``spend_unknown(key)`` does the
    same for the few replies an unregistered phone may get.
    """

    def __init__(self, checker, spend_check, spend_unknown):
        self.checker = checker
        self.spend_check = spend_check
        self.spend_unknown = spend_unknown

    def answer(self, inbound: Inbound) -> Outcome:
        if not self.claim(inbound.gateway, inbound.message_id):
            return Outcome(None, "duplicate")
        account, sender_key = self._sender(inbound.sender)
        if account is None:
            return self._unregistered(sender_key)
        return self._read(account, inbound.text[:MAX_TEXT])

    def claim(self, gateway: str, message_id: str) -> bool:
        """True the first time a gateway's message id is seen; old ids are pruned."""
        now = datetime.now(timezone.utc)
        id_hash = self.checker.hasher.message_token(f"{gateway}\n{message_id}")
        return self.checker.store.claim_message(
            id_hash, _iso(now), _iso(now - KEEP_MESSAGE_IDS)
        )

    def _sender(self, sender: str):
        """The sender's active account (or None) and a key for limiting unknown senders."""
        try:
            number = self.checker.parse(sender)
        except InvalidNumber:
            return None, "invalid-sender"
        token = self.checker.hasher.number_token(number)
        # The limiter's key is derived from the token, so it cannot be matched to accounts.
        limit_key = self.checker.hasher.message_token("unknown sender\n" + token.hex()).hex()
        return self.checker.account_by_phone_token(token), limit_key

    def _unregistered(self, sender_key: str) -> Outcome:
        try:
            self.spend_unknown(sender_key)
        except (LimitReached, Unavailable):
            return Outcome(None, "silent")
        return Outcome(replies.unregistered_text(), "unregistered")

    def _read(self, account, text: str) -> Outcome:
        lang = account.language
        words = _KEYWORDS.sub(" ", text).strip().upper()
        if words in COMMANDS:
            return Outcome(replies.help_text(lang), "help")
        numbers = find_numbers(text, self.checker.region, limit=MAX_NUMBERS)
        if not numbers:
            return Outcome(replies.help_text(lang), "help")
        return self._check(account, numbers)

    def _check(self, account, numbers) -> Outcome:
        lang = account.language
        verdicts, retry_after = [], None
        for number in numbers:
            try:
                self.spend_check(account, number)
            except LimitReached as exc:
                retry_after = exc.retry_after
                break
            except Unavailable:
                if verdicts:  # answer what was checked; the rest is simply not read
                    break
                return Outcome(replies.unavailable_text(lang), "unavailable")
            verdicts.append(self.checker.verdict(number, "sms"))
        if not verdicts:
            return Outcome(replies.limited_text(lang, retry_after), "limited")
        return Outcome(replies.verdicts_text(lang, verdicts, retry_after), "verdicts")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
