"""The leak scan covers incident reports: no number typed into a report's number field, into
its free text, into a caseworker's summary or reason, or as a member's SMS phone, is written
anywhere.

The report flow (submit, refuse, publish, reject, withdraw, every listing, member changes)
runs through the in-process app (every logger captured at DEBUG) and a real `checker serve`
subprocess, plus the CLI; then every file of the instance and every captured output is
scanned as bytes, with the helpers of the core's leak scan (tests/leakscan.py, tests/test_leak.py).
"""

import json

import pytest

from conftest import Cli, Server, http
from leakscan import LogCapture, Run, digit_forms, find, number_needles, run_cli, scenario_run

# Besides the core scan's numbers (leakscan.NUMBERS), typed here in other forms:
# e164 -> the forms in which this scenario types it.
EXTRA = {
    "+31612345678": ["06-12345678", "0 6 1 2 3 4 5 6 7 8", "06.12.34.56.78"],
    "+493012345678": ["+49 (0)30 1234 5678", "+49 30 12345678"],
    "+32470123456": ["0470/12.34.56"],
    "+31201234567": ["(020)1234567"],
    "+31687654321": ["+31 6 87654321", "06 8765 4321"],  # a member's SMS phone
    "+31698765432": ["06-98765432"],  # not even a valid number
    "+4915123456789": ["+49 151 23456789", "0049 151 2345 6789"],
}

GOOD_REPORTS = [
    {"number": "06-12345678", "category": "theft", "region": "Utrecht (020)1234567",
     "what_happened": "Hij belde van 06-98765432 en later van 0 6 1 2 3 4 5 6 7 8.",
     "client_description": "Gaf 06.12.34.56.78 op als zijn nummer"},
    {"number": "+49 (0)30 1234 5678", "category": "threats",
     "what_happened": "Zelfde man als +49 151 23456789, ook 0049 151 2345 6789 en +49 30 12345678"},
    {"category": "other", "what_happened": "Geen nummer, wel 06-12345678 in de tekst"},
]
BAD_REPORTS = [
    {"number": "06 1234 5678 please", "category": "theft", "what_happened": "x"},
    {"number": "0612345678", "category": "rudeness", "what_happened": "06-98765432"},
    {"number": "0612345678", "category": "theft"},
    {"number": "06-98765432", "category": "theft", "what_happened": "x"},
]


def needles() -> dict[bytes, str]:
    found = number_needles()
    for e164, typed in EXTRA.items():
        for form in digit_forms(e164) | set(typed):
            found[form.encode()] = f"{form!r} ({e164})"
    return found


def scenario(call, member_id: int):
    """The whole report flow; ``call(method, path, body, role)`` returns (status, answer)."""
    ids = []
    for body in GOOD_REPORTS:
        status, answer = call("POST", "/api/v1/reports", body, "member")
        assert status == 201, answer
        ids.append(answer["id"])
    for body in BAD_REPORTS:
        assert call("POST", "/api/v1/reports", body, "member")[0] == 400
    status, answer = call("POST", f"/api/v1/reports/{ids[0]}/publish",
                          {"summary": "Zie ook 0470/12.34.56", "region": "Utrecht"}, "caseworker")
    assert status == 201, answer
    assert call("POST", f"/api/v1/reports/{ids[1]}/reject",
                {"reason": "Dubbel met (020)1234567"}, "caseworker")[0] == 200
    assert call("POST", f"/api/v1/reports/{ids[2]}/publish", {}, "caseworker")[0] == 409
    assert call("POST", f"/api/v1/reports/{ids[1]}/publish", {}, "caseworker")[0] == 409
    for path in ["/api/v1/reports?status=all", f"/api/v1/reports/{ids[0]}",
                 "/api/v1/warnings", "/api/v1/members", "/api/v1/stats/monthly"]:
        assert call("GET", path, None, "caseworker")[0] == 200
    for path in ["/api/v1/reports/mine", "/api/v1/alerts", "/api/v1/alerts?region=Utrecht"]:
        assert call("GET", path, None, "member")[0] == 200
    assert call("POST", f"/api/v1/members/{member_id}/phone", {"number": "+31 6 87654321"},
                "caseworker")[0] == 200
    assert call("POST", f"/api/v1/members/{member_id}/phone", {"number": "06 8765 4321 ok"},
                "caseworker")[0] == 400
    assert call("DELETE", f"/api/v1/members/{member_id}/phone", None, "caseworker")[0] == 200
    assert call("POST", f"/api/v1/warnings/{answer['warning_id']}/withdraw",
                {"reason": "Bezwaar van 0470/12.34.56"}, "caseworker")[0] == 200


def app_part(run: Run, tokens: dict, member_id: int, logs: LogCapture):
    from web import create_app

    app = create_app({"TESTING": True, "INSTANCE": str(run.instance)})  # key from hash.key
    logs.watch_all_loggers()
    app.logger.debug("probe: capture works")
    client = app.test_client()

    def call(method, path, body, role):
        response = client.open(path, method=method, json=body,
                               headers={"Authorization": f"Bearer {tokens[role]}"})
        run.output(f"app {method} {path} {response.status_code}", response.get_data(as_text=True))
        return response.status_code, response.get_json()

    scenario(call, member_id)


def server_part(run: Run, tokens: dict, member_id: int, log_dir):
    server = Server(run.instance, log_dir)
    try:
        server.wait_ready()

        def call(method, path, body, role):
            status, _, answer = http(method, server.base + path, body, tokens[role])
            run.output(f"serve {method} {path} {status}", json.dumps(answer))
            return status, answer

        scenario(call, member_id)
        run.snapshot()  # while the server holds the database open (-wal, -shm)
    finally:
        server.stop()
        run.output("serve stdout+stderr", server.output())


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    tmp = tmp_path_factory.mktemp("leak-reports")
    instance = tmp / "instance"
    with scenario_run(instance) as (run_, logs):
        cli = Cli(instance, {})  # no CHECKER_HASH_KEY: init generates hash.key
        run_cli(run_, cli, "init", "--json")
        run_.key = bytes.fromhex((instance / "hash.key").read_text().strip())
        member = json.loads(run_cli(run_, cli, "member", "add", "mia", "--json").stdout)
        caseworker = json.loads(run_cli(run_, cli, "caseworker", "add", "cas", "--json").stdout)
        tokens = {"member": member["token"], "caseworker": caseworker["token"]}
        app_part(run_, tokens, member["id"], logs)
        server_part(run_, tokens, member["id"], tmp)
        run_cli(run_, cli, "member", "phone", "mia", "-", "--json", input="06 8765 4321\n")
        assert run_cli(run_, cli, "member", "phone", "mia", "+31 6 87654321 x").exit_code == 2
        for args in [("reports", "--status", "all"), ("reports", "--status", "all", "--json"),
                     ("member", "list"), ("audit",), ("audit", "--json"), ("purge", "--json")]:
            assert run_cli(run_, cli, *args).exit_code == 0
        run_.stats = json.loads(run_cli(run_, cli, "stats", "--json").stdout)
        run_.snapshot()

    return run_


def test_the_scenario_ran_and_the_scan_can_see_numbers(run):
    assert run.stats["withdrawn"] == 2  # one warning published from a report per part
    assert len(run.snapshots) == 2 and any(p.name == "checker.db" for p in run.snapshots[0])
    assert "probe: capture works" in run.outputs[max(run.outputs)]
    # positive control: the scan finds numbers where they are
    for report in GOOD_REPORTS:
        assert find(needles(), json.dumps(report).encode())
    assert any("[number removed]" in text for text in run.outputs.values())


def test_no_number_in_any_instance_file(run):
    leaks = {f"{path.relative_to(run.instance)}": find(needles(), blob)
             for snapshot in run.snapshots for path, blob in snapshot.items()}
    assert {name: found for name, found in leaks.items() if found} == {}


def test_no_number_in_any_answer_log_or_error_output(run):
    leaks = {name: find(needles(), text.encode()) for name, text in run.outputs.items()}
    assert {name: found for name, found in leaks.items() if found} == {}


def test_no_traceback_anywhere(run):
    assert [name for name, text in run.outputs.items() if "Traceback" in text] == []
