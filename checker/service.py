"""The Checker: every use case of the service, for the CLI and the web alike."""

import hmac
import sqlite3
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from functools import cached_property, partial
from itertools import chain

from checker import accounts, clock
from checker.accounts import Account, NewAccount
from checker.counters import counter_for
from checker.errors import InvalidRequest, NotFound, Refused
from checker.importing import MAX_ERRORS_LISTED, RowPipeline, read_records
from checker.recent_accounts import RecentAccounts
from checker.settings import Settings
from checker.verdicts import Verdict
from checker.warnings import (
    MAX_REASON,
    clean_text,
    retention_cutoff,
    warning_fields,
)
from data import Store
from data.warned import WarnedTokens
from hashing import Hasher, Number, normalize

CHANNELS = ("api", "web", "sms", "cli")
# The columns of a new warning, in the order ``_warning_values`` gives them.
IMPORT_COLUMNS = ("token", "category", "incident_date", "region", "summary", "source", "status",
                  "created_by", "created_at")


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class ImportResult:
    imported: int = 0
    skipped: int = 0
    errors: list = field(default_factory=list)

    def as_json(self) -> dict:
        return {"imported": self.imported, "skipped": self.skipped, "errors": self.errors}


class Checker:
    def __init__(self, store: Store, hasher: Hasher, settings: Settings,
                 key_fingerprint: str = "", today=clock.today, session_secret: bytes = b""):
        self.store = store
        self.key_fingerprint = key_fingerprint
        # Signs the web's session cookies; derived from the key for that purpose only.
        self.session_secret = session_secret
        self.hasher = hasher
        self.settings = settings
        self.region = settings.default_region
        self._today = today
        self._counter = counter_for(store.path)
        self._cutoff = (None, "", "")  # (day, its ISO date, retention cutoff on that day): once a day
        self._recent_accounts = RecentAccounts()
        self._warned: WarnedTokens | None = None

    def today(self) -> date:
        return self._today()

    # -- issue 5: reports, members, feed, monthly statistics (own modules) ----

    @cached_property
    def reports(self):
        """Incident reports: submit, list, publish, reject (checker.reports.Reports)."""
        from checker.reports import Reports

        return Reports(self)

    @cached_property
    def members(self):
        """Member management (checker.members.Members)."""
        from checker.members import Members

        return Members(self)

    @cached_property
    def feed(self):
        """The alert feed and the caseworkers' warning list (checker.feed.Feed)."""
        from checker.feed import Feed

        return Feed(self)

    def monthly_stats(self, months=12) -> list[dict]:
        from checker.monthly import monthly_stats

        self._counter.flush()  # this process's pending checks count too
        return monthly_stats(self, months)

    # -- checks ------------------------------------------------------------

    def parse(self, text) -> Number:
        """The number as understood, or InvalidNumber. Costs the member nothing."""
        return normalize(text, self.region)

    def keep_warned_tokens(self) -> None:
        """For a process that serves many checks: hold which tokens have warnings in
        memory (``data.warned``), so that a check of a number without warnings does not
        ask SQLite. Read now, at start-up; a one-off check (the CLI) does without."""
        if self._warned is None:
            warned = WarnedTokens(self.store)
            warned.refresh()
            self._warned = warned

    def verdict(self, number: Number, channel: str) -> Verdict:
        """Look a number up and count the check (a count only, never the number; counts are
        written in batches, see ``checker.counters``)."""
        today = self.today()
        if self._cutoff[0] != today:
            self._cutoff = (today, today.isoformat(),
                            retention_cutoff(today, self.settings.retention_days))
        _, day, cutoff = self._cutoff
        token = self.hasher.number_token(number)
        warned = self._warned
        if warned is None or warned.may_have(token):
            rows = self.store.counting_warnings(token, cutoff)
        else:
            rows = []  # no warning, of any status, has this token
        self._counter.add(day, channel, bool(rows))
        return Verdict.from_rows(number.international, rows)

    # -- warnings ----------------------------------------------------------

    def add_warning(self, actor: str, number_text, category, incident_date=None,
                    region=None, summary=None, source="caseworker") -> int:
        row = self._warning_row(actor, number_text, category, incident_date, region, summary, source)
        with self.store.transaction():
            warning_id = self.store.insert_warning(row)
            self._audit(actor, "warning_added", warning_id=warning_id, category=row["category"])
        return warning_id

    def _warning_row(self, actor, number_text, category, incident_date, region, summary, source,
                     created_at=None) -> dict:
        return dict(zip(IMPORT_COLUMNS, self._warning_values(
            actor, number_text, category, incident_date, region, summary, source, created_at)))

    def _warning_values(self, actor, number_text, category, incident_date, region, summary, source,
                        created_at=None) -> tuple:
        """A new warning as IMPORT_COLUMNS: the fields checked first, then the number."""
        fields = warning_fields(
            category, incident_date, region, summary, today=self.today(), region_code=self.region
        )
        return (self.hasher.number_token(self.parse(number_text)), fields.category,
                fields.incident_date, fields.region, fields.summary, source, "published", actor,
                created_at or utc_now())

    def withdraw(self, actor: str, warning_id, reason) -> dict:
        reason = clean_text(reason, MAX_REASON, "reason", self.region)
        if not reason:
            raise InvalidRequest("A reason is required to withdraw a warning.")
        with self.store.transaction():
            warning = self.store.get_warning(_as_id(warning_id))
            if warning is None:
                raise NotFound(f"There is no warning {warning_id}.")
            if warning["status"] == "published":
                self.store.mark_withdrawn(warning["id"], utc_now(), reason)
                self._audit(actor, "warning_withdrawn", warning_id=warning["id"], reason=reason)
        return {"id": warning["id"], "status": "withdrawn"}

    def purge(self, actor: str) -> int:
        cutoff = retention_cutoff(self.today(), self.settings.retention_days)
        with self.store.transaction():
            reports_purged = self.reports.purge_before(cutoff)
            purged = self.store.delete_warnings_before(cutoff)
            self._audit(actor, "purge", purged=purged, reports_purged=reports_purged,
                        before=cutoff)
        return purged

    def import_csv(self, actor: str, stream, skip_invalid: bool) -> ImportResult:
        """All or nothing, unless ``skip_invalid``: then valid rows are stored, others listed.

        A large file's rows are made by worker processes (``RowPipeline``) while
        this one inserts them, all in one transaction.
        """
        result = ImportResult()
        header, records = read_records(stream)
        make_row = partial(self._import_row, actor, utc_now())
        try:
            with RowPipeline(make_row, header, records) as pipeline, self.store.transaction():
                rows = self._import_rows(pipeline, result, skip_invalid)
                self.store.insert_warning_rows(IMPORT_COLUMNS, chain.from_iterable(rows))
                if result.skipped and not skip_invalid:
                    raise _Rollback
                self._audit(actor, "import", imported=result.imported, skipped=result.skipped)
        except _Rollback:
            result.imported = 0
        return result

    def validate_import(self, stream) -> ImportResult:
        """What ``import_csv`` would store, storing nothing: ``imported`` counts the valid
        rows, ``errors`` lists the invalid ones (InvalidRequest for a bad header or file)."""
        result = ImportResult()
        header, records = read_records(stream)
        make_row = partial(self._import_row, "preview", utc_now())
        with RowPipeline(make_row, header, records) as pipeline:
            for _ in self._import_rows(pipeline, result, skip_invalid=True):
                pass  # _import_rows counts the rows and lists the errors
        return result

    def _import_row(self, actor: str, created_at: str, number, category, incident_date,
                    region, summary) -> tuple:
        """One imported row as IMPORT_COLUMNS (a tuple: it runs a million times an import)."""
        return self._warning_values(actor, number, category, incident_date, region or None,
                                    summary or None, "import", created_at)

    @staticmethod
    def _import_rows(pipeline, result: ImportResult, skip_invalid: bool):
        """The rows to insert, a chunk's list at a time; once a row is invalid in
        all-or-nothing mode, none (all are rolled back anyway), while the rest of the
        file is still read for its errors."""
        for rows, errors in pipeline:
            result.imported += len(rows)
            result.skipped += len(errors)
            room = MAX_ERRORS_LISTED - len(result.errors)
            result.errors += [{"line": line, "error": error} for line, error in errors[:room]]
            if skip_invalid or not result.skipped:
                yield rows

    # -- accounts ----------------------------------------------------------

    def add_account(self, actor: str, role: str, name, phone=None, password=None) -> NewAccount:
        name = _account_name(name)
        token = accounts.new_token()
        row = {
            "name": name,
            "role": role,
            "token_hash": self.hasher.secret_hash(token),
            "phone_token": self.hasher.number_token(self.parse(phone)) if phone else None,
            "password_hash": self._password_hash(password),
            "created_at": utc_now(),
        }
        try:
            with self.store.transaction():
                account_id = self.store.insert_account(row)
                self._audit(actor, f"{role}_added", account_id=account_id, name=name,
                            sms_phone=phone is not None)
        except sqlite3.IntegrityError:
            raise Refused(_duplicate_message(self.store, name)) from None
        return NewAccount(account_id, name, token)

    @staticmethod
    def _password_hash(password):
        if password is None:
            return None
        if not accounts.MIN_PASSWORD <= len(password) <= accounts.MAX_PASSWORD:
            raise InvalidRequest(
                f"A password needs {accounts.MIN_PASSWORD} to {accounts.MAX_PASSWORD} characters."
            )
        return accounts.hash_password(password)

    def demo_account(self, actor: str, role: str) -> NewAccount:
        """A demo account named demo-<role>, created or given a fresh token and password."""
        name = f"demo-{role}"
        password = accounts.new_password()
        existing = self.store.account_by("name", name)
        if existing is None:
            return replace(self.add_account(actor, role, name, password=password), password=password)
        token = accounts.new_token()
        with self.store.transaction():
            self.store.set_account(existing["id"], token_hash=self.hasher.secret_hash(token),
                                   password_hash=self._password_hash(password))
            self._audit(actor, "token_reissued", account_id=existing["id"], name=name,
                        password_reset=True)
        return NewAccount(existing["id"], name, token, password)

    def authenticate(self, token) -> Account | None:
        """The active account an access token belongs to, or None."""
        if not isinstance(token, str) or not token.startswith(accounts.TOKEN_PREFIX):
            return None
        token_hash = self.hasher.secret_hash(token)
        account = self._recent_accounts.get(token_hash)
        if account is None:
            account = _active_account(self.store.account_by("token_hash", token_hash))
            if account is not None:
                self._recent_accounts.remember(token_hash, account)
        return account

    def set_phone(self, actor: str, name, phone) -> dict:
        """Register (or with ``phone=None`` remove) a member's SMS phone; audited without it."""
        account = self.store.account_by("name", str(name or "").strip())
        if account is None or account["role"] != "member":
            raise NotFound(f"There is no member named {name!r}.")
        token = self.hasher.number_token(self.parse(phone)) if phone is not None else None
        try:
            with self.store.transaction():
                self.store.set_account(account["id"], phone_token=token)
                self._audit(actor, "sms_phone_changed", account_id=account["id"],
                            name=account["name"], sms_phone=token is not None)
        except sqlite3.IntegrityError:
            raise Refused("That phone is registered to another account already.") from None
        return {"id": account["id"], "name": account["name"], "sms_phone": token is not None}

    def account_by_phone_token(self, phone_token: bytes) -> Account | None:
        """The active account whose SMS phone has this number token, or None."""
        return _active_account(self.store.account_by("phone_token", phone_token))

    def login(self, name, password) -> Account | None:
        """The active account with this name and password, or None, whatever was wrong.

        An unknown name costs the same argon2 verification as a wrong password, so the
        time taken does not tell whether a name exists.
        """
        name = str(name or "").strip()
        row = self.store.account_by("name", name) if 0 < len(name) <= accounts.MAX_NAME else None
        if not isinstance(password, str) or len(password) > accounts.MAX_PASSWORD:
            password = ""
        if not accounts.password_matches(row["password_hash"] if row else None, password):
            return None
        return _active_account(row)

    def active_account(self, account_id) -> Account | None:
        """The account with this id if it still exists and is active."""
        if isinstance(account_id, bool) or not isinstance(account_id, int):
            return None
        return _active_account(self.store.account_by("id", account_id))

    def session_stamp(self, account: Account) -> str:
        """What a web session holds besides the account id: derived (keyed) from the
        password hash, so setting a new password ends every session signed in before."""
        return self._stamp(self.store.account_by("id", account.id))

    def session_account(self, account_id, stamp) -> Account | None:
        """The account a web session holds, if it is still active and its password has not
        changed since that session signed in."""
        if isinstance(account_id, bool) or not isinstance(account_id, int):
            return None
        row = self.store.account_by("id", account_id)
        if row is None or not hmac.compare_digest(str(stamp or ""), self._stamp(row)):
            return None
        return _active_account(row)

    def _stamp(self, row) -> str:
        return self.hasher.secret_hash("session stamp:" + (row["password_hash"] or "")).hex()[:32]

    def login_identity(self, name) -> str:
        """What sign-in attempts for a name are counted under: a keyed hash, never the name
        itself, so the limiter's storage holds no names (nor a number typed as a name)."""
        text = "sign-in name:" + str(name or "").strip().casefold()
        return self.hasher.secret_hash(text).hex()[:32]

    # -- reading -----------------------------------------------------------

    def stats(self) -> dict:
        self._counter.flush()  # this process's pending checks count too
        return self.store.counts(retention_cutoff(self.today(), self.settings.retention_days))

    def audit_events(self, limit=None) -> list[dict]:
        return self.store.events(limit)

    def _audit(self, actor: str, action: str, **details) -> None:
        """Record an event. Every change to an account or a warning is audited, so this is
        also where this process forgets the accounts it remembered by token, and has its
        tokens with warnings read again before the next check."""
        self._recent_accounts.forget_all()
        if self._warned is not None:
            self._warned.stale()
        self.store.add_event(utc_now(), actor, action, details)


class _Rollback(Exception):
    pass


def _as_id(value) -> int:
    try:
        warning_id = int(value)
    except (TypeError, ValueError):
        raise NotFound(f"There is no warning {value}.") from None
    if not 0 < warning_id < 2**63:  # SQLite integers are 64-bit: larger ids cannot exist
        raise NotFound(f"There is no warning {value}.")
    return warning_id


def _account_name(name) -> str:
    name = str(name or "").strip()
    if not name or len(name) > accounts.MAX_NAME or not name.isprintable():
        raise InvalidRequest(f"A name needs 1 to {accounts.MAX_NAME} printable characters.")
    return name


def _duplicate_message(store: Store, name: str) -> str:
    if store.account_by("name", name) is not None:
        return f"An account named {name!r} exists already."
    return "That phone is registered to another account already."


def _active_account(row) -> Account | None:
    if row is None or not row["active"]:
        return None
    return Account(row["id"], row["name"], row["role"], row["language"])
