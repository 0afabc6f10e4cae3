"""Settings shared by the CLI and the web app.

Every setting is an environment variable ``CHECKER_<NAME>``. Values are
decoded like Flask's ``from_prefixed_env`` (JSON where it parses), except the
secrets, which are always taken as the literal string: a hex key of digits
must not turn into a number.
"""

import json
import os
from dataclasses import dataclass
from pathlib import Path

from checker.errors import SetupProblem
from hashing import is_known_region

PREFIX = "CHECKER_"
SECRET_NAMES = frozenset({"HASH_KEY", "TWILIO_AUTH_TOKEN", "BIRD_SIGNING_KEY", "BIRD_ACCESS_KEY"})
DEFAULTS = {
    "INSTANCE": "instance",
    "DEFAULT_REGION": "NL",
    "RETENTION_DAYS": 1826,
}


def read_env(environ=None) -> dict:
    """All ``CHECKER_*`` variables, prefix removed, decoded as Flask would, secrets as text."""
    environ = os.environ if environ is None else environ
    values = {}
    for name, raw in environ.items():
        if not name.startswith(PREFIX):
            continue
        key = name[len(PREFIX):]
        values[key] = raw if key in SECRET_NAMES else _decode(raw)
    return values


def _decode(raw: str):
    try:
        return json.loads(raw)
    except ValueError:
        return raw


@dataclass(frozen=True)
class Settings:
    instance: Path
    hash_key: str | None = None
    key_file: Path | None = None
    default_region: str = "NL"
    retention_days: int = 1826

    @property
    def database_path(self) -> Path:
        return self.instance / "checker.db"

    @property
    def instance_key_file(self) -> Path:
        return self.instance / "hash.key"

    @classmethod
    def from_mapping(cls, values: dict) -> "Settings":
        values = {**DEFAULTS, **{k: v for k, v in values.items() if v is not None}}
        region = str(values["DEFAULT_REGION"]).upper()
        if not is_known_region(region):
            raise SetupProblem(f"CHECKER_DEFAULT_REGION {region!r} is not a known region code.")
        retention = values["RETENTION_DAYS"]
        if isinstance(retention, bool) or not isinstance(retention, int) or retention < 1:
            raise SetupProblem("CHECKER_RETENTION_DAYS must be a whole number of days, at least 1.")
        key_file = values.get("KEY_FILE")
        hash_key = values.get("HASH_KEY")
        return cls(
            instance=Path(str(values["INSTANCE"])).absolute(),
            hash_key=str(hash_key) if hash_key not in (None, "") else None,
            key_file=Path(str(key_file)) if key_file else None,
            default_region=region,
            retention_days=retention,
        )
