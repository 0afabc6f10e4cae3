"""The check page in real headless Chromium (Debian's, driven by Playwright; no browser is
downloaded), against a real `checker serve` on loopback.

At a 390 px wide viewport every state must fit without sideways scrolling and the console must
show no error and no CSP violation. Screenshots of each state go to test-artifacts/.
Every request to a host other than 127.0.0.1 is answered inside the browser (the quick exit's
neutral site) or aborted, and host names resolve to nothing, so no traffic leaves the machine.
"""

import re
from pathlib import Path

import pytest

from conftest import (MEMBER_PASSWORD, NL_MOBILE, NL_MOBILE_2, ROOT, TEST_KEY_HEX, Server,
                      days_ago, skip_unless)

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
ARTIFACTS = ROOT / "test-artifacts"
PHONE = {"width": 390, "height": 844}
EXIT_SITE = "https://www.buienradar.nl/"
LOOPBACK = re.compile(r"^http://127\.0\.0\.1:\d+/")
# Collects CSP violations in the page; init scripts run outside the page's CSP.
WATCH_CSP = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
"""


@pytest.fixture(scope="module")
def chromium():
    skip_unless(Path(CHROMIUM).exists(), f"{CHROMIUM} is not installed (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_unless(False, "the playwright package is not installed (pip install -e '.[test]')")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def server(cli, tmp_path):
    cli("member", "add", "alice", "--password-stdin", input=MEMBER_PASSWORD + "\n")
    cli.json("add", NL_MOBILE, "--category", "theft", "--region", "Utrecht",
             "--date", days_ago(40), "--summary",
             "Took the money back after the booking and left. Details: "
             "https://example.invalid/a-very-long-address-that-does-not-break-by-itself")
    cli.json("add", NL_MOBILE, "--category", "physical_violence", "--region", "Noord-Holland",
             "--date", days_ago(400))
    with Server(cli.instance, tmp_path, CHECKER_HASH_KEY=TEST_KEY_HEX) as srv:
        yield srv


class Phone:
    """One browser context at phone size, with what its console and CSP reported."""

    def __init__(self, chromium, base, java_script=True):
        self.base = base
        self.context = chromium.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                            has_touch=True, java_script_enabled=java_script)
        self.context.route("**/*", self._keep_on_loopback)
        self.page = self.context.new_page()
        self.page.add_init_script(WATCH_CSP)
        self.errors = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.java_script = java_script

    @staticmethod
    def _keep_on_loopback(route):
        url = route.request.url
        if LOOPBACK.match(url):
            route.continue_()
        elif url.startswith(EXIT_SITE):
            route.fulfill(status=200, content_type="text/html",
                          body="<!doctype html><title>Weather</title><p>Sunny.</p>")
        else:
            route.abort()

    def goto(self, path):
        self.page.goto(self.base + path)

    def shot(self, name):
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def assert_fits(self):
        width = self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the page scrolls sideways: {width}px wide"

    def assert_clean(self):
        assert self.errors == []
        if self.java_script:
            assert self.page.evaluate("window.__csp") == []

    def state(self, name):
        """Every state: fits the phone, no errors, and a screenshot."""
        self.page.wait_for_load_state("load")
        self.assert_fits()
        self.assert_clean()
        self.shot(name)

    def sign_in(self, name="alice", password=MEMBER_PASSWORD):
        self.page.fill("#name", name)
        self.page.fill("#password", password)
        self.page.click("button.primary")

    def check(self, number, press_enter=False):
        self.page.fill("#number", number)
        if press_enter:
            self.page.press("#number", "Enter")
        else:
            self.page.click("button.primary")
        self.page.wait_for_load_state("load")

    def text(self, selector="main"):
        return self.page.inner_text(selector)

    def close(self):
        self.context.close()


@pytest.fixture
def phone(chromium, server):
    device = Phone(chromium, server.base)
    yield device
    device.close()


def wait_for_focus(page, element_id: str) -> None:
    """Autofocus and site.js move the focus just after the page loads."""
    # A function, not an expression: an expression would need eval, which the CSP forbids.
    page.wait_for_function("id => document.activeElement && document.activeElement.id === id",
                           arg=element_id, timeout=10_000)


def focused_outline(page) -> tuple[str, float]:
    return page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()"
    )


def test_the_whole_flow_on_a_phone(phone, server):
    page = phone.page
    phone.goto("/")
    assert page.url == server.base + "/login"
    assert page.get_attribute("html", "lang") == "nl"
    assert page.title() == "Notities"
    phone.state("01-login-nl")

    page.keyboard.press("Tab")  # the language switch, first in the page
    style, width = focused_outline(page)
    assert style != "none" and width >= 2, "keyboard focus must be visible"

    phone.sign_in(password="wrong-password-1")
    assert "De naam of het wachtwoord klopt niet." in phone.text()
    phone.state("02-login-failed-nl")

    phone.sign_in()
    assert page.url == server.base + "/"
    wait_for_focus(page, "number")  # ready to type
    assert page.get_attribute("#number", "type") == "tel"
    assert page.get_attribute("#number", "inputmode") == "tel"
    assert page.get_attribute("#number", "autocomplete") == "off"
    phone.state("03-check-nl")

    phone.check("06-12345678", press_enter=True)
    card = phone.text("#result")
    assert "2 waarschuwingen voor dit nummer" in card
    assert "+31 6 12345678" in card and "Diefstal" in card and "Lichamelijk geweld" in card
    assert "Utrecht" in card and "Noord-Holland" in card and "Took the money back" in card
    wait_for_focus(page, "result")  # read first
    assert page.input_value("#number") == ""
    assert page.url == server.base + "/"  # the number is never in the address
    phone.state("04-warnings-nl")

    phone.check("06 8765 4321")
    card = phone.text("#result")
    assert "Geen waarschuwingen bekend" in card and "geen garantie voor veiligheid" in card
    assert "+31 6 87654321" in card
    phone.state("05-no-warnings-nl")

    phone.check("06 1234 5678 please")
    assert "mag alleen cijfers, spaties" in phone.text()
    assert page.input_value("#number") == "06 1234 5678 please"
    wait_for_focus(page, "number")
    assert page.query_selector("#result") is None
    phone.state("06-invalid-nl")

    page.click("text=English")
    assert page.get_attribute("html", "lang") == "en"
    assert page.title() == "Notes"
    assert "Check a number" in phone.text()
    phone.state("07-check-en")

    phone.check("+31 (0)6 1234 5678")
    card = phone.text("#result")
    assert "2 warnings for this number" in card and "Theft" in card
    assert "Physical violence" in card
    phone.state("08-warnings-en")

    phone.check("0687654321")
    assert "This is no guarantee of safety." in phone.text("#result")
    phone.state("09-no-warnings-en")

    page.click("text=Sign out")
    assert page.url == server.base + "/login"
    assert "You are signed out." in phone.text()
    assert page.get_attribute("html", "lang") == "en"  # remembered
    phone.state("10-signed-out-en")

    phone.goto("/")
    assert page.url == server.base + "/login"

    # Nothing the browser did put a number in the server's output.
    output = re.sub(r"\D", "", server.output())
    for number in (NL_MOBILE, NL_MOBILE_2):
        assert number[3:] not in output


def test_quick_exit_replaces_the_history_entry(phone, server):
    phone.goto("/login")
    phone.sign_in()
    phone.check("06-12345678")
    before = phone.page.evaluate("history.length")
    phone.page.click("#quick-exit")
    phone.page.wait_for_url(EXIT_SITE)
    assert phone.page.evaluate("history.length") == before
    assert phone.errors == []


def test_error_page_fits_and_is_clean(phone):
    phone.goto("/no-such-page")
    assert "Pagina niet gevonden" in phone.text()
    # The page's own 404 status is logged by Chromium; nothing else may be.
    assert len(phone.errors) == 1 and "404" in phone.errors[0]
    phone.errors.clear()
    phone.state("11-not-found-nl")


def test_works_without_javascript(chromium, server):
    phone = Phone(chromium, server.base, java_script=False)
    try:
        phone.goto("/")
        phone.sign_in()
        assert phone.page.url == server.base + "/"
        phone.check("06-12345678")
        assert "2 waarschuwingen voor dit nummer" in phone.text("#result")
        phone.state("12-warnings-no-javascript")
        phone.page.click("#quick-exit")  # a plain link without JavaScript
        phone.page.wait_for_url(EXIT_SITE)
    finally:
        phone.close()


def test_wide_screen(chromium, server):
    phone = Phone(chromium, server.base)
    phone.page.set_viewport_size({"width": 1280, "height": 800})
    try:
        phone.goto("/login")
        phone.sign_in()
        phone.check("06-12345678")
        assert phone.page.evaluate("document.documentElement.scrollWidth") <= 1280
        phone.assert_clean()
        phone.shot("13-warnings-wide")
    finally:
        phone.close()
