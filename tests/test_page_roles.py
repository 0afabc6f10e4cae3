"""Who reaches which page: every route of the app's url_map outside /api/, /sms/ and /static/,
walked with an anonymous visitor, a member, a deactivated member and a caseworker, each with
a real session and CSRF token (tests/test_roles.py does the same for the API).

New routes are picked up from the url_map; the test fails until their access rule is written
in ACCESS below. Expected: anonymous and deactivated visitors are sent to /login (303) from
every signed-in page; members get a 403 page on /desk; caseworkers get 200 on every page
(and a POST of theirs is carried out, never refused for their role).
"""

import io
import re

from conftest import CASEWORKER_PASSWORD, MEMBER_PASSWORD, csrf_of

ANYONE, SIGNED_IN, CASEWORKER = "anyone", "signed in", "caseworker"
SIGN_OUT = "sign out"  # anyone, and it always ends at /login
ROLES = ("anonymous", "deactivated member", "member", "caseworker")

ACCESS = {
    ("GET", "/healthz"): ANYONE,
    ("GET", "/favicon.ico"): ANYONE,
    ("GET", "/login"): ANYONE,
    ("POST", "/login"): ANYONE,
    ("POST", "/lang"): ANYONE,
    ("POST", "/logout"): SIGN_OUT,
    ("GET", "/"): SIGNED_IN,
    ("POST", "/"): SIGNED_IN,
    ("GET", "/report"): SIGNED_IN,
    ("POST", "/report"): SIGNED_IN,
    ("GET", "/reports/mine"): SIGNED_IN,
    ("GET", "/alerts"): SIGNED_IN,
    ("GET", "/desk"): CASEWORKER,
    ("GET", "/desk/reports"): CASEWORKER,
    ("GET", "/desk/reports/<int:report_id>"): CASEWORKER,
    ("POST", "/desk/reports/<int:report_id>/publish"): CASEWORKER,
    ("POST", "/desk/reports/<int:report_id>/reject"): CASEWORKER,
    ("GET", "/desk/warnings"): CASEWORKER,
    ("POST", "/desk/warnings"): CASEWORKER,
    ("POST", "/desk/warnings/<int:warning_id>/withdraw"): CASEWORKER,
    ("GET", "/desk/import"): CASEWORKER,
    ("POST", "/desk/import"): CASEWORKER,
    ("GET", "/desk/members"): CASEWORKER,
    ("POST", "/desk/members"): CASEWORKER,
    ("POST", "/desk/members/<int:member_id>/<any(deactivate, activate):change>"): CASEWORKER,
    ("POST", "/desk/members/<int:member_id>/password"): CASEWORKER,
    ("POST", "/desk/members/<int:member_id>/phone"): CASEWORKER,
    ("POST", "/desk/members/<int:member_id>/language"): CASEWORKER,
    ("GET", "/desk/audit"): CASEWORKER,
    ("GET", "/desk/stats"): CASEWORKER,
}

# Enough for every form: the walk is about access, not about input.
FORM = {"number": "0612345678", "category": "theft", "what_happened": "Betaalde niet",
        "reason": "Fout gemeld", "summary": "Betaalde niet", "region": "Utrecht",
        "password": "lang genoeg wachtwoord", "name": "nieuw-lid", "lang": "nl", "next": "/",
        "language": "en", "step": "check"}
CSV = b"number,category\n0612345678,theft\n"


def page_routes(app):
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(("/api/", "/sms/", "/static/")):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, rule.rule


def paths(rule: str, ids: dict):
    """The rule with its ids filled in; one path per value of an ``any(...)`` part."""
    choice = re.search(r"<any\(([^)]*)\):\w+>", rule)
    values = [v.strip() for v in choice.group(1).split(",")] if choice else [None]
    for value in values:
        path = re.sub(r"<any\([^)]*\):\w+>", value or "", rule)
        yield re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), path)


def expected(access: str, role: str) -> str:
    if access == SIGN_OUT:
        return "to /login"
    if access == ANYONE:
        return "allowed"
    if role in ("anonymous", "deactivated member"):
        return "to /login"
    if access == CASEWORKER and role == "member":
        return "403"
    return "allowed"


def outcome(method: str, response) -> str:
    status = response.status_code
    if status == 403:
        return "403"
    if status == 303 and response.headers["Location"] == "/login":
        return "to /login"
    if status >= 500 or status in (400, 401, 404, 405):
        return f"refused {status}"
    if method == "GET" and status not in (200, 303):
        return f"unexpected {status}"
    return "allowed"


class Visitor:
    """A test client with a session: it signs in (unless anonymous) and keeps its CSRF token."""

    def __init__(self, app, name=None, password=None):
        self.client = app.test_client()
        if name:
            page = self.client.get("/login")
            response = self.client.post("/login", data={
                "name": name, "password": password, "csrf_token": csrf_of(page.get_data(True))})
            assert response.status_code == 303, name
        self.token = csrf_of(self.client.get("/login" if not name else "/").get_data(True))

    def open(self, method, path):
        if method == "GET":
            response = self.client.get(path)
        else:
            form = {**FORM, "csrf_token": self.token, "file": (io.BytesIO(CSV), "w.csv")}
            response = self.client.post(path, data=form, content_type="multipart/form-data")
        html = response.get_data(True) if response.mimetype == "text/html" else ""
        if 'name="csrf_token"' in html:  # as a browser's next form would
            self.token = csrf_of(html)
        return response


def test_every_page_lets_in_exactly_the_roles_it_should(make_app, cli):
    app = make_app(LOGIN_LIMITS="1000 per minute", CHECK_LIMITS="1000 per hour")
    for name in ("mira", "dora"):
        cli("member", "add", name, "--password-stdin", input=MEMBER_PASSWORD + "\n")
    cli("caseworker", "add", "cas", "--password-stdin", input=CASEWORKER_PASSWORD + "\n")
    visitors = {
        "anonymous": Visitor(app),
        "deactivated member": Visitor(app, "dora", MEMBER_PASSWORD),
        "member": Visitor(app, "mira", MEMBER_PASSWORD),
        "caseworker": Visitor(app, "cas", CASEWORKER_PASSWORD),
    }
    cli.json("member", "deactivate", "dora")  # signed in before, so the session must fail
    checker = app.extensions["checker"]
    mira = checker.active_account(checker.members.get("mira")["id"])
    ids = {
        "report_id": checker.reports.submit(mira, "0612345678", "theft",
                                            what_happened="x")["id"],
        "warning_id": cli.json("add", "0612345678", "--category", "theft")["id"],
        "member_id": cli.json("member", "add", "target")["id"],
    }

    routes = list(page_routes(app))
    assert set(routes) == set(ACCESS), "write the access rule of every new page into ACCESS"
    # Signing out last, so that every other route is walked with a live session.
    routes.sort(key=lambda route: route == ("POST", "/logout"))
    wrong = []
    for method, rule in routes:
        for path in paths(rule, ids):
            for role in ROLES:
                response = visitors[role].open(method, path)
                want, got = expected(ACCESS[(method, rule)], role), outcome(method, response)
                if want != got:
                    wrong.append(f"{method} {path} as {role}: expected {want}, got "
                                 f"{response.status_code} {response.headers.get('Location')}")
                if role == "caseworker" and method == "GET" and ACCESS[(method, rule)] != ANYONE:
                    assert response.status_code == 200, (path, response.status_code)
                if got == "403":
                    assert response.mimetype == "text/html"
    assert wrong == [], "\n".join(wrong)
    assert len(routes) >= 29
