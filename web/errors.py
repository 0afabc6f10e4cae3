"""Every failure as JSON ``{"error": CODE, "message": TEXT}``, never a traceback.

Paths outside the API (the web pages a browser visits) get a small HTML page
instead, from the renderer the pages register as ``app.extensions["error_page"]``.
"""

from flask import current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from checker.errors import InvalidNumber, InvalidRequest, NotFound, Refused

HTTP_CODES = {
    400: "invalid_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "invalid_request",
    429: "rate_limited",
    503: "unavailable",
}


# Machine-facing paths: errors there are always JSON.
JSON_PATHS = ("/api/", "/sms/", "/healthz")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers=None, **extra):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers = headers or {}
        self.extra = extra


def error_response(status: int, code: str, message: str, headers=None, **extra):
    response = jsonify({"error": code, "message": message, **extra})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def error_page(status: int, headers=None):
    """The HTML error page for a browser's path, or None where errors are JSON."""
    render = current_app.extensions.get("error_page")
    if render is None or request.path.startswith(JSON_PATHS):
        return None
    return render(status, headers or {})


def register(app) -> None:
    @app.errorhandler(ApiError)
    def api_error(exc: ApiError):
        return error_page(exc.status, exc.headers) or error_response(
            exc.status, exc.code, exc.message, exc.headers, **exc.extra)

    @app.errorhandler(InvalidNumber)
    def invalid_number(exc: InvalidNumber):
        return error_response(400, "invalid_number", str(exc), reason=exc.reason)

    @app.errorhandler(InvalidRequest)
    def invalid_request(exc: InvalidRequest):
        return error_response(400, "invalid_request", str(exc))

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound):
        return error_response(404, "not_found", str(exc))

    @app.errorhandler(Refused)
    def refused(exc: Refused):
        return error_response(409, "conflict", str(exc))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        code = HTTP_CODES.get(exc.code, "error")
        headers = {"Allow": exc.valid_methods and ", ".join(exc.valid_methods)} if exc.code == 405 else {}
        return error_page(exc.code, headers) or error_response(
            exc.code, code, exc.description or exc.name, headers)

    @app.errorhandler(Exception)
    def internal_error(exc: Exception):
        # The path never holds a number (numbers only travel in bodies); the body is not logged.
        current_app.logger.error(
            "unhandled %s on %s %s", exc.__class__.__name__, request.method, request.path
        )
        return error_page(500) or error_response(
            500, "internal_error", "Something went wrong on our side.")
