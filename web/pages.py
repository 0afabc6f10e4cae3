"""The member's web pages: sign in, check a number, sign out, switch language.

The number travels only in the body of ``POST /``; the verdict is rendered in
the answer to that POST, never redirected into a URL, and the number is kept
in the field only when it could not be understood. Sessions are Flask's
signed cookies holding the account id (checked again on every request), and
the signing secret is a subkey of the instance key made for that purpose only.
"""

import re
from datetime import timedelta
from functools import wraps

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template,
                   request, send_from_directory, session, url_for)
from flask.sessions import SecureCookieSessionInterface

from checker.errors import InvalidNumber
from web import i18n
from web.abuse import spend_for_check
from web.context import checker
from web.csrf import csrf_token, csrf_valid
from web.errors import JSON_PATHS, ApiError
from web.limits import client_address, login_budget

PAGE_CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SESSION_LIFETIME = timedelta(hours=12)
LANG_COOKIE_DAYS = 365
# Where the language switch may send back to: a path of this site, without a query.
LOCAL_PATH = re.compile(r"/(?:[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*)?")

bp = Blueprint("pages", __name__)


# -- every page request ----------------------------------------------------------

@bp.before_request
def refuse_forged_posts():
    if request.method == "POST" and not csrf_valid():
        abort(400)


@bp.before_request
def load_account():
    """The signed-in account, if its session is still valid and the account still active."""
    account_id = session.get("account_id")
    g.account = (checker().session_account(account_id, session.get("stamp"))
                 if account_id is not None else None)
    if account_id is not None and g.account is None:
        session.clear()


def signed_in(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.account is None:
            return redirect(url_for("pages.login"), 303)
        return view(*args, **kwargs)

    return wrapper


def page(template: str, status: int = 200, headers=None, **context):
    return render_template(template, **context), status, headers or {}


# -- sign in and out -------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"])
def login():
    if g.account is not None:
        return redirect(url_for("pages.check"), 303)
    if request.method == "GET":
        return page("login.html")
    name = request.form.get("name", "")
    try:
        spend_login_attempt(name)
    except ApiError as exc:
        if exc.status != 429:
            raise  # the limit storage is down: the 503 error page
        return page("login.html", exc.status, exc.headers, name=name,
                    retry_in=i18n.in_time(exc.extra["retry_after"]))
    account = checker().login(name, request.form.get("password", ""))
    if account is None:
        return page("login.html", name=name, failed=True)
    session.clear()  # a fresh session (and CSRF token) for the signed-in account
    session["account_id"] = account.id
    session["stamp"] = checker().session_stamp(account)  # a new password ends this session
    return redirect(url_for("pages.check"), 303)


def spend_login_attempt(name: str) -> None:
    """Every attempt counts, per client address and per name (as a keyed hash), atomically."""
    budget = login_budget()
    budget.spend("address:" + client_address())
    budget.spend("name:" + checker().login_identity(name))


@bp.post("/logout")
def logout():
    session.clear()
    flash("signed_out")
    return redirect(url_for("pages.login"), 303)


# -- the check page ---------------------------------------------------------------

@bp.route("/", methods=["GET", "POST"])
@signed_in
def check():
    if request.method == "GET":
        return page("check.html")
    typed = request.form.get("number", "")
    try:
        number = checker().parse(typed)
    except InvalidNumber as exc:
        # The only case where what was typed goes back into the page, to be corrected.
        # 200, not 400: the page is the answer, and browsers log a 4xx page as an error.
        return page("check.html", typed=typed,
                    problem=i18n.invalid_number_message(exc.reason))
    try:
        spend_for_check(g.account, number)
    except ApiError as exc:
        wait = exc.extra.get("retry_after")
        return page("check.html", exc.status, exc.headers,
                    retry_in=i18n.in_time(wait) if wait else None, unavailable=not wait)
    return page("check.html", verdict=checker().verdict(number, "web"))


# -- language, icon -------------------------------------------------------------

@bp.post("/lang")
def choose_language():
    code = request.form.get("lang")
    if code not in i18n.LANGUAGES:
        abort(400)
    back = request.form.get("next", "")
    response = redirect(back if LOCAL_PATH.fullmatch(back) else url_for("pages.check"), 303)
    response.set_cookie(i18n.LANG_COOKIE, code, max_age=LANG_COOKIE_DAYS * 86400,
                        httponly=True, samesite="Lax", secure=_secure())
    return response


@bp.get("/favicon.ico")
def favicon():
    return send_from_directory(bp.root_path + "/static", "favicon.ico",
                               mimetype="image/vnd.microsoft.icon")


# -- set-up -------------------------------------------------------------------------

def error_page(status: int, headers: dict):
    """A small HTML page for an error on a browser's path (see web.errors)."""
    return render_template("error.html", status=status), status, headers


def _secure() -> bool:
    return bool(current_app.config["SESSION_COOKIE_SECURE"])


def _page_headers(response):
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = PAGE_CSP
    return response


class PageSessions(SecureCookieSessionInterface):
    """Cookie sessions for the pages only: the API, the SMS gateways and the health check
    authenticate otherwise, so they neither read nor set a session cookie (and skip the
    cost of verifying one)."""

    def open_session(self, app, request):
        if request.path.startswith(JSON_PATHS):
            return None  # Flask then uses a null session: empty, and never saved
        return super().open_session(app, request)


def register(app) -> None:
    app.secret_key = app.extensions["checker"].session_secret
    app.session_interface = PageSessions()
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=str(app.config.get("PUBLIC_URL") or "").startswith("https://"),
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,  # also the most a cookie is honoured
    )
    i18n.init_app(app)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.extensions["error_page"] = error_page
    app.after_request(_page_headers)
    app.register_blueprint(bp)
