"""Who reaches what: every route under /api/ of the app's url_map, walked with an anonymous
caller, a member, a deactivated member and a caseworker.

New routes are picked up from the url_map automatically; the test fails until their access
rule is written down in ACCESS below, so no route can be added without deciding who may use it.
"""

import re

from conftest import NL_MOBILE_2

ANYONE, SIGNED_IN, CASEWORKER = "anyone", "signed in", "caseworker"

ACCESS = {
    ("GET", "/api/v1/openapi.json"): ANYONE,
    ("POST", "/api/v1/check"): SIGNED_IN,
    ("POST", "/api/v1/warnings"): CASEWORKER,
    ("GET", "/api/v1/warnings"): CASEWORKER,
    ("POST", "/api/v1/warnings/<int:warning_id>/withdraw"): CASEWORKER,
    ("POST", "/api/v1/reports"): SIGNED_IN,
    ("GET", "/api/v1/reports"): CASEWORKER,
    ("GET", "/api/v1/reports/mine"): SIGNED_IN,
    ("GET", "/api/v1/reports/<int:report_id>"): CASEWORKER,
    ("POST", "/api/v1/reports/<int:report_id>/publish"): CASEWORKER,
    ("POST", "/api/v1/reports/<int:report_id>/reject"): CASEWORKER,
    ("GET", "/api/v1/alerts"): SIGNED_IN,
    ("GET", "/api/v1/members"): CASEWORKER,
    ("POST", "/api/v1/members"): CASEWORKER,
    ("POST", "/api/v1/members/<int:member_id>/deactivate"): CASEWORKER,
    ("POST", "/api/v1/members/<int:member_id>/activate"): CASEWORKER,
    ("POST", "/api/v1/members/<int:member_id>/password"): CASEWORKER,
    ("POST", "/api/v1/members/<int:member_id>/language"): CASEWORKER,
    ("POST", "/api/v1/members/<int:member_id>/phone"): CASEWORKER,
    ("DELETE", "/api/v1/members/<int:member_id>/phone"): CASEWORKER,
    ("GET", "/api/v1/stats/monthly"): CASEWORKER,
}

# Enough for every route's body: the walk is about access, not about input.
BODY = {"number": "0612345678", "category": "theft", "what_happened": "Betaalde niet",
        "reason": "Fout gemeld", "summary": "Betaalde niet", "password": "lang genoeg wachtwoord", "language": "en",
        "name": "nieuw-lid"}


def api_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield method, rule.rule


def expected(access: str, role: str) -> str:
    if access == ANYONE:
        return "allowed"
    if role in ("anonymous", "deactivated member"):
        return "401"
    if access == CASEWORKER and role == "member":
        return "403"
    return "allowed"


def outcome(status: int) -> str:
    if status in (401, 403):
        return str(status)
    return "allowed" if status < 500 else f"server error {status}"


def test_every_api_route_lets_in_exactly_the_roles_it_should(make_app, cli):
    app = make_app(AUTH_FAILURE_LIMITS="1000 per minute")
    client = app.test_client()
    tokens = {
        "anonymous": None,
        "member": cli.json("member", "add", "mira")["token"],
        "deactivated member": cli.json("member", "add", "dora")["token"],
        "caseworker": cli.json("caseworker", "add", "cas")["token"],
    }
    cli.json("member", "deactivate", "dora")
    target = cli.json("member", "add", "target", "--phone", NL_MOBILE_2)["id"]
    ids = {
        "warning_id": cli.json("add", "0612345678", "--category", "theft")["id"],
        "report_id": client.post("/api/v1/reports", json=BODY, headers={
            "Authorization": f"Bearer {tokens['member']}"}).get_json()["id"],
        "member_id": target,
    }

    routes = list(api_routes(app))
    assert set(routes) == set(ACCESS), "write the access rule of every new route into ACCESS"
    wrong = []
    for method, rule in routes:
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids[m.group(1)]), rule)
        for role in ("anonymous", "deactivated member", "member", "caseworker"):
            token = tokens[role]
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            response = client.open(path, method=method, json=BODY if method != "GET" else None,
                                   headers=headers)
            want, got = expected(ACCESS[(method, rule)], role), outcome(response.status_code)
            if want != got:
                wrong.append(f"{method} {path} as {role}: expected {want}, got "
                             f"{response.status_code} {response.get_data(as_text=True)[:120]}")
    assert wrong == []
    assert len(routes) >= 20


def test_every_api_route_is_in_the_openapi_document(app):
    from openapi_spec_validator import validate

    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    validate(spec)
    documented = {(method.upper(), path) for path, item in spec["paths"].items() for method in item}
    routes = {(method, re.sub(r"<(?:\w+:)?\w+>", "{id}", rule)) for method, rule in api_routes(app)}
    assert routes - documented == set()
    documented_api = {(method, path) for method, path in documented if path.startswith("/api/")}
    assert documented_api - routes == set()  # nothing documented that is not served
