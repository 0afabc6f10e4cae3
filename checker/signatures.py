"""Webhook signatures of the SMS gateways, compared in constant time.

- Twilio: base64(HMAC-SHA1(auth token, URL + every form parameter's name and
  value, sorted by name then value, a repeated pair once)). The URL is the one Twilio called,
  query string included.
- Bird: base64(HMAC-SHA256(signing key, timestamp + "\\n" + URL + "\\n" +
  SHA-256 digest of the raw body)), the digest as its 32 raw bytes (as in
  Bird's own verification examples), the timestamp from the
  ``messagebird-request-timestamp`` header (Unix seconds).
"""

import base64
import hashlib
import hmac


def twilio_signature(auth_token: str, url: str, params) -> str:
    """``params``: (name, value) pairs of the POSTed form. Like Twilio's own validator,
    a value repeated under one name counts once."""
    data = url + "".join(name + value for name, value in sorted(set(params)))
    digest = hmac.new(auth_token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def bird_signature(signing_key: str, timestamp: str, url: str, body: bytes) -> str:
    payload = b"\n".join(
        [timestamp.encode("utf-8"), url.encode("utf-8"), hashlib.sha256(body).digest()]
    )
    digest = hmac.new(signing_key.encode("utf-8"), payload, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def matches(expected: str, given) -> bool:
    """Constant-time comparison of two base64 signatures; a missing one never matches."""
    if not isinstance(given, str) or not given:
        return False
    return hmac.compare_digest(expected.encode("ascii"), given.strip().encode("utf-8"))
