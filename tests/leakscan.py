"""Leak-scan helpers shared by the leak tests: the numbers a scenario uses, every byte string
that would betray one of them, and the HTTP part of the scenario."""

import hashlib
from contextlib import contextmanager
import logging
from dataclasses import dataclass, field
from pathlib import Path

import blake3
import phonenumbers

# e164 -> the forms in which the scenario types it
NUMBERS = {
    "+31612345678": ["06-12345678", "+31 (0)6 1234 5678", "0612345678", "tel:+31612345678",
                     "06 1234 5678 please", "0612345678;ext=9"],
    "+3197012345678": ["0970 1234 5678", "097012345678", "+31 970 1234 5678 x"],
    "+32470123456": ["+32 470 12 34 56", "0032470123456", "0470 12 34 56"],
    "+493012345678": ["+49 30 12345678", "+49 (0)30 1234 5678"],
    "+31687654321": ["06 8765 4321"],  # the member's own phone
    "+31201234567": ["020-1234567"],  # only in the CSV import
}


def digit_forms(e164: str) -> set[str]:
    parsed = phonenumbers.parse(e164)
    nsn = phonenumbers.national_significant_number(parsed)
    national = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
    return {
        e164,
        e164[1:],
        nsn,
        "0" + nsn,
        "".join(c for c in national if c.isdigit()),
        national,
        phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL),
    }


def number_needles() -> dict[bytes, str]:
    """Every byte string that would betray a number, with a label for the failure message."""
    needles = {}
    for e164, typed in NUMBERS.items():
        for form in digit_forms(e164) | {t for t in typed if any(c.isdigit() for c in t)}:
            needles[form.encode()] = f"{form!r} ({e164})"
        for name, digest in [("sha256", hashlib.sha256(e164.encode()).digest()),
                             ("blake3", blake3.blake3(e164.encode()).digest())]:
            needles[digest] = f"raw unkeyed {name} of {e164}"
            needles[digest.hex().encode()] = f"hex unkeyed {name} of {e164}"
            needles[digest.hex().upper().encode()] = f"HEX unkeyed {name} of {e164}"
    return needles


def find(needles: dict[bytes, str], blob: bytes) -> list[str]:
    return [label for needle, label in needles.items() if needle in blob]


# (method, path, body, token role, response shows the number on purpose)
HTTP_SCENARIO = [
    ("POST", "/api/v1/warnings", {"number": "+31 (0)6 1234 5678", "category": "theft"},
     "caseworker", False),
    ("POST", "/api/v1/warnings", {"number": "+49 (0)30 1234 5678", "category": "threats",
                                  "summary": "Volgde haar, ook via +32 470 12 34 56",
                                  "region": "Antwerpen 0032470123456"}, "caseworker", False),
    ("POST", "/api/v1/warnings", {"number": "06 1234 5678 please", "category": "theft"},
     "caseworker", False),
    ("POST", "/api/v1/warnings", {"number": "0612345678", "category": "rudeness"},
     "caseworker", False),
    ("POST", "/api/v1/warnings", {"number": "0612345678", "category": "theft"}, "member", False),
    ("POST", "/api/v1/check", {"number": "0612345678"}, "member", True),
    ("POST", "/api/v1/check", {"number": "tel:+32-470-12-34-56"}, "member", True),
    ("POST", "/api/v1/check", {"number": "097012345678"}, "caseworker", True),
    ("POST", "/api/v1/check", {"number": "06 1234 5678 please"}, "member", False),
    ("POST", "/api/v1/check", {"number": "0612345678;ext=9"}, "member", False),
    ("POST", "/api/v1/check", {"number": "0470 12 34 56"}, "member", False),
    ("POST", "/api/v1/check", {"number": 612345678}, "member", False),
    ("POST", "/api/v1/check", {"number": "0612345678"}, "bad", False),
    ("POST", "/api/v1/check", ["0612345678"], "member", False),
    ("POST", "/api/v1/warnings/999999/withdraw", {"reason": "0612345678"}, "caseworker", False),
    ("POST", "/api/v1/warnings/2/withdraw", {"reason": "dubbel met +49 30 12345678"},
     "caseworker", False),
]


def tokens_for(tokens, role):
    return tokens.get(role, "not-a-valid-token")


class LogCapture(logging.Handler):
    """Every record of every logger, at DEBUG, formatted with any traceback."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []
        self._saved: dict[logging.Logger, int] = {}

    def emit(self, record):
        self.lines.append(self.format(record))

    def watch_all_loggers(self):
        loggers = [logging.getLogger()] + [
            lg for lg in logging.root.manager.loggerDict.values() if isinstance(lg, logging.Logger)]
        for lg in loggers:
            if lg not in self._saved:
                self._saved[lg] = lg.level
                lg.setLevel(logging.DEBUG)
                if lg is logging.getLogger() or not lg.propagate:
                    lg.addHandler(self)

    def restore(self):
        for lg, level in self._saved.items():
            lg.setLevel(level)
            lg.removeHandler(self)


@dataclass
class Run:
    instance: Path
    key: bytes
    outputs: dict[str, str] = field(default_factory=dict)  # name -> text that must be clean
    snapshots: list[dict[Path, bytes]] = field(default_factory=list)
    stats: dict = field(default_factory=dict)

    def output(self, name, text):
        self.outputs[f"{len(self.outputs):03d} {name}"] = text

    def snapshot(self):
        self.snapshots.append({p: p.read_bytes() for p in sorted(self.instance.rglob("*"))
                               if p.is_file()})


def run_cli(run: "Run", cli, *args, input=None, shows_number=False):
    """Run a CLI command of the scenario; its output joins what the scan reads."""
    result = cli(*args, input=input)
    run.output(f"stderr checker {' '.join(args[:2])}", result.stderr)
    if not shows_number:  # a verdict shows the number as understood, on purpose
        run.output(f"stdout checker {' '.join(args[:2])}", result.stdout)
    return result


@contextmanager
def scenario_run(instance: Path):
    """A Run of a scenario, with every logger captured at DEBUG while it plays; the captured
    lines become the run's "logs" output when it ends."""
    logs = LogCapture()
    logs.watch_all_loggers()
    run = Run(instance, key=b"")
    try:
        yield run, logs
    finally:
        logs.restore()
        run.output("logs", "\n".join(logs.lines))
