"""Helpers of the leak scans (tests/test_leak*.py): the forms in which a number could be
betrayed, a scan of bytes for them, a capture of every log record, and a record of a
scenario's outputs and instance snapshots."""

import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path

import blake3
import phonenumbers

from conftest import Cli


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


def needles_for(numbers: dict[str, list[str]]) -> dict[bytes, str]:
    """Every byte string that would betray a number, with a label for the failure message.

    ``numbers`` maps an E.164 number to the forms in which a scenario types it.
    """
    needles = {}
    for e164, typed in numbers.items():
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


def run_cli(run: Run, cli: Cli, *args, input=None, shows_number=False):
    result = cli(*args, input=input)
    run.output(f"stderr checker {' '.join(args[:2])}", result.stderr)
    if not shows_number:  # a verdict shows the number as understood, on purpose
        run.output(f"stdout checker {' '.join(args[:2])}", result.stdout)
    return result
