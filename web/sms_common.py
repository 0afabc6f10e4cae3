"""What the SMS gateway views share: config, the public URL they sign, and the SmsDesk.

The desk's budget callbacks turn the web layer's 429/503 ApiErrors into the
domain's LimitReached/Unavailable, so a refusal becomes a reply, not an HTTP error.
"""

from flask import current_app, request

from checker.sms import LimitReached, SmsDesk, Unavailable
from web.context import checker
from web.errors import ApiError
from web.abuse import spend_for_check
from web.limits import Budget

UNKNOWN_SCOPE = "sms_unknown_sender"
DEFAULT_UNKNOWN_LIMITS = "3 per day"


def setting(name: str):
    """A gateway setting as text, or None when unset or empty."""
    value = current_app.config.get(name)
    return None if value in (None, "") else str(value)


def not_configured(gateway: str) -> ApiError:
    """A gateway without its secret does not exist (404): it never reads unsigned input."""
    return ApiError(404, "not_found", f"The {gateway} SMS gateway is not configured here.")


def signed_url() -> str:
    """The URL the gateway called, as configured: CHECKER_PUBLIC_URL + path + query string."""
    url = setting("PUBLIC_URL").rstrip("/") + request.path
    query = request.query_string.decode("latin-1")
    return f"{url}?{query}" if query else url


def install_unknown_budget(state) -> None:
    """Blueprint hook: the budget of replies to unregistered phones, per phone token."""
    app = state.app
    if "sms_unknown_budget" not in app.extensions:
        limiter = app.extensions["check_budget"].limiter
        limits = app.config.get("SMS_UNKNOWN_LIMITS") or DEFAULT_UNKNOWN_LIMITS
        app.extensions["sms_unknown_budget"] = Budget(limiter, UNKNOWN_SCOPE, limits)


def _as_reply(spend):
    """Wrap a spending function so a 429/503 ApiError becomes LimitReached/Unavailable."""

    def spend_or_refuse(*args) -> None:
        try:
            spend(*args)
        except ApiError as exc:
            if exc.status == 429:
                raise LimitReached(int(exc.headers.get("Retry-After", 60))) from None
            raise Unavailable() from None

    return spend_or_refuse


def _spend_unknown(sender_key) -> None:
    current_app.extensions["sms_unknown_budget"].spend(str(sender_key))


def desk() -> SmsDesk:
    return SmsDesk(
        checker(),
        spend_check=_as_reply(spend_for_check),
        spend_unknown=_as_reply(_spend_unknown),
    )
