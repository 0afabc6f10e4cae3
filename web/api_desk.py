"""The caseworkers' desk, ``/api/v1``: the warning list, member management, monthly
statistics. Caseworkers only. Members are addressed by id; a phone only in a body."""

from flask import Blueprint, g, request

from web.api import json_body, text_field
from web.auth import require
from web.context import checker

bp = Blueprint("desk", __name__, url_prefix="/api/v1")


@bp.get("/warnings")
@require("caseworker")
def warnings():
    args = request.args
    return {"warnings": checker().feed.warnings(args.get("status"), args.get("limit"),
                                                args.get("offset"))}


@bp.get("/members")
@require("caseworker")
def members():
    return {"members": checker().members.list()}


@bp.post("/members")
@require("caseworker")
def add_member():
    body = json_body()
    new = checker().members.add(
        g.account.name,
        text_field(body, "name", required=True),
        phone=text_field(body, "phone"),
        password=text_field(body, "password"),
    )
    return new.as_json(), 201


@bp.post("/members/<int:member_id>/deactivate")
@require("caseworker")
def deactivate(member_id: int):
    return checker().members.deactivate(g.account.name, member_id)


@bp.post("/members/<int:member_id>/activate")
@require("caseworker")
def activate(member_id: int):
    return checker().members.activate(g.account.name, member_id)


@bp.post("/members/<int:member_id>/password")
@require("caseworker")
def set_password(member_id: int):
    password = text_field(json_body(), "password", required=True)
    return checker().members.set_password(g.account.name, member_id, password)


@bp.post("/members/<int:member_id>/language")
@require("caseworker")
def set_language(member_id: int):
    language = text_field(json_body(), "language", required=True)
    return checker().members.set_language(g.account.name, member_id, language)


@bp.post("/members/<int:member_id>/phone")
@require("caseworker")
def set_phone(member_id: int):
    number = text_field(json_body(), "number", required=True)
    return checker().members.set_phone(g.account.name, member_id, number)


@bp.delete("/members/<int:member_id>/phone")
@require("caseworker")
def remove_phone(member_id: int):
    return checker().members.set_phone(g.account.name, member_id, None)


@bp.get("/stats/monthly")
@require("caseworker")
def monthly():
    return {"months": checker().monthly_stats(request.args.get("months"))}
