"""The member's pages beyond the check page: report an incident, see one's own reports, and
the alert feed. Thin: read the form, call the Checker, render.

A report's number travels only in the body of ``POST /report``; it is shown again only in
its own field when it could not be understood, and never after success (the answer is a
redirect to ``/reports/mine``). The feed's region filter is a GET query, a region never a
number: only a region of the feed's own list is echoed back.
"""

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from checker.errors import InvalidNumber, InvalidRequest
from web import i18n
from web.context import checker
from web.page_setup import setup, shown_again
from web.pages import signed_in

bp = Blueprint("member_pages", __name__)
setup(bp)

REPORT_FIELDS = ("number", "category", "date", "region", "what_happened", "client_description")
FREE_TEXT = ("region", "what_happened", "client_description")


@bp.route("/report", methods=["GET", "POST"])
@signed_in
def report():
    if request.method == "GET":
        return render_template("report.html", form={}, today=checker().today().isoformat())
    form = {name: request.form.get(name, "") for name in REPORT_FIELDS}
    try:
        checker().reports.submit(g.account, *(form[name] for name in REPORT_FIELDS))
    except InvalidNumber as exc:
        return _report_again(form, number_problem=i18n.invalid_number_message(exc.reason))
    except InvalidRequest as exc:
        return _report_again(form, problem=i18n.domain_message(str(exc)))
    flash("report_sent")
    return redirect(url_for("member_pages.my_reports"), 303)


def _report_again(form: dict, **problems):
    return render_template("report.html", form=shown_again(form, FREE_TEXT),
                           today=checker().today().isoformat(), **problems), 400


@bp.get("/reports/mine")
@signed_in
def my_reports():
    return render_template("my_reports.html", reports=checker().reports.mine(g.account))


@bp.get("/alerts")
@signed_in
def alerts():
    feed = checker().feed
    regions = feed.alert_regions()
    wanted = request.args.get("region", "")
    region = next((r for r in regions if r.casefold() == wanted.strip().casefold()), None)
    unknown = bool(wanted.strip()) and region is None
    shown = [] if unknown else feed.alerts(region)
    return render_template("alerts.html", alerts=shown, regions=regions, region=region,
                           unknown_region=unknown)
