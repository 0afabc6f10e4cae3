"""The caseworkers' desk: member management over HTTP and the CLI, monthly statistics and
the SVG chart (issue 5)."""

import json
import re
import sqlite3
import xml.etree.ElementTree as ET

import pytest

from conftest import NL_MOBILE, NL_MOBILE_2
from test_api import add_warning, assert_error, check, post
from test_cli import assert_fails
from test_reports import auth, get, publish, report

MEMBERS = "/api/v1/members"


def member_id(client, token, name):
    return next(m["id"] for m in get(client, MEMBERS, token)["members"] if m["name"] == name)


# --- members over HTTP -------------------------------------------------------------------

def test_add_and_list_members(client, caseworker_token, member_token):
    response = post(client, MEMBERS, {"name": "dana", "phone": "06 8765 4321",
                                      "password": "lang genoeg wachtwoord"}, caseworker_token)
    assert response.status_code == 201
    new = response.get_json()
    assert set(new) == {"id", "name", "token"}
    assert check(client, new["token"], NL_MOBILE)["warnings"] == 0
    listed = get(client, MEMBERS, caseworker_token)["members"]
    assert [(m["name"], m["active"], m["has_password"], m["has_sms_phone"]) for m in listed] == [
        ("alice", True, False, False), ("dana", True, True, True)]  # no caseworkers
    assert "87654321" not in json.dumps(listed)
    assert_error(post(client, MEMBERS, {"name": "dana"}, caseworker_token), 409, "conflict")
    assert_error(post(client, MEMBERS, {"name": ""}, caseworker_token), 400, "invalid_request")


def test_deactivate_and_reactivate(client, caseworker_token, member_token, cli):
    alice = member_id(client, caseworker_token, "alice")
    response = post(client, f"{MEMBERS}/{alice}/deactivate", {}, caseworker_token)
    assert response.get_json() == {"id": alice, "name": "alice", "active": False}
    assert_error(post(client, "/api/v1/check", {"number": NL_MOBILE}, member_token), 401,
                 "unauthorized")
    assert_error(client.get("/api/v1/alerts", headers=auth(member_token)), 401, "unauthorized")
    assert post(client, f"{MEMBERS}/{alice}/deactivate", {}, caseworker_token).status_code == 200
    assert post(client, f"{MEMBERS}/{alice}/activate", {}, caseworker_token).status_code == 200
    assert check(client, member_token, NL_MOBILE)["warnings"] == 0
    actions = [e["action"] for e in cli.json("audit")["events"]]
    assert actions[:2] == ["member_activated", "member_deactivated"]  # no event for a no-op


def test_set_and_remove_the_sms_phone(client, caseworker_token, member_token, cli, instance):
    alice = member_id(client, caseworker_token, "alice")
    cli.json("member", "add", "bea", "--phone", NL_MOBILE_2)
    response = post(client, f"{MEMBERS}/{alice}/phone", {"number": "06 1234 5678"},
                    caseworker_token)
    assert response.get_json() == {"id": alice, "name": "alice", "sms_phone": True}
    assert_error(post(client, f"{MEMBERS}/{alice}/phone", {"number": "0687654321"},
                      caseworker_token), 409, "conflict")  # bea's phone
    assert_error(post(client, f"{MEMBERS}/{alice}/phone", {"number": "06 1234 5678 ok"},
                      caseworker_token), 400, "invalid_number")
    assert_error(post(client, f"{MEMBERS}/{alice}/phone", {}, caseworker_token), 400,
                 "invalid_request")
    with sqlite3.connect(instance / "checker.db") as db:
        stored = db.execute("SELECT phone_token FROM accounts WHERE name = 'alice'").fetchone()[0]
    assert isinstance(stored, bytes) and len(stored) == 32  # the refused changes kept it
    response = client.delete(f"{MEMBERS}/{alice}/phone", headers=auth(caseworker_token))
    assert response.get_json()["sms_phone"] is False
    events = cli.json("audit")["events"]
    assert [(e["action"], e["sms_phone"]) for e in events[:2]] == [
        ("sms_phone_changed", False), ("sms_phone_changed", True)]
    assert events[0]["actor"] == "carol"
    assert "12345678" not in json.dumps(events)


def test_reset_a_password(client, caseworker_token, member_token, instance):
    alice = member_id(client, caseworker_token, "alice")
    assert_error(post(client, f"{MEMBERS}/{alice}/password", {"password": "short"},
                      caseworker_token), 400, "invalid_request")
    response = post(client, f"{MEMBERS}/{alice}/password", {"password": "een nieuw wachtwoord"},
                    caseworker_token)
    assert response.get_json() == {"id": alice, "name": "alice"}
    with sqlite3.connect(instance / "checker.db") as db:
        stored = db.execute("SELECT password_hash FROM accounts WHERE name = 'alice'").fetchone()[0]
    assert stored.startswith("$argon2id$") and "nieuw" not in stored


@pytest.mark.parametrize("action", ["deactivate", "activate", "password", "phone"])
def test_caseworkers_and_unknown_ids_are_not_members(client, caseworker_token, action):
    body = {"password": "lang genoeg wachtwoord", "number": NL_MOBILE}
    carol = 1  # the caseworker fixture's own account
    for target in (carol, 999, 2**63):
        assert_error(post(client, f"{MEMBERS}/{target}/{action}", body, caseworker_token), 404,
                     "not_found")


# --- members on the command line ----------------------------------------------------------

def test_set_the_sms_language(client, cli, caseworker_token, member_token):
    alice = cli.json("member", "list")["members"][0]
    assert alice["language"] == "nl"
    path = f"/api/v1/members/{alice['id']}/language"
    headers = {"Authorization": f"Bearer {caseworker_token}"}
    answer = client.post(path, json={"language": "en"}, headers=headers)
    assert answer.status_code == 200
    assert answer.get_json() == {"id": alice["id"], "name": "alice", "language": "en"}
    assert client.post(path, json={"language": "de"}, headers=headers).status_code == 400
    assert cli.json("member", "list")["members"][0]["language"] == "en"
    assert cli.json("member", "language", "alice", "nl")["language"] == "nl"
    refused = cli("member", "language", "alice", "fr")
    assert refused.exit_code == 2 and "fr" in refused.stderr
    assert "member_language_set" in [e["action"] for e in cli.json("audit")["events"]]


def test_cli_deactivate_and_activate(cli, member_token, client):
    assert cli.json("member", "deactivate", "ALICE") == {"id": 1, "name": "alice", "active": False}
    assert_error(post(client, "/api/v1/check", {"number": NL_MOBILE}, member_token), 401,
                 "unauthorized")
    assert "deactivated" in cli("member", "deactivate", "alice").stdout
    assert cli.json("member", "activate", "alice")["active"] is True
    assert check(client, member_token, NL_MOBILE)["warnings"] == 0
    assert [m["active"] for m in cli.json("member", "list")["members"]] == [True]


def test_cli_phone_and_password(cli, member_token, instance):
    assert cli.json("member", "phone", "alice", "06-12345678")["sms_phone"] is True
    assert cli.json("member", "phone", "alice", "-", input="+31 6 87654321\n")["sms_phone"]
    assert cli.json("member", "password", "alice", "--password-stdin",
                    input="een nieuw wachtwoord\n") == {"id": 1, "name": "alice"}
    listed = cli.json("member", "list")["members"]
    assert (listed[0]["has_sms_phone"], listed[0]["has_password"]) == (True, True)
    assert b"687654321" not in (instance / "checker.db").read_bytes()
    assert cli.json("member", "phone", "alice", "--remove")["sms_phone"] is False


@pytest.mark.parametrize("args, stdin, code, words", [
    (["member", "deactivate", "nobody"], None, 1, ["no member"]),
    (["member", "activate", "carol"], None, 1, ["no member"]),  # a caseworker
    (["member", "phone", "nobody", "0612345678"], None, 1, ["no member"]),
    (["member", "phone", "alice", "06 1234 5678 please"], None, 2, ["invalid number"]),
    (["member", "phone", "alice", "-"], "\n", 2, ["invalid number"]),
    (["member", "phone", "alice", "0687654321"], None, 1, ["another account"]),
    (["member", "phone", "alice"], None, 2, ["--remove"]),
    (["member", "password", "alice"], None, 2, ["--password-stdin"]),
    (["member", "password", "alice", "--password-stdin"], "short\n", 2, ["10"]),
    (["member", "password", "nobody", "--password-stdin"], "lang genoeg wachtwoord\n", 1,
     ["no member"]),
    (["member", "deactivate"], None, 2, ["NAME"]),
    (["reports", "--status", "open"], None, 2, ["status"]),
])
def test_cli_member_errors(cli, member_token, caseworker_token, args, stdin, code, words):
    cli.json("member", "add", "bea", "--phone", NL_MOBILE_2)
    assert_fails(cli(*args, input=stdin), code, *words)
    member = next(m for m in cli.json("member", "list")["members"] if m["name"] == "alice")
    assert (member["active"], member["has_sms_phone"], member["has_password"]) == (
        True, False, False)  # nothing changed


def test_cli_reports_queue(cli, client, member_token, caseworker_token):
    assert cli.json("reports") == {"reports": []}
    assert cli("reports").stdout.strip() == "No reports."
    first = report(client, member_token, number=NL_MOBILE, what_happened="bel 0612345678")
    report(client, member_token)
    publish(client, caseworker_token, first)
    assert [r["id"] for r in cli.json("reports")["reports"]] == [2]
    assert [r["id"] for r in cli.json("reports", "--status", "all")["reports"]] == [2, 1]
    text = cli("reports", "--status", "published").stdout
    assert "#1 published" in text and "number given" in text and "[number removed]" in text
    assert "12345678" not in re.sub(r"\D", "", text)


# --- monthly statistics and the chart -----------------------------------------------------

def test_monthly_statistics(client, cli, member_token, caseworker_token):
    report(client, member_token, number=NL_MOBILE)
    publish(client, caseworker_token, 1)
    add_warning(client, caseworker_token, NL_MOBILE_2, "theft")
    check(client, member_token, NL_MOBILE)
    check(client, member_token, "0611111111")
    months = get(client, "/api/v1/stats/monthly?months=3", caseworker_token)["months"]
    assert len(months) == 3 and [m["month"] for m in months] == sorted(m["month"] for m in months)
    this_month = months[-1]
    assert re.fullmatch(r"\d{4}-\d{2}", this_month["month"])
    assert this_month | {"month": None} == {
        "month": None, "members": 1, "new_members": 1, "reports": 1, "warnings_published": 2,
        "checks": 2, "checks_with_warnings": 1}
    assert months[0] | {"month": None} == {
        "month": None, "members": 0, "new_members": 0, "reports": 0, "warnings_published": 0,
        "checks": 0, "checks_with_warnings": 0}
    assert len(get(client, "/api/v1/stats/monthly", caseworker_token)["months"]) == 12
    for bad in ("0", "121", "x"):
        assert_error(client.get(f"/api/v1/stats/monthly?months={bad}",
                                headers=auth(caseworker_token)), 400, "invalid_request")


def test_month_keys_cross_the_year():
    from datetime import date

    from checker.monthly import month_keys

    assert month_keys(date(2026, 2, 15), 4) == ["2025-11", "2025-12", "2026-01", "2026-02"]


def test_bar_chart_is_self_contained_svg():
    from checker.charts import bar_chart_svg, monthly_charts

    svg = bar_chart_svg('Checks <"&">', ["2026-11", "2026-12"], [3, 0])
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.find("{http://www.w3.org/2000/svg}title").text == 'Checks <"&">'
    assert len(root.findall("{http://www.w3.org/2000/svg}rect")) == 2
    for forbidden in ("href", "url(", "<script", "style=", "<image", "@import", "http://", "https://"):
        assert forbidden not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")
    charts = monthly_charts([{"month": "2026-12", "checks": 5}], {"checks": "Checks"})
    assert set(charts) == {"checks"} and ">5</text>" in charts["checks"]
    with pytest.raises(ValueError):
        bar_chart_svg("x", ["a"], [])
    assert ET.fromstring(bar_chart_svg("empty", [], []))  # no months, no crash


def test_cli_monthly(cli, member_token):
    months = cli.json("monthly", "--months", "2")["months"]
    assert len(months) == 2 and months[-1]["members"] == 1 and months[-1]["new_members"] == 1
    text = cli("monthly", "--months", "1").stdout
    assert "warnings_published" in text and months[-1]["month"] in text
    assert_fails(cli("monthly", "--months", "0"), 2, "months")
