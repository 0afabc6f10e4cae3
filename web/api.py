"""The JSON API, ``/api/v1``. Numbers travel only in request bodies, never in URLs."""

import json
from functools import cache
from importlib import resources

from flask import Blueprint, g, request

from checker.errors import InvalidRequest
from web.abuse import spend_for_check
from web.auth import require
from web.context import checker

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def json_body() -> dict:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    return body


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
