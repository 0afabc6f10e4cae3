"""The report, alert-feed and desk pages through Flask's test client: the report-to-warning
path end to end (submit on /report, publish on /desk, the member's check page warns; reject
and withdraw), the import in two uploads, member management, statistics, and what a page
shows or refuses."""

import io
import re

import pytest

from conftest import CASEWORKER_PASSWORD, NL_MOBILE, NL_MOBILE_2
from test_pages import Browser, text

TYPED = "06-12345678"  # NL_MOBILE
TYPED_2 = "06 8765 4321"  # NL_MOBILE_2


def digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def shows_no_number(html: str) -> None:
    for e164 in (NL_MOBILE, NL_MOBILE_2):
        assert e164[3:] not in digits(html), "a number is shown"


@pytest.fixture
def member(app, member_login):
    browser = Browser(app.test_client())
    assert browser.sign_in(*member_login).status_code == 303
    return browser


@pytest.fixture
def caseworker(app, cli):
    cli("caseworker", "add", "carol", "--password-stdin", input=CASEWORKER_PASSWORD + "\n")
    browser = Browser(app.test_client())
    assert browser.sign_in("carol", CASEWORKER_PASSWORD).status_code == 303
    return browser


def report(browser, **fields):
    form = {"number": TYPED, "category": "theft", "date": "", "region": "Utrecht",
            "what_happened": "Took the money back.", "client_description": ""} | fields
    browser.get("/report")
    return browser.post("/report", form)


def pending_id(caseworker) -> int:
    html = text(caseworker.get("/desk/reports"))
    return int(re.findall(r'href="/desk/reports/(\d+)"', html)[0])


def verdict(member, typed=TYPED) -> str:
    member.get("/")
    return text(member.post("/", {"number": typed}))


# --- reporting -----------------------------------------------------------------------

def test_report_form_and_confirmation(member):
    html = text(member.get("/report"))
    assert "Een incident melden" in html and 'name="csrf_token"' in html
    for field in ("number", "category", "date", "region", "what_happened", "client_description"):
        assert f'name="{field}"' in html and f'for="{field}"' in html
    response = report(member, what_happened=f"He called from {TYPED_2} twice.",
                      client_description="Said his number was 0612345678")
    assert response.status_code == 303 and response.headers["Location"] == "/reports/mine"
    html = text(member.get("/reports/mine"))
    assert "Bedankt, je melding is verstuurd" in html
    assert "Telefoonnummers in je tekst zijn verwijderd" in html
    assert "[number removed]" in html and "Wacht op beoordeling" in html
    shows_no_number(html)


def test_report_with_an_invalid_number_keeps_the_input(member):
    response = report(member, number="06 1234 5678 please",
                      what_happened=f"Also called from {TYPED_2}.")
    html = text(response)
    assert response.status_code == 400
    assert 'value="06 1234 5678 please"' in html and 'aria-invalid="true"' in html
    assert "mag alleen cijfers, spaties" in html
    assert "Also called from [number removed]." in html  # free text shown as it would be stored
    assert NL_MOBILE_2[3:] not in digits(html)


def test_report_with_a_missing_text_says_so(member):
    response = report(member, what_happened="")
    assert response.status_code == 400
    assert '<p>Vertel wat er gebeurde.</p>' in text(response)  # the domain's message, in Dutch
    assert 'value="Utrecht"' in text(response)


def test_report_without_a_number_and_in_the_future(member):
    assert report(member, number="").status_code == 303
    assert "geen nummer" in text(member.get("/reports/mine"))
    assert report(member, date="2999-01-01").status_code == 400


# --- the report-to-warning path ----------------------------------------------------

def test_report_published_on_the_desk_warns_every_member(app, member, caseworker):
    report(member, region="Utrecht")
    assert "Geen waarschuwingen bekend" in verdict(member)  # pending counts in no verdict
    report_id = pending_id(caseworker)
    page = caseworker.get(f"/desk/reports/{report_id}")
    html = text(page)
    assert page.status_code == 200 and "Took the money back." in html
    assert "alleen gecodeerd" in html
    shows_no_number(html)
    response = caseworker.post(f"/desk/reports/{report_id}/publish",
                               {"summary": f"Took the money back, called from {TYPED_2}",
                                "category": "non_payment", "region": "Amersfoort"})
    assert response.status_code == 303 and response.headers["Location"] == "/desk/reports"
    assert "is gepubliceerd als waarschuwing" in text(caseworker.get("/desk/reports"))
    html = verdict(member)
    assert "1 waarschuwing voor dit nummer" in html
    assert "Niet betaald" in html and "Amersfoort" in html
    assert "[number removed]" in html
    assert "Gepubliceerd" in text(member.get("/reports/mine"))
    alerts = text(member.get("/alerts"))
    assert "Niet betaald" in alerts and "Amersfoort" in alerts
    shows_no_number(alerts)
    # published once: again is refused, with the reason on the page
    again = caseworker.post(f"/desk/reports/{report_id}/publish", {"summary": "x"})
    assert again.status_code == 409 and "published already" in text(again)


def test_rejected_report_counts_in_no_verdict(member, caseworker):
    report(member)
    report_id = pending_id(caseworker)
    assert caseworker.post(f"/desk/reports/{report_id}/reject", {"reason": ""}).status_code == 400
    response = caseworker.post(f"/desk/reports/{report_id}/reject",
                               {"reason": "Same as an earlier report"})
    assert response.status_code == 303
    assert "Geen waarschuwingen bekend" in verdict(member)
    html = text(member.get("/reports/mine"))
    assert "Afgewezen" in html and "Same as an earlier report" in html
    assert "Er wachten geen meldingen" in text(caseworker.get("/desk/reports"))


def test_withdrawn_warning_counts_no_more(app, member, caseworker):
    report(member)
    report_id = pending_id(caseworker)
    caseworker.post(f"/desk/reports/{report_id}/publish", {"summary": "Did not pay"})
    assert "1 waarschuwing voor dit nummer" in verdict(member)
    assert "Did not pay" in text(member.get("/alerts"))
    warning_id = app.extensions["checker"].feed.warnings()[0]["id"]
    html = text(caseworker.get("/desk/warnings"))
    assert f"#{warning_id}" in html and "Gepubliceerd" in html
    assert caseworker.post(f"/desk/warnings/{warning_id}/withdraw",
                           {"reason": ""}).status_code == 400
    response = caseworker.post(f"/desk/warnings/{warning_id}/withdraw",
                               {"reason": "The client objected"})
    assert response.status_code == 303
    assert "Ingetrokken" in text(caseworker.get("/desk/warnings"))
    assert "Geen waarschuwingen bekend" in verdict(member)
    assert "Ingetrokken" in text(member.get("/reports/mine"))
    assert "Did not pay" not in text(member.get("/alerts"))


def test_report_without_a_number_cannot_be_published(member, caseworker):
    report(member, number="")
    report_id = pending_id(caseworker)
    html = text(caseworker.get(f"/desk/reports/{report_id}"))
    assert "kan het geen waarschuwing worden" in html
    assert f'action="/desk/reports/{report_id}/publish"' not in html
    refused = caseworker.post(f"/desk/reports/{report_id}/publish", {"summary": "x"})
    assert refused.status_code == 409 and "has no number" in text(refused)


def test_unknown_report_and_warning_are_404_pages(caseworker):
    for path in ("/desk/reports/999", "/desk/reports/99999999999999999999999"):
        response = caseworker.get(path)
        assert response.status_code == 404 and response.mimetype == "text/html"
    assert caseworker.post("/desk/reports/999/publish", {}).status_code == 404
    assert caseworker.post("/desk/warnings/999/withdraw", {"reason": "x"}).status_code == 404


# --- warnings, alerts -----------------------------------------------------------------

def test_add_warning_on_the_desk(member, caseworker):
    caseworker.get("/desk/warnings")
    bad = caseworker.post("/desk/warnings", {"number": "06-1234", "category": "theft"})
    assert bad.status_code == 400 and 'value="06-1234"' in text(bad)
    future = caseworker.post("/desk/warnings", {"number": TYPED, "category": "theft",
                                                "date": "2999-01-01", "summary": f"ring {TYPED_2}"})
    assert future.status_code == 400 and "ligt in de toekomst" in text(future)
    assert "ring [number removed]" in text(future)
    ok = caseworker.post("/desk/warnings", {"number": TYPED, "category": "threats",
                                            "region": "Zwolle", "summary": "Threatened her"})
    assert ok.status_code == 303
    html = text(caseworker.get("/desk/warnings"))
    assert "Bedreiging" in html and "Zwolle" in html
    shows_no_number(html)
    assert "1 waarschuwing voor dit nummer" in verdict(member)


def test_alert_feed_filters_by_region(cli, member):
    cli.json("add", NL_MOBILE, "--category", "theft", "--region", "Utrecht", "--summary", "U")
    cli.json("add", NL_MOBILE_2, "--category", "stalking", "--region", "Groningen")
    html = text(member.get("/alerts"))
    assert html.index("Stalking") < html.index("Diefstal")  # newest first
    assert '<option value="Groningen">' in html
    only = text(member.get("/alerts?region=utrecht"))
    assert "Diefstal" in only and "Stalking" not in only
    assert '<option value="Utrecht" selected>' in only
    odd = member.get(f"/alerts?region={NL_MOBILE_2[1:]}")
    assert odd.status_code == 200
    assert NL_MOBILE_2[3:] not in digits(text(odd))  # an unknown region is not echoed
    assert "Er zijn geen waarschuwingen voor die regio." in text(odd)


# --- import ------------------------------------------------------------------------------

CSV = (f"number,category,date,region,summary\n{TYPED},theft,,Utrecht,one\n"
       f"06-1234,theft,,,bad number\n{TYPED_2},rudeness,,,bad category\n").encode()


def upload(browser, data: bytes, **fields):
    form = {"csrf_token": browser.token, "file": (io.BytesIO(data), "warnings.csv"), **fields}
    return browser.client.post("/desk/import", data=form, content_type="multipart/form-data")


def test_import_checks_first_and_stores_nothing(app, caseworker):
    caseworker.get("/desk/import")
    checked = upload(caseworker, CSV, step="check")
    html = text(checked)
    assert checked.status_code == 200
    assert "niets opgeslagen" in html.lower()
    assert "Regel 3:" in html and "Regel 4:" in html
    assert 'name="step" value="store"' in html and 'name="skip_invalid"' in html
    shows_no_number(html)
    assert app.extensions["checker"].feed.warnings() == []
    refused = upload(caseworker, CSV, step="store")
    assert refused.status_code == 400 and "Er is niets opgeslagen" in text(refused)
    assert app.extensions["checker"].feed.warnings() == []
    stored = upload(caseworker, CSV, step="store", skip_invalid="yes")
    assert stored.status_code == 200 and "1 waarschuwing opgeslagen" in text(stored)
    assert "2 ongeldige regels overgeslagen" in text(stored)
    assert len(app.extensions["checker"].feed.warnings()) == 1
    actions = [e["action"] for e in app.extensions["checker"].audit_events()]
    assert actions.count("import") == 1


def test_import_bad_file_and_no_file(caseworker):
    caseworker.get("/desk/import")
    bad = upload(caseworker, b"phone,kind\n1,2\n", step="check")
    assert bad.status_code == 400 and "Line 1" in text(bad)
    none = caseworker.client.post("/desk/import", data={"csrf_token": caseworker.token})
    assert none.status_code == 400
    assert upload(caseworker, CSV, step="check", csrf_token="forged").status_code == 400


def test_import_takes_a_file_larger_than_the_api_limit(app, caseworker):
    rows = "".join(f"06{n:08d},theft,,,\n" for n in range(12345678, 12345678 + 6000))
    data = ("number,category\n" + rows).encode()
    assert len(data) > app.config["MAX_CONTENT_LENGTH"]
    caseworker.get("/desk/import")
    response = upload(caseworker, data, step="check")
    assert response.status_code == 200
    too_big = upload(caseworker, b"number,category\n" + b"x" * (6 * 1024 * 1024), step="check")
    assert too_big.status_code == 413
    assert app.config["MAX_CONTENT_LENGTH"] == 64 * 1024  # the API and other pages stay small
    other = caseworker.client.post("/desk/members", data={"csrf_token": caseworker.token,
                                                          "name": "x" * 70000})
    assert other.status_code == 413


# --- members, audit, statistics, overview --------------------------------------------

def test_member_management(app, caseworker, member_login):
    caseworker.get("/desk/members")
    added = caseworker.post("/desk/members", {"name": "bea", "password": "", "phone": ""})
    html = text(added)
    assert added.status_code == 200 and "bea is toegevoegd" in html
    assert re.search(r"chk_[A-Za-z0-9_-]{20,}", html)
    assert "chk_" not in text(caseworker.get("/desk/members"))  # shown once
    dup = caseworker.post("/desk/members", {"name": "bea"})
    assert dup.status_code == 409 and "exists already" in text(dup)
    bad = caseworker.post("/desk/members", {"name": "dee", "phone": "06 1234 5678 x"})
    assert bad.status_code == 400 and 'value="06 1234 5678 x"' in text(bad)
    alice = next(m for m in app.extensions["checker"].members.list() if m["name"] == "alice")
    base = f"/desk/members/{alice['id']}"
    assert caseworker.post(base + "/phone", {"number": TYPED_2}).status_code == 303
    html = text(caseworker.get("/desk/members"))
    assert "sms-telefoon" in html.lower()
    shows_no_number(html)
    assert caseworker.post(base + "/phone", {"remove": "yes"}).status_code == 303
    assert caseworker.post(base + "/language", {"language": "en"}).status_code == 303
    assert "alice krijgt sms-antwoorden in: English" in text(caseworker.get("/desk/members"))
    assert caseworker.post(base + "/language", {"language": "xx"}).status_code == 400
    assert caseworker.post(base + "/password", {"password": "short"}).status_code == 400
    assert caseworker.post(base + "/password", {"password": "a-new-password-9"}).status_code == 303
    assert caseworker.post(base + "/deactivate").status_code == 303
    assert "gedeactiveerd" in text(caseworker.get("/desk/members"))
    assert Browser(app.test_client()).sign_in("alice", "a-new-password-9").status_code == 200
    assert caseworker.post(base + "/activate").status_code == 303
    assert Browser(app.test_client()).sign_in("alice", "a-new-password-9").status_code == 303
    audit = text(caseworker.get("/desk/audit"))
    for action in ("member_added", "sms_phone_changed", "member_language_set", "member_password_set",
                   "member_deactivated", "member_activated"):
        assert action in audit
    shows_no_number(audit)


def test_overview_counts_pending_reports_and_flagged_members(app, member, caseworker):
    report(member)
    report(member, number="")
    checker = app.extensions["checker"]
    checker._audit("system", "member_flagged", account_id=1, name="alice",
                   day=checker.today().isoformat(), distinct_numbers=50)
    html = text(caseworker.get("/desk"))
    assert re.search(r"<strong>2</strong> meldingen wachten", html)
    assert re.search(r"<strong>1</strong> lid gemarkeerd", html)
    assert "alice" in html and "50 verschillende nummers" in html


def test_statistics_table_and_inline_charts(member, caseworker):
    report(member)
    verdict(member)
    html = text(caseworker.get("/desk/stats"))
    assert html.count("<svg") == 6 and "<table>" in html
    assert " style=" not in html and "<script" not in html.replace(
        '<script src="/static/site.js" defer></script>', "")
    assert "Controles met waarschuwingen" in html


# --- every page: csrf, no inline script or style, nothing forged ---------------------------

PAGES = ["/report", "/reports/mine", "/alerts", "/desk", "/desk/reports", "/desk/warnings",
         "/desk/import", "/desk/members", "/desk/audit", "/desk/stats"]


def test_every_post_form_carries_a_csrf_token_and_nothing_inline(caseworker, member):
    report(member)
    pending = pending_id(caseworker)
    for path in PAGES + [f"/desk/reports/{pending}"]:
        response = caseworker.get(path)
        html = text(response)
        assert response.status_code == 200, path
        for form in re.findall(r"<form\b.*?</form>", html, re.S):
            if 'method="get"' not in form:
                assert 'name="csrf_token"' in form and 'method="post"' in form, (path, form)
        assert "<style" not in html and " style=" not in html
        assert re.search(r"<script(?![^>]*\bsrc=)", html) is None
        assert re.search(r"\son[a-z]+=", html) is None


def test_post_without_csrf_token_is_refused(caseworker, member):
    report(member)
    report_id = pending_id(caseworker)
    for path, form in [("/report", {"category": "theft", "what_happened": "x"}),
                       (f"/desk/reports/{report_id}/reject", {"reason": "x"}),
                       ("/desk/members", {"name": "x"})]:
        assert member.post(path, form, csrf=False).status_code in (400, 403)
        assert caseworker.post(path, form, csrf=False).status_code == 400
    assert pending_id(caseworker) == report_id  # still pending


def test_navigation_links(member, caseworker):
    html = text(member.get("/"))
    for path in ("/report", "/reports/mine", "/alerts"):
        assert f'href="{path}"' in html
    assert 'href="/desk"' not in html
    assert 'href="/desk"' in text(caseworker.get("/"))
    assert member.get("/desk").status_code == 403


def test_language_switch_returns_to_the_page(member):
    member.get("/alerts")
    response = member.post("/lang", {"lang": "en", "next": "/alerts"})
    assert response.headers["Location"] == "/alerts"
    html = text(member.get("/alerts"))
    assert "All regions" in html
    assert member.post("/lang", {"lang": "nl", "next": "//evil.example/x"}).headers[
        "Location"] == "/"
