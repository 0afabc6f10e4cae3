"""CSRF protection for the HTML forms: a random token in the signed session cookie,
repeated in every form as ``csrf_token`` and compared in constant time.

The JSON API is not covered: it authenticates with bearer tokens, which a
browser never sends on its own, so a forged cross-site request carries none.
"""

import hmac
import secrets

from flask import request, session

FIELD = "csrf_token"
_SESSION_KEY = "csrf"


def csrf_token() -> str:
    """The session's token, made on first use (templates call this for every form)."""
    token = session.get(_SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = session[_SESSION_KEY] = secrets.token_urlsafe(32)
    return token


def csrf_valid() -> bool:
    expected = session.get(_SESSION_KEY)
    given = request.form.get(FIELD, "")
    if not isinstance(expected, str) or not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
