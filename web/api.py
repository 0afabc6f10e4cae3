"""The JSON API, ``/api/v1``. Numbers travel only in request bodies, never in URLs."""

import json
from functools import cache
from importlib import resources

from flask import Blueprint, current_app, g, request

from checker.errors import InvalidRequest
from web.abuse import spend_for_check
from web.auth import require
from web.context import checker

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def json_body() -> dict:
    """The request's JSON object (whatever its Content-Type says), or InvalidRequest."""
    try:
        body = current_app.json.loads(_body_bytes())
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    return body


def _body_bytes() -> bytes:
    """The body. When the server ends the input stream itself (gunicorn and waitress say
    so with ``wsgi.input_terminated``) and the body's length is given and within
    MAX_CONTENT_LENGTH, it is read from the stream directly. werkzeug's ``get_data``
    reads through its limiting wrapper until the stream ends, two 64 KiB buffers for a
    body of some 30 bytes: under load, 47 us a request against 33 us without the limit
    (a bare Flask endpoint, timed inside a gunicorn worker). Anything else (no length, a
    length above the limit: 413) still goes through ``get_data``."""
    environ = request.environ
    length = request.content_length
    limit = request.max_content_length
    if length is not None and environ.get("wsgi.input_terminated") and (limit is None or length <= limit):
        return environ["wsgi.input"].read(length)
    return request.get_data(cache=False)


def text_field(body: dict, name: str, required: bool = False):
    value = body.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"The field {name!r} must be a string.")
    return value


@bp.post("/check")
@require()
def check():
    service = checker()
    number = service.parse(text_field(json_body(), "number", required=True))
    spend_for_check(g.account, number)
    return service.verdict(number, "api").as_json()


@bp.post("/warnings")
@require("caseworker")
def add_warning():
    body = json_body()
    warning_id = checker().add_warning(
        g.account.name,
        text_field(body, "number", required=True),
        text_field(body, "category", required=True),
        text_field(body, "date"),
        text_field(body, "region"),
        text_field(body, "summary"),
    )
    return {"id": warning_id}, 201


@bp.post("/warnings/<int:warning_id>/withdraw")
@require("caseworker")
def withdraw(warning_id: int):
    reason = text_field(json_body(), "reason", required=True)
    return checker().withdraw(g.account.name, warning_id, reason)


@cache
def _openapi_document() -> dict:
    return json.loads(resources.files("web").joinpath("openapi.json").read_text(encoding="utf-8"))


@bp.get("/openapi.json")
def openapi():
    return _openapi_document()
