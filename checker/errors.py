"""Errors the domain raises. Each interface maps them to its own form
(HTTP status and JSON code, CLI exit status and message)."""

from hashing import InvalidNumber, KeyProblem

__all__ = ["InvalidNumber", "InvalidRequest", "KeyProblem", "NotFound", "Refused", "SetupProblem"]


class InvalidRequest(ValueError):
    """Input other than a number is malformed (a category, a date, a missing field)."""


class NotFound(LookupError):
    """The thing asked for does not exist."""


class Refused(Exception):
    """The request is well-formed but cannot be carried out (a duplicate name, say)."""


class SetupProblem(Exception):
    """The instance cannot be used as configured (no database, wrong key)."""
