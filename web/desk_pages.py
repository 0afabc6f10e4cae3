"""The caseworkers' desk, ``/desk``: the review queue, warnings, CSV import, members, the
audit trail and monthly statistics, as HTML pages. Caseworkers only: a member gets a 403
page, a visitor without a session is sent to ``/login``.

Thin: read the form, call the Checker, render. Numbers travel only in POST bodies (a
warning's number, a member's SMS phone, an import file) and are shown again only in their
own field when they could not be understood. After a change the answer redirects (303)
with a flashed message that holds no number.

The CSV import takes two uploads of the same file, so that it is never kept on the server
between them: "Check" validates every row and stores nothing; "Store" imports it, all or
nothing unless "skip invalid rows" is ticked. Uploads stay in memory (web.uploads).
"""

from functools import wraps

from flask import (Blueprint, abort, flash, g, redirect, render_template, request, url_for)
from markupsafe import Markup

from checker.charts import bar_chart_svg
from checker.desk import overview
from checker.errors import InvalidNumber, InvalidRequest, Refused
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from web import i18n
from web.context import checker
from web.page_setup import setup, shown_again
from web.pages import signed_in
from web.uploads import allow_import_upload

bp = Blueprint("desk_pages", __name__, url_prefix="/desk")
AUDIT_LIMIT = 200
WARNING_FIELDS = ("number", "category", "date", "region", "summary")


def _larger_upload_for_import():
    if request.endpoint == "desk_pages.import_csv" and request.method == "POST":
        allow_import_upload()


setup(bp, before=[_larger_upload_for_import])


def caseworker(view):
    """Signed in (else to /login) and a caseworker (else a 403 page)."""
    @signed_in
    @wraps(view)
    def wrapper(*args, **kwargs):
        if not g.account.is_caseworker:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def me() -> str:
    return g.account.name


def done(message: str, endpoint: str, **values):
    flash(message)
    return redirect(url_for(endpoint, **values), 303)


# -- overview ---------------------------------------------------------------------

@bp.get("")
@caseworker
def home():
    return render_template("desk/home.html", overview=overview(checker()))


# -- the review queue ---------------------------------------------------------------

@bp.get("/reports")
@caseworker
def reports():
    return render_template("desk/reports.html", reports=checker().reports.listing("pending"))


@bp.get("/reports/<int:report_id>")
@caseworker
def report(report_id: int):
    return _report_page(report_id)


def _report_page(report_id: int, status: int = 200, **context):
    found = checker().reports.get(report_id)
    return render_template("desk/report.html", report=found, **context), status


@bp.post("/reports/<int:report_id>/publish")
@caseworker
def publish(report_id: int):
    form = request.form
    try:
        warning_id = checker().reports.publish(
            me(), report_id, summary=form.get("summary"), category=form.get("category"),
            region=form.get("region"))
    except InvalidRequest as exc:
        return _report_page(report_id, 400, problem=i18n.domain_message(str(exc)), publish_form=form)
    except Refused as exc:
        return _report_page(report_id, 409, problem=i18n.domain_message(str(exc)), publish_form=form)
    return done(_("Report %(report)d is published as warning %(warning)d.",
                  report=report_id, warning=warning_id), "desk_pages.reports")


@bp.post("/reports/<int:report_id>/reject")
@caseworker
def reject(report_id: int):
    try:
        checker().reports.reject(me(), report_id, request.form.get("reason"))
    except InvalidRequest as exc:
        return _report_page(report_id, 400, problem=i18n.domain_message(str(exc)))
    except Refused as exc:
        return _report_page(report_id, 409, problem=i18n.domain_message(str(exc)))
    return done(_("Report %(report)d is rejected.", report=report_id), "desk_pages.reports")


# -- warnings -----------------------------------------------------------------------

@bp.get("/warnings")
@caseworker
def warnings():
    return _warnings_page()


def _warnings_page(status: int = 200, **context):
    listing = checker().feed.warnings(request.args.get("status") or None)
    context.setdefault("form", {})
    return render_template("desk/warnings.html", warnings=listing,
                           today=checker().today().isoformat(), **context), status


@bp.post("/warnings")
@caseworker
def add_warning():
    form = {name: request.form.get(name, "") for name in WARNING_FIELDS}
    try:
        warning_id = checker().add_warning(me(), *(form[name] or None for name in WARNING_FIELDS))
    except InvalidNumber as exc:
        return _warnings_page(400, form=shown_again(form, ("region", "summary")),
                              number_problem=i18n.invalid_number_message(exc.reason))
    except InvalidRequest as exc:
        return _warnings_page(400, form=shown_again(form, ("region", "summary")),
                              problem=i18n.domain_message(str(exc)))
    return done(_("Warning %(id)d is published.", id=warning_id), "desk_pages.warnings")


@bp.post("/warnings/<int:warning_id>/withdraw")
@caseworker
def withdraw(warning_id: int):
    try:
        checker().withdraw(me(), warning_id, request.form.get("reason"))
    except InvalidRequest as exc:
        return _warnings_page(400, problem=i18n.domain_message(str(exc)))
    return done(_("Warning %(id)d is withdrawn.", id=warning_id), "desk_pages.warnings")


# -- CSV import ------------------------------------------------------------------

@bp.route("/import", methods=["GET", "POST"])
@caseworker
def import_csv():
    if request.method == "GET":
        return render_template("desk/import.html")
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template("desk/import.html", problem=_("Choose a CSV file first.")), 400
    store = request.form.get("step") == "store"
    skip = request.form.get("skip_invalid") == "yes"
    try:
        if store:
            result = checker().import_csv(me(), upload.stream, skip)
        else:
            result = checker().validate_import(upload.stream)
    except InvalidRequest as exc:
        return render_template("desk/import.html", problem=i18n.domain_message(str(exc))), 400
    stored = store and (skip or not result.skipped)
    return render_template("desk/import.html", result=result, stored=stored, checked=not store,
                           skip=skip), 200 if stored or not store else 400


# -- members ------------------------------------------------------------------------

@bp.get("/members")
@caseworker
def members():
    return _members_page()


def _members_page(status: int = 200, **context):
    context.setdefault("form", {})
    return render_template("desk/members.html", members=checker().members.list(),
                           **context), status


@bp.post("/members")
@caseworker
def add_member():
    form = {name: request.form.get(name, "") for name in ("name", "phone", "password")}
    try:
        new = checker().members.add(me(), form["name"], phone=form["phone"] or None,
                                    password=form["password"] or None)
    except InvalidNumber as exc:
        return _members_page(400, form={**form, "password": ""},
                             phone_problem=i18n.invalid_number_message(exc.reason))
    except (InvalidRequest, Refused) as exc:
        return _members_page(400 if isinstance(exc, InvalidRequest) else 409,
                             form={**form, "password": ""}, problem=i18n.domain_message(str(exc)))
    # Rendered, not redirected: the access token is shown this once.
    return _members_page(new_member=new)


@bp.post("/members/<int:member_id>/<any(deactivate, activate):change>")
@caseworker
def set_active(member_id: int, change: str):
    members_ = checker().members
    found = (members_.deactivate if change == "deactivate" else members_.activate)(me(), member_id)
    message = (_("%(name)s is active again.", name=found["name"]) if found["active"]
               else _("%(name)s is deactivated.", name=found["name"]))
    return done(message, "desk_pages.members")


@bp.post("/members/<int:member_id>/password")
@caseworker
def set_password(member_id: int):
    try:
        found = checker().members.set_password(me(), member_id, request.form.get("password", ""))
    except InvalidRequest as exc:
        return _members_page(400, problem=i18n.domain_message(str(exc)))
    return done(_("The password of %(name)s is set.", name=found["name"]), "desk_pages.members")


@bp.post("/members/<int:member_id>/language")
@caseworker
def set_language(member_id: int):
    try:
        found = checker().members.set_language(me(), member_id, request.form.get("language"))
    except InvalidRequest as exc:
        return _members_page(400, problem=i18n.domain_message(str(exc)))
    return done(_("%(name)s gets SMS replies in %(language)s.", name=found["name"],
                  language=i18n.LANGUAGE_NAMES[found["language"]]), "desk_pages.members")


@bp.post("/members/<int:member_id>/phone")
@caseworker
def set_phone(member_id: int):
    remove = request.form.get("remove") == "yes"
    try:
        found = checker().members.set_phone(me(), member_id,
                                            None if remove else request.form.get("number", ""))
    except InvalidNumber as exc:
        return _members_page(400, phone_member=member_id,
                             typed_phone=request.form.get("number", ""),
                             member_phone_problem=i18n.invalid_number_message(exc.reason))
    except Refused as exc:
        return _members_page(409, problem=i18n.domain_message(str(exc)))
    message = (_("%(name)s has an SMS phone now.", name=found["name"]) if found["sms_phone"]
               else _("%(name)s has no SMS phone now.", name=found["name"]))
    return done(message, "desk_pages.members")


# -- audit trail and statistics ---------------------------------------------------

@bp.get("/audit")
@caseworker
def audit():
    return render_template("desk/audit.html", events=checker().audit_events(AUDIT_LIMIT),
                           limit=AUDIT_LIMIT)


@bp.get("/stats")
@caseworker
def stats():
    rows = checker().monthly_stats(12)
    titles = {name: str(title) for name, title in MEASURES.items()}
    labels = [i18n.short_month(row["month"]) for row in rows]
    # Drawn at a phone's width, so that its text stays readable there; it scales up.
    charts = {name: Markup(bar_chart_svg(title, labels, [row[name] for row in rows],
                                         width=360, height=200))
              for name, title in titles.items()}
    return render_template("desk/stats.html", rows=rows, charts=charts, measures=titles)


MEASURES = {
    "members": _l("Members"),
    "new_members": _l("New members"),
    "reports": _l("Reports"),
    "warnings_published": _l("Warnings published"),
    "checks": _l("Checks"),
    "checks_with_warnings": _l("Checks with warnings"),
}
