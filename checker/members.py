"""Managing members: list, add, deactivate and reactivate, set a password, set the SMS phone.

Only member accounts are managed here (caseworkers are managed with the CLI).
A deactivated member's access token, password and SMS phone stop working at
once and work again on reactivation. Every change is written to the audit
trail, never with a number: only whether an SMS phone is registered.
"""

from typing import TYPE_CHECKING

from checker.accounts import NewAccount
from checker.errors import InvalidRequest, NotFound
from checker.params import as_row_id
from data import listings
from hashing import scrub

SMS_LANGUAGES = ("nl", "en")

if TYPE_CHECKING:
    from checker.service import Checker


class Members:
    """Reached as ``Checker.members``."""

    def __init__(self, checker: "Checker"):
        self.checker = checker
        self.store = checker.store

    def list(self) -> list[dict]:
        """``{"id", "name", "active", "has_password", "has_sms_phone", "created_at"}`` by name."""
        return listings.members(self.store)

    def add(self, actor: str, name, phone=None, password=None) -> NewAccount:
        return self.checker.add_account(actor, "member", name, phone=phone, password=password)

    def get(self, member) -> dict:
        """A member by id (int) or name (str); NotFound for anyone else, caseworkers included."""
        column = "id" if isinstance(member, int) else "name"
        if column == "id":
            member = as_row_id(member, "member")
        row = self.store.account_by(column, member)
        if row is None or row["role"] != "member":
            # A name is echoed scrubbed: someone may type a phone number where a name belongs.
            shown = repr(scrub(member, self.checker.region)) if column == "name" else member
            raise NotFound(f"There is no member {shown}.")
        return {"id": row["id"], "name": row["name"], "active": bool(row["active"])}

    def deactivate(self, actor: str, member) -> dict:
        return self._set_active(actor, member, False)

    def activate(self, actor: str, member) -> dict:
        return self._set_active(actor, member, True)

    def _set_active(self, actor: str, member, active: bool) -> dict:
        found = self.get(member)
        if found["active"] != active:
            self._change(actor, found, "member_" + ("activated" if active else "deactivated"),
                         active=int(active))
        return {"id": found["id"], "name": found["name"], "active": active}

    def set_password(self, actor: str, member, password) -> dict:
        """Set (reset) a member's sign-in password; the old one stops working."""
        found = self.get(member)
        if not isinstance(password, str):
            raise InvalidRequest("A new password is required.")
        password_hash = self.checker._password_hash(password)
        self._change(actor, found, "member_password_set", password_hash=password_hash)
        return {"id": found["id"], "name": found["name"]}

    def set_language(self, actor: str, member, language) -> dict:
        """The language of the member's SMS replies: ``nl`` or ``en``."""
        found = self.get(member)
        if language not in SMS_LANGUAGES:
            raise InvalidRequest(f"The language must be one of: {', '.join(SMS_LANGUAGES)}.")
        self._change(actor, found, "member_language_set", language=language)
        return {"id": found["id"], "name": found["name"], "language": language}

    def set_phone(self, actor: str, member, number_text) -> dict:
        """Register or change the member's own phone for SMS checks; None removes it.

        ``Checker.set_phone`` (from the SMS work) does it, by name, audited as
        ``sms_phone_changed`` without the number.
        """
        return self.checker.set_phone(actor, self.get(member)["name"], number_text)

    def _change(self, actor: str, found: dict, action: str, **values) -> None:
        with self.store.transaction():
            self.store.set_account(found["id"], **values)
            self.checker._audit(actor, action, account_id=found["id"], name=found["name"])
