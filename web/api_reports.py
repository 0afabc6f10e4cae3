"""Incident reports and the alert feed, ``/api/v1``: members report and read alerts,
caseworkers review. A number travels only in a request body, never in a URL or answer."""

from flask import Blueprint, g, request

from web.api import json_body, text_field
from web.auth import require
from web.context import checker

bp = Blueprint("reports", __name__, url_prefix="/api/v1")


@bp.post("/reports")
@require()
def submit():
    """Any signed-in account: members report; a caseworker may log a report taken by phone."""
    body = json_body()
    result = checker().reports.submit(
        g.account,
        text_field(body, "number"),
        text_field(body, "category", required=True),
        text_field(body, "date"),
        text_field(body, "region"),
        text_field(body, "what_happened", required=True),
        text_field(body, "client_description"),
    )
    return result, 201


@bp.get("/reports")
@require("caseworker")
def listing():
    args = request.args
    reports = checker().reports
    return {"reports": reports.listing(args.get("status", "pending"), args.get("limit")),
            "counts": reports.counts()}


@bp.get("/reports/mine")
@require()
def mine():
    return {"reports": checker().reports.mine(g.account)}


@bp.get("/reports/<int:report_id>")
@require("caseworker")
def read(report_id: int):
    return checker().reports.get(report_id)


@bp.post("/reports/<int:report_id>/publish")
@require("caseworker")
def publish(report_id: int):
    body = json_body()
    warning_id = checker().reports.publish(
        g.account.name, report_id,
        summary=text_field(body, "summary"),
        category=text_field(body, "category"),
        region=text_field(body, "region"),
    )
    return {"warning_id": warning_id}, 201


@bp.post("/reports/<int:report_id>/reject")
@require("caseworker")
def reject(report_id: int):
    reason = text_field(json_body(), "reason", required=True)
    return checker().reports.reject(g.account.name, report_id, reason)


@bp.get("/alerts")
@require()
def alerts():
    args = request.args
    feed = checker().feed
    return {"alerts": feed.alerts(args.get("region"), args.get("days"), args.get("limit")),
            "regions": feed.alert_regions(args.get("days"))}
