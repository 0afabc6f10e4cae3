"""Incident reports, the desk's JSON routes and the alert feed (issue 5), through HTTP
(Flask's test client on a real SQLite instance in tmp_path)."""

import json
import re
import sqlite3

import pytest

from conftest import BE_MOBILE, NL_MOBILE, NL_MOBILE_2, days_ago
from test_api import add_warning, assert_error, check, post, withdraw

REPORTS = "/api/v1/reports"
REMOVED = "[number removed]"


def auth(token):
    return {"Authorization": f"Bearer {token}"}


def report(client, token, **fields):
    body = {"category": "theft", "what_happened": "Hij betaalde niet.", **fields}
    response = post(client, REPORTS, body, token)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["status"] == "pending"
    return response.get_json()["id"]


def get(client, path, token, status=200):
    response = client.get(path, headers=auth(token))
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def queue(client, token, status="pending"):
    return get(client, f"{REPORTS}?status={status}", token)["reports"]


def publish(client, token, report_id, **body):
    response = post(client, f"{REPORTS}/{report_id}/publish", body, token)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["warning_id"]


def reject(client, token, report_id, reason="Niet genoeg gegevens"):
    return post(client, f"{REPORTS}/{report_id}/reject", {"reason": reason}, token)


def digits_of(e164: str) -> str:
    return e164.lstrip("+")[2:]


# --- submitting ---------------------------------------------------------------------

def test_report_with_all_fields_shows_in_the_queue_without_its_number(
        client, member_token, caseworker_token):
    report_id = report(client, member_token, number="06-12345678", category="threats",
                       date=days_ago(3), region="Utrecht", what_happened="Dreigde met een mes",
                       client_description="Lange man, rode auto")
    [row] = queue(client, caseworker_token)
    assert row == {
        "id": report_id, "reporter": "alice", "category": "threats",
        "incident_date": days_ago(3), "region": "Utrecht",
        "what_happened": "Dreigde met een mes", "client_description": "Lange man, rode auto",
        "has_number": True, "status": "pending", "reviewed_by": None, "reviewed_at": None,
        "reject_reason": None, "warning_id": None, "warning_status": None,
        "created_at": row["created_at"],
    }
    assert digits_of(NL_MOBILE) not in re.sub(r"\D", "", json.dumps(row))


@pytest.mark.parametrize("number", [None, "", "   "])
def test_the_number_is_optional(client, member_token, caseworker_token, number):
    fields = {} if number is None else {"number": number}
    report(client, member_token, **fields)
    assert queue(client, caseworker_token)[0]["has_number"] is False


def test_the_number_becomes_a_token_at_once(client, member_token, instance, cli):
    report(client, member_token, number="+31 (0)6 1234 5678")
    known = cli.json("check", "0612345678")  # only to compare tokens: none counts yet
    assert known["warnings"] == 0
    with sqlite3.connect(instance / "checker.db") as db:
        [(token,)] = db.execute("SELECT token FROM reports").fetchall()
    assert isinstance(token, bytes) and len(token) == 32
    assert digits_of(NL_MOBILE).encode() not in (instance / "checker.db").read_bytes()


@pytest.mark.parametrize("text, kept", [
    ("bel 06-98765432 na tienen", ["bel ", " na tienen"]),  # not a valid number: still removed
    ("Duits nummer +49 151 23456789!", ["Duits nummer ", "!"]),
    ("spaties 0 6 1 2 3 4 5 6 7 8 ertussen", ["spaties ", " ertussen"]),
    ("punten 06.12.34.56.78.", ["punten "]),
    ("haakjes (06) 1234-5678 en tel:+31612345678", ["haakjes ", " en "]),
    ("belgisch 0470/12.34.56", ["belgisch "]),
    ("two numbers 0612345678 and 0687654321 here", ["two numbers ", " and ", " here"]),
])
def test_numbers_in_free_text_are_removed_before_storage(
        client, member_token, caseworker_token, instance, text, kept):
    report(client, member_token, what_happened=text, client_description=text, region="Zwolle")
    row = queue(client, caseworker_token)[0]
    for field in ("what_happened", "client_description"):
        assert REMOVED in row[field]
        for part in kept:
            assert part in row[field]
        assert len(re.findall(r"\d", row[field])) < 6, row[field]
    database = (instance / "checker.db").read_bytes()
    for digits in ["98765432", "15123456789", "612345678", "687654321", "470123456"]:
        assert digits.encode() not in database


def test_short_numbers_in_text_are_kept(client, member_token, caseworker_token):
    report(client, member_token, what_happened="Om 21:30 in kamer 12, 2 uur, 150 euro")
    assert queue(client, caseworker_token)[0]["what_happened"] == (
        "Om 21:30 in kamer 12, 2 uur, 150 euro")


@pytest.mark.parametrize("body, code", [
    ({"category": "theft"}, "invalid_request"),  # what_happened missing
    ({"category": "theft", "what_happened": "   "}, "invalid_request"),
    ({"what_happened": "x"}, "invalid_request"),
    ({"category": "rudeness", "what_happened": "x"}, "invalid_request"),
    ({"category": "theft", "what_happened": "x", "date": "2999-01-01"}, "invalid_request"),
    ({"category": "theft", "what_happened": "x", "date": "04-12-2026"}, "invalid_request"),
    ({"category": "theft", "what_happened": "x" * 5001}, "invalid_request"),
    ({"category": "theft", "what_happened": "x", "client_description": "y" * 2001},
     "invalid_request"),
    ({"category": "theft", "what_happened": 12}, "invalid_request"),
    ({"category": "theft", "what_happened": "x", "number": 612345678}, "invalid_request"),
    ({"category": "theft", "what_happened": "x", "number": "06 1234 5678 please"},
     "invalid_number"),
    ({"category": "theft", "what_happened": "x", "number": "06-98765432"}, "invalid_number"),
])
def test_bad_reports_are_refused_and_nothing_is_stored(
        client, member_token, caseworker_token, body, code):
    response = post(client, REPORTS, body, member_token)
    assert_error(response, 400, code)
    assert "98765432" not in response.get_data(as_text=True)
    assert queue(client, caseworker_token, "all") == []


def test_a_caseworker_may_log_a_report_too(client, caseworker_token):
    report_id = report(client, caseworker_token, number=NL_MOBILE)
    assert queue(client, caseworker_token)[0]["reporter"] == "carol"
    assert get(client, f"{REPORTS}/{report_id}", caseworker_token)["id"] == report_id


# --- the queue and the member's own list -----------------------------------------------

def test_queue_is_oldest_first_and_filters_by_status(client, member_token, caseworker_token):
    first, second, third = (report(client, member_token, number=NL_MOBILE) for _ in range(3))
    publish(client, caseworker_token, second)
    assert reject(client, caseworker_token, third).status_code == 200
    assert [r["id"] for r in queue(client, caseworker_token)] == [first]
    assert [r["id"] for r in queue(client, caseworker_token, "published")] == [second]
    assert [r["id"] for r in queue(client, caseworker_token, "rejected")] == [third]
    assert [r["id"] for r in queue(client, caseworker_token, "all")] == [third, second, first]
    later = report(client, member_token)
    assert [r["id"] for r in queue(client, caseworker_token)] == [first, later]
    assert [r["id"] for r in get(client, f"{REPORTS}?limit=1", caseworker_token)["reports"]] == [first]


@pytest.mark.parametrize("query", ["status=open", "limit=0", "limit=501", "limit=x"])
def test_queue_refuses_bad_parameters(client, caseworker_token, query):
    assert_error(client.get(f"{REPORTS}?{query}", headers=auth(caseworker_token)), 400,
                 "invalid_request")


def test_members_see_their_own_reports_with_status(client, cli, member_token, caseworker_token):
    other = cli.json("member", "add", "bea")["token"]
    published = report(client, member_token, number=NL_MOBILE)
    rejected = report(client, member_token, number=BE_MOBILE)
    withdrawn = report(client, member_token, number=NL_MOBILE_2)
    theirs = report(client, other, number=NL_MOBILE)
    publish(client, caseworker_token, published)
    reject(client, caseworker_token, rejected, "Dubbel gemeld, zie 0612345678")
    withdraw(client, caseworker_token, publish(client, caseworker_token, withdrawn))
    mine = get(client, f"{REPORTS}/mine", member_token)["reports"]
    assert [(r["id"], r["status"]) for r in mine] == [
        (withdrawn, "withdrawn"), (rejected, "rejected"), (published, "published")]
    assert mine[1]["reject_reason"] == f"Dubbel gemeld, zie {REMOVED}"
    assert "reporter" not in mine[0] and "warning_id" not in mine[0]
    assert [r["id"] for r in get(client, f"{REPORTS}/mine", other)["reports"]] == [theirs]


# --- publishing and rejecting ---------------------------------------------------------

def test_report_to_warning_end_to_end(client, member_token, caseworker_token, cli):
    """Unpublished counts in no verdict, published does, rejected or withdrawn does not."""
    to_publish = report(client, member_token, number="06-12345678", category="non_payment",
                        date=days_ago(40), region="Utrecht")
    to_reject = report(client, member_token, number="+31 6 87654321", category="theft")
    assert check(client, member_token, "0612345678")["warnings"] == 0
    assert check(client, member_token, "0687654321")["warnings"] == 0

    warning_id = publish(client, caseworker_token, to_publish, summary="Betaalde niet, 0611111111")
    verdict = check(client, member_token, "+31 (0)6 1234 5678")
    assert {k: verdict[k] for k in ("warnings", "categories", "last_reported")} == {
        "warnings": 1, "categories": ["non_payment"], "last_reported": days_ago(40)[:7]}
    assert verdict["summaries"] == [f"Betaalde niet, {REMOVED}"]
    assert verdict["regions"] == ["Utrecht"]

    assert reject(client, caseworker_token, to_reject).status_code == 200
    assert check(client, member_token, "0687654321")["warnings"] == 0

    assert withdraw(client, caseworker_token, warning_id).status_code == 200
    assert check(client, member_token, "0612345678")["warnings"] == 0
    actions = [e["action"] for e in cli.json("audit")["events"]]
    assert actions[:3] == ["warning_withdrawn", "report_rejected", "report_published"]


def test_publish_may_adjust_category_and_region(client, member_token, caseworker_token):
    report_id = report(client, member_token, number=NL_MOBILE, category="other", region="Utrecht")
    warning_id = publish(client, caseworker_token, report_id, category="stalking",
                         region="Amersfoort")
    [warning] = get(client, "/api/v1/warnings", caseworker_token)["warnings"]
    assert warning["id"] == warning_id
    assert (warning["category"], warning["region"], warning["source"], warning["report_id"]) == (
        "stalking", "Amersfoort", "report", report_id)
    published = queue(client, caseworker_token, "published")[0]
    assert published["warning_id"] == warning_id and published["reviewed_by"] == "carol"
    assert published["category"] == "other"  # the member's report stays as written


def test_publish_refuses_bad_input_and_changes_nothing(client, member_token, caseworker_token):
    report_id = report(client, member_token, number=NL_MOBILE)
    assert_error(post(client, f"{REPORTS}/{report_id}/publish", {"category": "rudeness"},
                      caseworker_token), 400, "invalid_request")
    assert_error(post(client, f"{REPORTS}/{report_id}/publish", {"summary": 5},
                      caseworker_token), 400, "invalid_request")
    assert_error(post(client, f"{REPORTS}/{report_id}/publish", ["x"], caseworker_token),
                 400, "invalid_request")
    assert queue(client, caseworker_token)[0]["status"] == "pending"
    assert check(client, member_token, NL_MOBILE)["warnings"] == 0


def test_a_report_without_a_number_cannot_be_published_but_can_be_rejected(
        client, member_token, caseworker_token):
    report_id = report(client, member_token)
    body = assert_error(post(client, f"{REPORTS}/{report_id}/publish", {}, caseworker_token),
                        409, "conflict")
    assert "no number" in body["message"]
    assert queue(client, caseworker_token)[0]["id"] == report_id  # still pending
    assert reject(client, caseworker_token, report_id).status_code == 200
    assert get(client, f"{REPORTS}/mine", member_token)["reports"][0]["status"] == "rejected"


def test_a_report_is_reviewed_once(client, member_token, caseworker_token):
    published = report(client, member_token, number=NL_MOBILE)
    rejected = report(client, member_token, number=NL_MOBILE_2)
    publish(client, caseworker_token, published)
    assert_error(post(client, f"{REPORTS}/{published}/publish", {}, caseworker_token), 409,
                 "conflict")
    body = assert_error(reject(client, caseworker_token, published), 409, "conflict")
    assert "withdraw" in body["message"]
    assert reject(client, caseworker_token, rejected).status_code == 200
    assert reject(client, caseworker_token, rejected).get_json() == {
        "id": rejected, "status": "rejected"}  # twice is harmless
    assert_error(post(client, f"{REPORTS}/{rejected}/publish", {}, caseworker_token), 409,
                 "conflict")
    assert check(client, member_token, NL_MOBILE)["warnings"] == 1
    assert check(client, member_token, NL_MOBILE_2)["warnings"] == 0


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "  "}, {"reason": 3}])
def test_reject_needs_a_reason(client, member_token, caseworker_token, body):
    report_id = report(client, member_token)
    assert_error(post(client, f"{REPORTS}/{report_id}/reject", body, caseworker_token), 400,
                 "invalid_request")
    assert queue(client, caseworker_token)[0]["status"] == "pending"


@pytest.mark.parametrize("report_id", ["999", "0", "99999999999999999999"])
@pytest.mark.parametrize("action", ["publish", "reject"])
def test_unknown_report(client, caseworker_token, action, report_id):
    assert_error(post(client, f"{REPORTS}/{report_id}/{action}", {"reason": "x"},
                      caseworker_token), 404, "not_found")
    assert_error(client.get(f"{REPORTS}/{report_id}", headers=auth(caseworker_token)), 404,
                 "not_found")


def test_purge_deletes_reports_past_the_retention(client, member_token, caseworker_token, cli):
    old = report(client, member_token, number=NL_MOBILE, date=days_ago(2000))
    publish(client, caseworker_token, old)
    recent = report(client, member_token, number=NL_MOBILE_2, date=days_ago(10))
    assert cli.json("purge") == {"purged": 1}
    assert [r["id"] for r in queue(client, caseworker_token, "all")] == [recent]
    assert cli.json("audit")["events"][0]["reports_purged"] == 1


# --- the alert feed -------------------------------------------------------------------

def test_alert_feed_newest_first_by_region_never_a_number(client, member_token, caseworker_token):
    add_warning(client, caseworker_token, NL_MOBILE, "theft", region="Utrecht", summary="Eerste")
    add_warning(client, caseworker_token, BE_MOBILE, "stalking", region="Antwerpen",
                summary="Tweede")
    gone = add_warning(client, caseworker_token, NL_MOBILE_2, "threats", region="Utrecht")
    withdraw(client, caseworker_token, gone)
    add_warning(client, caseworker_token, NL_MOBILE_2, "other", date=days_ago(2000))  # expired
    feed = get(client, "/api/v1/alerts", member_token)
    assert [a["summary"] for a in feed["alerts"]] == ["Tweede", "Eerste"]
    assert feed["alerts"][0] == {"category": "stalking", "month": days_ago(0)[:7],
                                 "region": "Antwerpen", "summary": "Tweede",
                                 "published": feed["alerts"][0]["published"]}
    assert feed["regions"] == ["Antwerpen", "Utrecht"]
    utrecht = get(client, "/api/v1/alerts?region=utrecht", member_token)["alerts"]
    assert [a["summary"] for a in utrecht] == ["Eerste"]
    text = re.sub(r"\D", "", json.dumps(feed))
    for number in (NL_MOBILE, BE_MOBILE, NL_MOBILE_2):
        assert digits_of(number) not in text


@pytest.mark.parametrize("query", ["days=0", "days=x", "limit=0", "region=" + "x" * 101])
def test_alert_feed_refuses_bad_parameters(client, member_token, query):
    assert_error(client.get(f"/api/v1/alerts?{query}", headers=auth(member_token)), 400,
                 "invalid_request")


# --- the caseworkers' warning list ----------------------------------------------------

def test_warning_list_with_status_never_a_number(client, caseworker_token):
    first = add_warning(client, caseworker_token, NL_MOBILE, "theft", region="Utrecht")
    second = add_warning(client, caseworker_token, BE_MOBILE, "stalking")
    expired = add_warning(client, caseworker_token, NL_MOBILE_2, "other", date=days_ago(2000))
    withdraw(client, caseworker_token, second)
    listed = get(client, "/api/v1/warnings", caseworker_token)["warnings"]
    assert [(w["id"], w["status"]) for w in listed] == [
        (expired, "expired"), (second, "withdrawn"), (first, "published")]
    assert set(listed[2]) >= {"id", "category", "month", "region", "status"}
    assert listed[2]["month"] == days_ago(0)[:7]
    only = get(client, "/api/v1/warnings?status=withdrawn", caseworker_token)["warnings"]
    assert [w["id"] for w in only] == [second]
    page = get(client, "/api/v1/warnings?limit=1&offset=1", caseworker_token)["warnings"]
    assert [w["id"] for w in page] == [second]
    text = re.sub(r"\D", "", json.dumps(listed))
    assert digits_of(NL_MOBILE) not in text and digits_of(BE_MOBILE) not in text
    assert_error(client.get("/api/v1/warnings?status=gone", headers=auth(caseworker_token)),
                 400, "invalid_request")
    assert_error(client.get("/api/v1/warnings?offset=-1", headers=auth(caseworker_token)),
                 400, "invalid_request")


def test_the_queue_says_how_many_reports_have_each_status(client, member_token, caseworker_token):
    for _ in range(2):
        report(client, member_token)
    reject(client, caseworker_token, 1)
    assert get(client, REPORTS, caseworker_token)["counts"] == {
        "pending": 1, "published": 0, "rejected": 1}


def test_key_rotation_rewraps_report_tokens(tmp_path):
    """A report's token is a number token like a warning's: a key rotation must re-wrap it,
    or a report published after the rotation would never match a check."""
    from conftest import Cli
    from web import create_app

    cli = Cli(tmp_path / "instance", {})  # the key in hash.key, which rotation rewrites
    assert cli("init").exit_code == 0
    member = cli.json("member", "add", "mia")["token"]
    caseworker = cli.json("caseworker", "add", "cas")["token"]

    def fresh_client():
        return create_app({"TESTING": True, "INSTANCE": str(cli.instance)}).test_client()

    report_id = report(fresh_client(), member, number="06-12345678")
    assert cli.json("key", "rotate")["reports"] == 1
    client = fresh_client()
    publish(client, caseworker, report_id)
    assert check(client, member, NL_MOBILE)["warnings"] == 1
