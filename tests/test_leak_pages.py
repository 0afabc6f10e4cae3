"""The leak scan covers the report and desk pages: a number typed into a report's number
field or into its free text on /report, into the desk's warning, member and SMS-phone forms,
or uploaded in a CSV on /desk/import, is written to no instance file and no log line, and
shown by no listing page (reports, review queue, warnings, members, audit, alerts).

Same needles as tests/test_leak_reports.py (the core's numbers in every form, with their
unkeyed digests), same log capture (every logger at DEBUG) as the core's leak scan.
"""

import io
import json
import re

import pytest

from conftest import CASEWORKER_PASSWORD, MEMBER_PASSWORD, Cli
from leakscan import Run, find, run_cli, scenario_run
from test_leak_reports import needles
from test_pages import Browser, text

REPORT = {"number": "06-12345678", "category": "theft", "date": "", "region": "Utrecht",
          "what_happened": "Hij belde van 06-98765432 en later van 0 6 1 2 3 4 5 6 7 8.",
          "client_description": "Gaf +49 151 23456789 op als zijn nummer"}
CSV = ("number,category,region,summary\n+32 470 12 34 56,theft,Gent,ook 0470/12.34.56\n"
       "020-1234567,threats,,\n06 1234 5678 please,theft,,\n").encode()
LISTINGS = ["/desk", "/desk/reports", "/desk/warnings", "/desk/members", "/desk/audit",
            "/desk/stats"]


def flow(run: Run, member: Browser, caseworker: Browser, member_id: int):
    def keep(name, response, shows_number=False):
        if not shows_number:
            run.output(name, text(response))
        return response

    member.get("/report")
    assert keep("report", member.post("/report", REPORT)).status_code == 303
    bad = member.post("/report", {**REPORT, "number": "+49 (0)30 1234 5678 x"})
    assert bad.status_code == 400  # the number field is shown again on purpose
    assert keep("report without number", member.post("/report", {
        **REPORT, "number": "", "what_happened": "Nummer +49 30 12345678"})).status_code == 303
    for path in ("/reports/mine", "/alerts", "/alerts?region=Utrecht"):
        keep(path, member.get(path))
    queue = caseworker.get("/desk/reports")
    ids = sorted(int(i) for i in re.findall(r'/desk/reports/(\d+)"', text(queue)))
    keep("report page", caseworker.get(f"/desk/reports/{ids[0]}"))
    assert keep("publish", caseworker.post(f"/desk/reports/{ids[0]}/publish", {
        "summary": "Zie ook 0470/12.34.56", "category": "theft", "region": "Utrecht"})
    ).status_code == 303
    assert keep("reject", caseworker.post(f"/desk/reports/{ids[1]}/reject", {
        "reason": "Dubbel met (020)1234567"})).status_code == 303
    caseworker.get("/desk/warnings")
    assert keep("add warning", caseworker.post("/desk/warnings", {
        "number": "+49 30 12345678", "category": "threats",
        "summary": "Volgde haar, ook via +32 470 12 34 56"})).status_code == 303
    assert caseworker.post("/desk/warnings", {"number": "0970 1234 5678", "category": "x",
                                              "summary": "0612345678"}).status_code == 400
    caseworker.get("/desk/members")
    assert keep("phone", caseworker.post(f"/desk/members/{member_id}/phone",
                                         {"number": "06 8765 4321"})).status_code == 303
    taken = keep("new member", caseworker.post("/desk/members", {
        "name": "nel", "phone": "+31 6 87654321"}), shows_number=True)
    assert taken.status_code == 409  # the phone is taken: shown again in its field to correct
    caseworker.get("/desk/import")
    for step in ("check", "store"):
        response = caseworker.client.post("/desk/import", content_type="multipart/form-data",
                                          data={"csrf_token": caseworker.token, "step": step,
                                                "skip_invalid": "yes",
                                                "file": (io.BytesIO(CSV), "warnings.csv")})
        assert keep(f"import {step}", response).status_code == 200
    warning_id = caseworker.client.application.extensions["checker"].feed.warnings()[0]["id"]
    caseworker.get("/desk/warnings")
    assert keep("withdraw", caseworker.post(f"/desk/warnings/{warning_id}/withdraw", {
        "reason": "Bezwaar van 0470/12.34.56"})).status_code == 303
    for path in LISTINGS:
        assert keep(path, caseworker.get(path)).status_code == 200
    member.get("/")
    keep("check", member.post("/", {"number": "06-12345678"}), shows_number=True)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    from web import create_app

    instance = tmp_path_factory.mktemp("leak-pages") / "instance"
    with scenario_run(instance) as (run_, logs):
        cli = Cli(instance, {})  # no CHECKER_HASH_KEY: init generates hash.key
        run_cli(run_, cli, "init", "--json")
        member_id = json.loads(run_cli(run_, cli, "member", "add", "mia", "--password-stdin",
                                       "--json", input=MEMBER_PASSWORD + "\n").stdout)["id"]
        run_cli(run_, cli, "caseworker", "add", "cas", "--password-stdin", "--json",
                input=CASEWORKER_PASSWORD + "\n")
        app = create_app({"TESTING": True, "INSTANCE": str(instance)})
        logs.watch_all_loggers()
        app.logger.debug("probe: capture works")
        member, caseworker = Browser(app.test_client()), Browser(app.test_client())
        assert member.sign_in("mia", MEMBER_PASSWORD).status_code == 303
        assert caseworker.sign_in("cas", CASEWORKER_PASSWORD).status_code == 303
        flow(run_, member, caseworker, member_id)
        app.extensions["checker"].store.close()
        for args in [("reports", "--status", "all", "--json"), ("audit", "--json")]:
            run_cli(run_, cli, *args)
        run_.snapshot()

    return run_


def test_the_flow_ran_and_the_scan_can_see_numbers(run):
    assert "probe: capture works" in run.outputs[max(run.outputs)]
    assert any("[number removed]" in text for text in run.outputs.values())
    assert find(needles(), REPORT["what_happened"].encode()) and find(needles(), CSV)
    assert any(p.name == "checker.db" for p in run.snapshots[0])


def test_no_number_in_any_instance_file(run):
    leaks = {f"{path.relative_to(run.instance)}": find(needles(), blob)
             for snapshot in run.snapshots for path, blob in snapshot.items()}
    assert {name: found for name, found in leaks.items() if found} == {}


def test_no_number_in_any_page_or_log(run):
    leaks = {name: find(needles(), text.encode()) for name, text in run.outputs.items()}
    assert {name: found for name, found in leaks.items() if found} == {}
