"""Every API route of issue 2 with its error cases, through Flask's test client."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate

from conftest import (
    BE_MOBILE, CATEGORIES, NL_MOBILE, NL_MOBILE_2, NL_MOBILE_INTL, OTHER_KEY_FINGERPRINT,
    OTHER_KEY_HEX, TEST_KEY_FINGERPRINT, ZERO_VERDICT, assert_no_number_in, core, days_ago,
)

CHECK = "/api/v1/check"
WARNINGS = "/api/v1/warnings"


def post(client, path, body=None, token=None, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if body is not None:
        kwargs["json"] = body
    return client.post(path, headers=headers, **kwargs)


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.get_json()
    assert body["error"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body


def check(client, token, number):
    response = post(client, CHECK, {"number": number}, token)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def add_warning(client, token, number=NL_MOBILE, category="theft", **fields):
    response = post(client, WARNINGS, {"number": number, "category": category, **fields}, token)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["id"]


def withdraw(client, token, warning_id, reason="reported in error"):
    return post(client, f"{WARNINGS}/{warning_id}/withdraw", {"reason": reason}, token)


# --- health, headers, generic errors ---------------------------------------------

def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


@pytest.mark.parametrize("method, path, body", [
    ("get", "/healthz", None),
    ("get", "/api/v1/openapi.json", None),
    ("post", CHECK, {"number": "0612345678"}),
    ("post", CHECK, {"number": "nonsense"}),
    ("get", "/no/such/page", None),
    ("get", CHECK, None),
])
def test_security_headers_on_every_response(client, member_token, method, path, body):
    response = getattr(client, method)(path, json=body,
                                       headers={"Authorization": f"Bearer {member_token}"})
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"]


def test_unknown_route_is_json_404(client):
    assert_error(client.get("/api/v1/nothing"), 404, "not_found")


@pytest.mark.parametrize("method, path", [("get", CHECK), ("put", CHECK), ("delete", WARNINGS),
                                          ("delete", f"{WARNINGS}/1/withdraw")])
def test_wrong_method_is_json_405(client, method, path):
    assert_error(getattr(client, method)(path), 405, "method_not_allowed")


def test_payload_too_large(make_app, member_token):
    client = make_app(MAX_CONTENT_LENGTH=1024).test_client()
    response = post(client, CHECK, {"number": "0612345678", "padding": "x" * 4096}, member_token)
    assert_error(response, 413, "payload_too_large")


def test_default_payload_limit_is_64k(client, member_token):
    response = post(client, CHECK, {"number": "0612345678", "padding": "x" * 70000}, member_token)
    assert_error(response, 413, "payload_too_large")


def test_openapi_document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    assert {CHECK, WARNINGS, "/api/v1/warnings/{id}/withdraw", "/healthz"} <= set(spec["paths"])
    assert "post" in spec["paths"][CHECK]


# --- authentication ------------------------------------------------------------------

@pytest.mark.parametrize("path", [CHECK, WARNINGS, f"{WARNINGS}/1/withdraw"])
@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer not-a-token", "Basic abc",
                                           "not-a-token"])
def test_missing_or_unknown_token_is_401(client, path, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = client.post(path, json={"number": "0612345678", "category": "theft",
                                       "reason": "x"}, headers=headers)
    body = assert_error(response, 401, "unauthorized")
    assert_no_number_in(json.dumps(body), NL_MOBILE)


def test_token_must_be_exact(client, member_token):
    assert_error(post(client, CHECK, {"number": "0612345678"}, member_token[:-1]), 401,
                 "unauthorized")
    assert_error(post(client, CHECK, {"number": "0612345678"}, member_token + "x"), 401,
                 "unauthorized")


@pytest.mark.parametrize("path, body", [
    (WARNINGS, {"number": "0612345678", "category": "theft"}),
    (f"{WARNINGS}/1/withdraw", {"reason": "x"}),
])
def test_member_token_on_caseworker_routes_is_403(client, member_token, path, body):
    assert_error(post(client, path, body, member_token), 403, "forbidden")


def test_auth_failures_are_rate_limited_per_ip(make_app, member_token):
    client = make_app(AUTH_FAILURE_LIMITS="3 per minute").test_client()
    for _ in range(3):
        assert_error(post(client, CHECK, {"number": "0612345678"}, "wrong"), 401, "unauthorized")
    response = post(client, CHECK, {"number": "0612345678"}, "wrong")
    assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) > 0


# --- check ---------------------------------------------------------------------------

@pytest.mark.parametrize("number", ["0612345678", "06-12345678", "+31 (0)6 1234 5678",
                                    "tel:+31612345678", "0031612345678"])
def test_check_without_warnings(client, member_token, number):
    assert core(check(client, member_token, number)) == ZERO_VERDICT


def test_check_with_caseworker_token(client, caseworker_token):
    assert core(check(client, caseworker_token, "0612345678")) == ZERO_VERDICT


def test_check_shows_how_the_number_was_read(client, member_token):
    assert check(client, member_token, "0032 470 123456")["number"] == "+32 470 12 34 56"
    assert check(client, member_token, "0970-1234-5678")["number"] == "+31 970 123 45678"


def test_verdict_counts_sorts_and_dates(client, member_token, caseworker_token):
    add_warning(client, caseworker_token, "06-12345678", "theft", date=days_ago(300))
    add_warning(client, caseworker_token, "+31 6 12345678", "physical_violence",
                date=days_ago(40), region="Utrecht", summary="Sloeg toe")
    add_warning(client, caseworker_token, NL_MOBILE, "theft", date=days_ago(100))
    add_warning(client, caseworker_token, BE_MOBILE, "stalking")
    verdict = check(client, member_token, "0612345678")
    assert core(verdict) == {"number": NL_MOBILE_INTL, "warnings": 3,
                             "categories": ["physical_violence", "theft"],
                             "last_reported": days_ago(40)[:7]}
    assert check(client, member_token, "+32470123456")["categories"] == ["stalking"]


@pytest.mark.parametrize("number, reason", [
    ("06 1234 5678 please", "bad_characters"),
    ("06 1234 5678 x123", "bad_characters"),
    ("0612345678;ext=1", "bad_characters"),
    ("", "empty"),
    ("+999 612345678", "invalid_country_code"),
    ("06-98765432", "invalid"),
    ("0" * 80, "too_long"),
])
def test_check_invalid_number(client, member_token, number, reason):
    response = post(client, CHECK, {"number": number}, member_token)
    body = assert_error(response, 400, "invalid_number")
    assert_no_number_in(response.get_data(as_text=True), NL_MOBILE, "+31698765432")
    assert number.strip() not in body["message"] or not number.strip()


@pytest.mark.parametrize("kwargs", [
    {},  # no body at all
    {"data": "number=0612345678", "content_type": "application/x-www-form-urlencoded"},
    {"data": "{not json", "content_type": "application/json"},
    {"json": ["0612345678"]},
    {"json": "0612345678"},
    {"json": None},
    {"json": {}},
    {"json": {"number": 612345678}},
    {"json": {"number": None}},
    {"json": {"number": ["0612345678"]}},
    {"json": {"phone": "0612345678"}},
], ids=["empty", "form", "broken-json", "list", "string", "null", "no-number", "int", "null-number",
        "list-number", "wrong-field"])
def test_check_malformed_request(client, member_token, kwargs):
    response = client.post(CHECK, headers={"Authorization": f"Bearer {member_token}"}, **kwargs)
    body = assert_error(response, 400, "invalid_request")
    assert_no_number_in(json.dumps(body), NL_MOBILE)


def test_invalid_numbers_use_none_of_the_check_budget(make_app, member_token, cli):
    client = make_app(CHECK_LIMITS="3 per minute").test_client()
    for _ in range(5):
        assert_error(post(client, CHECK, {"number": "06 1234 5678 please"}, member_token), 400,
                     "invalid_number")
    for _ in range(3):
        check(client, member_token, "0612345678")
    response = post(client, CHECK, {"number": "0612345678"}, member_token)
    body = assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) > 0
    assert "warnings" not in body and "categories" not in body
    # the budget is per member
    other = cli.json("member", "add", "bea")["token"]
    check(client, other, "0612345678")


def test_each_app_has_its_own_limiter_storage(make_app, member_token):
    first = make_app(CHECK_LIMITS="1 per minute").test_client()
    check(first, member_token, "0612345678")
    assert_error(post(first, CHECK, {"number": "0612345678"}, member_token), 429, "rate_limited")
    second = make_app(CHECK_LIMITS="1 per minute").test_client()
    check(second, member_token, "0612345678")


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.text(max_size=80), st.text(alphabet="0123456789 +()-./tel:x", max_size=70),
                 st.integers(), st.none(), st.lists(st.text(max_size=5), max_size=2)))
def test_check_any_input_is_a_verdict_or_a_400(make_app, member_token, number):
    client = make_app(CHECK_LIMITS="100000 per minute").test_client()
    response = post(client, CHECK, {"number": number}, member_token)
    if response.status_code == 200:
        assert isinstance(number, str) and response.get_json()["warnings"] == 0
    else:
        code = "invalid_number" if isinstance(number, str) else "invalid_request"
        assert_error(response, 400, code)


def test_a_key_other_than_the_databases_is_refused(make_app):
    with pytest.raises(Exception) as caught:
        make_app(HASH_KEY=OTHER_KEY_HEX)
    assert TEST_KEY_FINGERPRINT in str(caught.value) and OTHER_KEY_FINGERPRINT in str(caught.value)


def test_checks_and_hits_are_counted(client, member_token, caseworker_token, cli):
    add_warning(client, caseworker_token)
    check(client, member_token, "0612345678")
    check(client, member_token, "0612345678")
    check(client, member_token, "+32 470 12 34 56")
    post(client, CHECK, {"number": "nonsense"}, member_token)
    stats = cli.json("stats")
    assert (stats["checks"], stats["hits"]) == (3, 2)


# --- warnings --------------------------------------------------------------------------

@pytest.mark.parametrize("category", CATEGORIES)
def test_add_warning(client, caseworker_token, member_token, category):
    warning_id = add_warning(client, caseworker_token, "06 1234 5678", category)
    assert warning_id is not None
    assert check(client, member_token, NL_MOBILE)["categories"] == [category]


def test_add_warning_with_all_fields(client, caseworker_token, member_token):
    add_warning(client, caseworker_token, "tel:+32-470-12-34-56", "threats", date=days_ago(3),
                region="Gent", summary="Dreigde")
    verdict = check(client, member_token, BE_MOBILE)
    assert (verdict["warnings"], verdict["last_reported"]) == (1, days_ago(3)[:7])


def test_add_warning_defaults_to_today(client, caseworker_token, member_token):
    add_warning(client, caseworker_token)
    assert check(client, member_token, NL_MOBILE)["last_reported"] == days_ago(0)[:7]


@pytest.mark.parametrize("body, code", [
    ({"number": "06 1234 5678 please", "category": "theft"}, "invalid_number"),
    ({"number": "06-98765432", "category": "theft"}, "invalid_number"),
    ({"number": "0612345678", "category": "rudeness"}, "invalid_request"),
    ({"number": "0612345678", "category": "Theft"}, "invalid_request"),
    ({"number": "0612345678"}, "invalid_request"),
    ({"number": 612345678, "category": "theft"}, "invalid_request"),
    ({"number": "0612345678", "category": "theft", "date": "2026-02-30"}, "invalid_request"),
    ({"number": "0612345678", "category": "theft", "date": "04-12-2026"}, "invalid_request"),
    ({"number": "0612345678", "category": "theft", "date": days_ago(-2)}, "invalid_request"),
    ({"number": "0612345678", "category": "theft", "summary": 5}, "invalid_request"),
    (["0612345678", "theft"], "invalid_request"),
], ids=["trailing-word", "invalid", "bad-category", "category-case", "no-category", "int-number", "bad-date",
        "date-order", "future-date", "summary-not-text", "not-an-object"])
def test_add_warning_refuses_bad_input(client, caseworker_token, member_token, body, code):
    response = post(client, WARNINGS, body, caseworker_token)
    assert_error(response, 400, code)
    assert_no_number_in(response.get_data(as_text=True), NL_MOBILE)
    assert check(client, member_token, NL_MOBILE)["warnings"] == 0


def test_free_text_is_stored_without_numbers(client, caseworker_token, member_token):
    add_warning(client, caseworker_token, summary="Belde vanaf 06-87654321 en +32 470 12 34 56",
                region="Utrecht")
    verdict = check(client, member_token, NL_MOBILE)
    assert verdict["warnings"] == 1
    text = json.dumps({k: verdict[k] for k in ("summaries", "regions")})
    assert "[number removed]" in text and "Utrecht" in text
    assert_no_number_in(text, NL_MOBILE_2, BE_MOBILE)


def test_old_warning_is_accepted_but_never_counts(client, caseworker_token, member_token):
    add_warning(client, caseworker_token, date=days_ago(2000))
    assert core(check(client, member_token, NL_MOBILE)) == ZERO_VERDICT


# --- withdraw --------------------------------------------------------------------------

def test_withdraw(client, caseworker_token, member_token):
    warning_id = add_warning(client, caseworker_token, category="theft")
    add_warning(client, caseworker_token, category="threats")
    response = withdraw(client, caseworker_token, warning_id)
    assert response.status_code == 200
    verdict = check(client, member_token, NL_MOBILE)
    assert (verdict["warnings"], verdict["categories"]) == (1, ["threats"])


def test_withdraw_twice_is_fine(client, caseworker_token, member_token):
    warning_id = add_warning(client, caseworker_token)
    assert withdraw(client, caseworker_token, warning_id).status_code == 200
    assert withdraw(client, caseworker_token, warning_id).status_code == 200
    assert check(client, member_token, NL_MOBILE)["warnings"] == 0


@pytest.mark.parametrize("warning_id", ["999999", "abc", "-1"])
def test_withdraw_unknown(client, caseworker_token, warning_id):
    assert_error(withdraw(client, caseworker_token, warning_id), 404, "not_found")


@pytest.mark.parametrize("body", [None, {}, {"reason": ""}, {"reason": 5}, ["x"]])
def test_withdraw_needs_a_reason(client, caseworker_token, member_token, body):
    warning_id = add_warning(client, caseworker_token)
    response = post(client, f"{WARNINGS}/{warning_id}/withdraw", body, caseworker_token)
    assert_error(response, 400, "invalid_request")
    assert check(client, member_token, NL_MOBILE)["warnings"] == 1


def test_withdrawals_are_audited(client, caseworker_token, cli):
    warning_id = add_warning(client, caseworker_token)
    withdraw(client, caseworker_token, warning_id)
    actions = [e["action"] for e in cli.json("audit")["events"]]
    assert "warning_added" in actions and "warning_withdrawn" in actions


def test_the_api_never_reads_or_sets_a_session_cookie(client, member_token):
    page = client.get("/login")  # a page sets the session cookie (its CSRF token)
    assert "session=" in page.headers.get("Set-Cookie", "")
    response = post(client, CHECK, {"number": NL_MOBILE}, member_token)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert "Set-Cookie" not in client.get("/healthz").headers
