"""The review queue and the alert feed in real headless Chromium (Debian's, driven by
Playwright, nothing downloaded), against a real `checker serve` on loopback, with the check
page's browser helpers (tests/test_browser.py): a 390 px wide phone, no sideways scrolling,
no console error, no CSP violation, a screenshot of every state in test-artifacts/."""

import pytest

from conftest import CASEWORKER_PASSWORD, MEMBER_PASSWORD, TEST_KEY_HEX, Server, days_ago
from test_browser import Phone, chromium  # noqa: F401 (chromium is a fixture)

pytestmark = pytest.mark.browser


@pytest.fixture
def server(cli, tmp_path):
    cli("member", "add", "alice", "--password-stdin", input=MEMBER_PASSWORD + "\n")
    cli("caseworker", "add", "carol", "--password-stdin", input=CASEWORKER_PASSWORD + "\n")
    cli.json("add", "0687654321", "--category", "stalking", "--region", "Groningen",
             "--date", days_ago(20), "--summary", "Waited outside her door for hours.")
    cli.json("add", "+32 470 12 34 56", "--category", "non_payment", "--region",
             "Noord-Holland", "--date", days_ago(3), "--summary",
             "Paid with a banking app screenshot that was fake; the money never arrived.")
    with Server(cli.instance, tmp_path, CHECKER_HASH_KEY=TEST_KEY_HEX) as srv:
        yield srv


def signed_in(chromium, server, name, password):  # noqa: F811
    phone = Phone(chromium, server.base)
    phone.goto("/login")
    phone.sign_in(name, password)
    phone.page.wait_for_load_state("load")
    return phone


def test_report_review_and_publish_on_a_phone(chromium, server):  # noqa: F811
    member = signed_in(chromium, server, "alice", MEMBER_PASSWORD)
    try:
        page = member.page
        page.click("nav a[href='/report']")
        assert page.url == server.base + "/report"
        member.state("21-report-form-nl")
        page.fill("#number", "06-12345678")
        page.select_option("#category", "physical_violence")
        page.fill("#region", "Utrecht")
        page.fill("#what_happened", "He hit me when I asked for the money. He said to call "
                                    "him back on 06 8765 4321.")
        page.click("button.primary")
        page.wait_for_load_state("load")
        assert page.url == server.base + "/reports/mine"
        text = member.text()
        assert "Bedankt, je melding is verstuurd" in text and "[number removed]" in text
        assert "8765" not in text and "12345678" not in text
        member.state("22-report-sent-nl")
    finally:
        member.close()

    worker = signed_in(chromium, server, "carol", CASEWORKER_PASSWORD)
    try:
        page = worker.page
        page.click("nav a[href='/desk']")
        assert "1" in worker.text(".counts")
        worker.state("23-desk-overview-nl")
        page.click(".subnav >> text=Wachtrij")
        worker.state("24-review-queue-nl")
        page.click(".items a")
        page.wait_for_load_state("load")
        assert "He hit me" in worker.text() and "alleen gecodeerd" in worker.text()
        worker.state("25-report-nl")
        page.fill("#summary", "Violent when asked to pay. Meet only where others are around.")
        page.fill("#publish-region", "Utrecht")
        page.click("form[action$='/publish'] button")
        page.wait_for_load_state("load")
        assert page.url == server.base + "/desk/reports"
        assert "is gepubliceerd als waarschuwing" in worker.text()
        assert "Er wachten geen meldingen." in worker.text()
        worker.state("26-published-nl")
        page.click(".subnav >> text=Waarschuwingen")
        worker.state("27-warnings-nl")
        page.click(".subnav >> text=Cijfers")
        worker.state("28-statistics-nl")
        page.click(".subnav >> text=Leden")
        worker.state("29-members-nl")
        # the member's check page now warns
        page.click("nav a[href='/']")
        page.fill("#number", "0612345678")
        page.click("button.primary")
        page.wait_for_load_state("load")
        assert "1 waarschuwing voor dit nummer" in worker.text("#result")
        assert "Violent when asked to pay" in worker.text("#result")
    finally:
        worker.close()

    output = server.output()
    assert "12345678" not in output.replace(" ", "") and "87654321" not in output


def test_alert_feed_on_a_phone(chromium, server):  # noqa: F811
    member = signed_in(chromium, server, "alice", MEMBER_PASSWORD)
    try:
        page = member.page
        page.click("nav a[href='/alerts']")
        assert page.url == server.base + "/alerts"
        items = page.locator(".items .item")
        assert items.count() == 2
        assert "Niet betaald" in items.nth(0).inner_text()  # newest first
        assert "Stalking" in items.nth(1).inner_text()
        member.state("31-alerts-nl")
        page.select_option("#region", "Groningen")
        page.click("text=Toon")
        page.wait_for_load_state("load")
        assert page.url == server.base + "/alerts?region=Groningen"
        assert items.count() == 1 and "Groningen" in items.nth(0).inner_text()
        member.state("32-alerts-groningen-nl")
        page.click("text=English")
        page.wait_for_load_state("load")
        assert page.url == server.base + "/alerts"
        assert "All regions" in member.text() and items.count() == 2
        member.state("33-alerts-en")
    finally:
        member.close()
