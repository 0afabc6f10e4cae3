"""Bearer-token authentication for the API, limited per client address on failure."""

from functools import wraps

from flask import current_app, g, request

from web.errors import ApiError
from web.limits import client_address


def _bearer_token() -> str | None:
    scheme, _, token = request.environ.get("HTTP_AUTHORIZATION", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def authenticate():
    """The account behind the request's token; 401 (or 429 for a guessing address) if none."""
    extensions = current_app.extensions  # once: every current_app is a context lookup
    budget = extensions["auth_budget"]
    address = client_address()
    if budget.exhausted(address):
        raise budget.retry_error(address)
    account = extensions["checker"].authenticate(_bearer_token())
    if account is None:
        budget.spend(address)
        raise ApiError(401, "unauthorized", "A valid access token is required (Authorization: Bearer TOKEN).",
                       headers={"WWW-Authenticate": 'Bearer realm="checker"'})
    return account


def require(role: str | None = None):
    """Decorator: the view needs a signed-in account, and ``role`` if given."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            g.account = authenticate()
            if role and g.account.role != role:
                raise ApiError(403, "forbidden", f"This needs a {role} account.")
            return view(*args, **kwargs)

        return wrapper

    return decorator
