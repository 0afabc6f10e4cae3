"""The web pages without JavaScript, through Flask's test client: sign in, check, switch
language, sign out, and every refusal (no CSRF token, signed out, wrong password, too many
attempts, deactivated account, too many checks)."""

import logging
import re

import pytest

from conftest import (CASEWORKER_PASSWORD, NL_MOBILE, NL_MOBILE_2, TEST_KEY, csrf_of,
                      days_ago)

PAGE_CSP = ("default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
TYPED = "06-12345678"  # NL_MOBILE as a member types it
TYPED_NONE = "06 8765 4321"  # NL_MOBILE_2: no warnings
NO_SUCH_ACCOUNT = "De naam of het wachtwoord klopt niet."


def text(response) -> str:
    return response.get_data(as_text=True)


def digits(value: str) -> str:
    return re.sub(r"\D", "", value)


class Browser:
    """A test client that remembers the last page's CSRF token, like a browser's form."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def get(self, path, **kwargs):
        response = self.client.get(path, **kwargs)
        if response.mimetype == "text/html" and 'name="csrf_token"' in text(response):
            self.token = csrf_of(text(response))
        return response

    def post(self, path, data=None, csrf=True, **kwargs):
        form = dict(data or {})
        if csrf:
            form["csrf_token"] = self.token
        response = self.client.post(path, data=form, **kwargs)
        if response.mimetype == "text/html" and 'name="csrf_token"' in text(response):
            self.token = csrf_of(text(response))
        return response

    def sign_in(self, name, password, **kwargs):
        """Returns the answer to the POST; follows a redirect afterwards, as a browser does."""
        self.get("/login", **kwargs)
        response = self.post("/login", {"name": name, "password": password}, **kwargs)
        if response.status_code == 303:
            self.get(response.headers["Location"], **kwargs)
        return response

    def check(self, number):
        if self.token is None:
            self.get("/")
        return self.post("/", {"number": number})


@pytest.fixture
def browser(client):
    return Browser(client)


@pytest.fixture
def signed_in(browser, member_login):
    response = browser.sign_in(*member_login)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    browser.get("/")
    return browser


@pytest.fixture
def warned(cli):
    """Two published warnings for NL_MOBILE."""
    cli.json("add", NL_MOBILE, "--category", "theft", "--region", "Utrecht",
             "--date", days_ago(40), "--summary", "Took the money back after the booking.")
    cli.json("add", NL_MOBILE, "--category", "physical_violence", "--region", "Amsterdam",
             "--date", days_ago(400))


def checker_of(app):
    return app.extensions["checker"]


# --- signed out ------------------------------------------------------------------

def test_signed_out_visitor_is_sent_to_login(browser):
    response = browser.get("/")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    browser.get("/login")
    response = browser.post("/", {"number": TYPED})
    assert response.status_code == 303 and response.headers["Location"] == "/login"


def test_login_page(browser):
    response = browser.get("/login")
    html = text(response)
    assert response.status_code == 200
    assert '<html lang="nl">' in html
    assert "<title>Notities</title>" in html  # a neutral tab title
    assert 'name="name"' in html and 'name="password"' in html
    assert 'name="csrf_token"' in html
    assert 'for="name"' in html and 'for="password"' in html
    assert 'autocomplete="current-password"' in html


@pytest.mark.parametrize("path", ["/login", "/", "/nope", "/favicon.ico"])
def test_page_security_headers(browser, path):
    response = browser.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    if response.mimetype == "text/html":
        assert response.headers["Content-Security-Policy"] == PAGE_CSP


def test_api_keeps_its_strict_csp(client):
    csp = client.get("/healthz").headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp


# --- signing in -------------------------------------------------------------------

def test_sign_in_sets_a_safe_session_cookie(browser, member_login):
    response = browser.sign_in(*member_login)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    page = browser.get("/")
    assert page.status_code == 200
    assert "Ingelogd als alice" in text(page)


def test_session_cookie_is_secure_behind_https(make_app, member_login):
    browser = Browser(make_app(PUBLIC_URL="https://checker.example.org").test_client())
    cookie = browser.sign_in(*member_login).headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_signed_in_visitor_skips_login(signed_in):
    response = signed_in.get("/login")
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_wrong_password_gets_a_generic_message(browser, member_login):
    wrong = browser.sign_in("alice", "not-the-password")
    unknown = browser.sign_in("nobody", "not-the-password")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert NO_SUCH_ACCOUNT in text(response)
    with browser.client.session_transaction() as session:
        assert "account_id" not in session
    assert browser.get("/").status_code == 303


def test_name_is_not_case_sensitive(browser, member_login):
    assert browser.sign_in("ALICE", member_login[1]).status_code == 303


def test_caseworker_can_sign_in_and_check(browser, cli):
    cli("caseworker", "add", "carol", "--password-stdin", input=CASEWORKER_PASSWORD + "\n")
    assert browser.sign_in("carol", CASEWORKER_PASSWORD).status_code == 303
    assert "Geen waarschuwingen bekend" in text(browser.check(TYPED_NONE))


def test_account_without_password_cannot_sign_in(browser, member_token):
    # member_token's alice was made without --password-stdin
    response = browser.sign_in("alice", "")
    assert NO_SUCH_ACCOUNT in text(response)


def test_too_many_sign_in_attempts_per_name(make_app, member_login):
    app = make_app(LOGIN_LIMITS="3 per 15 minutes")
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        browser = Browser(app.test_client())
        response = browser.sign_in("alice", "wrong-password",
                                   environ_base={"REMOTE_ADDR": address})
        assert response.status_code == 200
    browser = Browser(app.test_client())
    refused = browser.sign_in("alice", member_login[1], environ_base={"REMOTE_ADDR": "10.0.0.4"})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    html = text(refused)
    assert "Te veel pogingen om in te loggen" in html and "over 15 minuten" in html
    with browser.client.session_transaction() as session:
        assert "account_id" not in session


def test_too_many_sign_in_attempts_per_address(make_app, member_login, cli):
    app = make_app(LOGIN_LIMITS="3 per 15 minutes")
    browser = Browser(app.test_client())
    for name in ("bob", "carla", "dave"):
        assert browser.sign_in(name, "wrong-password").status_code == 200
    assert browser.sign_in(*member_login).status_code == 429
    # another address may still sign in as alice
    other = Browser(app.test_client())
    assert other.sign_in(*member_login, environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code == 303


def test_limiter_storage_holds_no_name_and_no_number(make_app, member_login):
    app = make_app()
    browser = Browser(app.test_client())
    browser.sign_in("alice", "wrong-password")
    browser.sign_in(TYPED, "wrong-password")  # a number typed into the name field
    storage = app.extensions["login_budget"].limiter.limiter.storage
    keys = " ".join(map(str, getattr(storage, "storage", {}).keys()))
    assert keys, "expected the memory storage to hold the attempts"
    assert "alice" not in keys.lower()
    assert digits(NL_MOBILE)[3:] not in digits(keys)


def test_deactivated_account_loses_its_session_and_cannot_sign_in(app, signed_in, member_login,
                                                                    cli):
    assert cli("member", "deactivate", "alice").exit_code == 0
    response = signed_in.get("/")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert NO_SUCH_ACCOUNT in text(signed_in.sign_in(*member_login))
    assert cli("member", "activate", "alice").exit_code == 0
    assert signed_in.sign_in(*member_login).status_code == 303
    actions = [event["action"] for event in checker_of(app).audit_events()]
    assert "member_deactivated" in actions and "member_activated" in actions


def test_a_new_password_ends_the_sessions_signed_in_before(app, signed_in, member_login, cli):
    assert signed_in.get("/").status_code == 200
    new_password = "a-fresh-password-77"
    assert cli("member", "password", "alice", "--password-stdin",
               input=new_password + "\n").exit_code == 0
    response = signed_in.get("/")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert signed_in.sign_in("alice", new_password).status_code == 303
    assert signed_in.get("/").status_code == 200


# --- CSRF ------------------------------------------------------------------------------

@pytest.mark.parametrize("path, form", [
    ("/login", {"name": "alice", "password": "paper-lantern-42"}),
    ("/", {"number": TYPED}),
    ("/logout", {}),
    ("/lang", {"lang": "en"}),
])
def test_post_without_csrf_token_is_refused(signed_in, path, form):
    response = signed_in.post(path, form, csrf=False)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert "Dit formulier kon niet worden verstuurd" in text(response)
    forged = signed_in.client.post(path, data={**form, "csrf_token": "forged"})
    assert forged.status_code == 400
    assert "Ingelogd als alice" in text(signed_in.get("/"))  # still signed in: logout refused


def test_csrf_token_from_another_session_is_refused(client, make_app, member_login):
    other = Browser(make_app().test_client())
    other.get("/login")
    response = client.post("/login", data={"name": "alice", "password": member_login[1],
                                           "csrf_token": other.token})
    assert response.status_code == 400


def test_every_form_carries_a_csrf_token(signed_in):
    html = text(signed_in.get("/"))
    forms = re.findall(r"<form\b.*?</form>", html, re.S)
    assert len(forms) == 3  # language, check, sign out
    for form in forms:
        assert 'name="csrf_token"' in form and 'method="post"' in form


# --- checking ---------------------------------------------------------------------------

def test_check_with_warnings(signed_in, warned):
    response = signed_in.check(TYPED)
    html = text(response)
    assert response.status_code == 200
    assert "2 waarschuwingen voor dit nummer" in html
    assert "+31 6 12345678" in html  # the number as understood
    assert "Diefstal" in html and "Lichamelijk geweld" in html
    assert "theft" not in html and "physical_violence" not in html
    assert "Utrecht" in html and "Amsterdam" in html
    assert "Took the money back after the booking." in html
    assert 'class="card danger"' in html
    assert 'value=""' in html  # the field is empty again
    assert TYPED not in html


def test_last_reported_month_in_words(signed_in, cli, app):
    cli.json("add", NL_MOBILE, "--category", "threats", "--date", "2025-03-14")
    assert "maart 2025" in text(signed_in.check(TYPED))


def test_check_without_warnings_is_no_guarantee(signed_in):
    html = text(signed_in.check(TYPED_NONE))
    assert "Geen waarschuwingen bekend" in html
    assert "Dit is geen garantie voor veiligheid." in html
    assert "+31 6 87654321" in html
    assert 'class="card calm"' in html
    assert "veilig " not in html.lower() and "veilig." not in html.lower()


def test_no_warnings_never_says_safe_in_english(signed_in):
    signed_in.post("/lang", {"lang": "en"})
    html = text(signed_in.check(TYPED_NONE))
    assert "No warnings known" in html
    assert "This is no guarantee of safety." in html
    assert re.search(r"\bsafe\b", html, re.I) is None


@pytest.mark.parametrize("typed, message", [
    ("06 1234 5678 please", "mag alleen cijfers, spaties"),
    ("06-1234", "Het nummer is te kort"),
    ("", "Vul eerst het telefoonnummer"),
    ("+999 1234", "landcode"),
])
def test_invalid_number_is_explained_and_kept_in_the_field(signed_in, typed, message):
    response = signed_in.check(typed)
    html = text(response)
    assert response.status_code == 200
    assert message in html
    assert f'value="{typed}"' in html
    assert 'aria-invalid="true"' in html and 'id="number-error"' in html
    assert 'class="card' not in html  # no verdict


def test_invalid_numbers_cost_nothing_and_the_limit_has_a_page(make_app, member_login):
    browser = Browser(make_app(CHECK_LIMITS="2 per hour").test_client())
    browser.sign_in(*member_login)
    for _ in range(3):
        assert 'aria-invalid="true"' in text(browser.check("06-1234"))
    for _ in range(2):
        assert browser.check(TYPED_NONE).status_code == 200
    refused = browser.check(TYPED_NONE)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    html = text(refused)
    assert "Even te veel controles" in html
    assert re.search(r"Je kunt over \d+ minuten weer controleren", html)
    assert "Geen waarschuwingen bekend" not in html  # no verdict
    assert 'value=""' in html  # a valid number is not kept


def test_page_and_api_share_one_budget(make_app, cli):
    token = cli.json("member", "add", "bea", "--password-stdin", input="bea-password-1\n")["token"]
    app = make_app(CHECK_LIMITS="2 per hour")
    browser = Browser(app.test_client())
    browser.sign_in("bea", "bea-password-1")
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert api.post("/api/v1/check", json={"number": TYPED_NONE}, headers=headers).status_code == 200
    assert browser.check(TYPED_NONE).status_code == 200
    assert browser.check(TYPED_NONE).status_code == 429
    assert api.post("/api/v1/check", json={"number": TYPED_NONE}, headers=headers).status_code == 429


def test_web_checks_are_counted(signed_in, cli, warned):
    signed_in.check(TYPED)
    signed_in.check(TYPED_NONE)
    signed_in.check("06-1234")  # invalid: not a check
    stats = cli.json("stats")
    assert stats["checks"] == 2 and stats["hits"] == 1


def test_number_is_kept_out_of_urls_cookies_and_logs(signed_in, warned, caplog):
    caplog.set_level(logging.DEBUG)
    seen = []
    for typed in (TYPED, TYPED_NONE, "06 1234 5678 please"):
        response = signed_in.check(typed)
        seen += [response.headers.get("Location", ""), response.headers.get("Set-Cookie", "")]
        seen.append(str(response.headers))
    with signed_in.client.session_transaction() as session:
        assert set(session) <= {"account_id", "stamp", "csrf", "_flashes"}
        seen.append(repr(dict(session)))
    seen += [record.getMessage() for record in caplog.records]
    blob = digits(" ".join(seen))
    for number in (NL_MOBILE, NL_MOBILE_2):
        assert digits(number)[3:] not in blob


# --- language, sign out, errors, icon -----------------------------------------------

def test_switch_language(signed_in, warned):
    response = signed_in.post("/lang", {"lang": "en", "next": "/"})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=en;") and "Max-Age=" in cookie and "SameSite=Lax" in cookie
    html = text(signed_in.get("/"))
    assert '<html lang="en">' in html and "<title>Notes</title>" in html
    assert "Check a number" in html and 'lang="nl">Nederlands<' in html
    html = text(signed_in.check(TYPED))
    assert "2 warnings for this number" in html and "Theft" in html
    assert "Physical violence" in html
    signed_in.post("/lang", {"lang": "nl", "next": "/"})
    assert '<html lang="nl">' in text(signed_in.get("/"))


def test_language_switch_refuses_unknown_languages_and_foreign_targets(signed_in):
    assert signed_in.post("/lang", {"lang": "xx"}).status_code == 400
    response = signed_in.post("/lang", {"lang": "en", "next": "https://elsewhere.example/"})
    assert response.headers["Location"] == "/"


def test_english_is_remembered_on_the_login_page(browser):
    browser.get("/login")
    browser.post("/lang", {"lang": "en", "next": "/login"})
    html = text(browser.get("/login"))
    assert '<html lang="en">' in html and ">Sign in<" in html


def test_sign_out(signed_in):
    response = signed_in.post("/logout")
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert "Je bent uitgelogd." in text(signed_in.get("/login"))
    assert signed_in.get("/").status_code == 303
    assert signed_in.get("/logout").status_code == 405


def test_quick_exit_works_without_javascript(signed_in):
    html = text(signed_in.get("/"))
    assert re.search(r'<a id="quick-exit"[^>]*href="https://', html)
    assert '<script src="/static/site.js" defer></script>' in html


def test_no_inline_script_or_style(signed_in, warned):
    pages = [text(signed_in.get("/")), text(signed_in.check(TYPED)), text(signed_in.check("x")),
             text(signed_in.get("/nope"))]
    for html in pages:
        assert "<style" not in html and " style=" not in html
        assert re.search(r"<script(?![^>]*\bsrc=)", html) is None
        assert re.search(r"\son[a-z]+=", html) is None


def test_html_errors_for_pages_json_for_the_api(app, signed_in):
    page = signed_in.get("/nope")
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert "Pagina niet gevonden" in text(page)
    api = signed_in.get("/api/v1/nope")
    assert api.status_code == 404 and api.get_json()["error"] == "not_found"
    assert signed_in.client.put("/").status_code == 405


def test_internal_error_page(make_app):
    app = make_app()

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500 and response.mimetype == "text/html"
    assert "Er ging iets mis" in text(response) and "RuntimeError" not in text(response)
    assert response.headers["Content-Security-Policy"] == PAGE_CSP


def test_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.mimetype == "image/vnd.microsoft.icon"
    assert response.data[:4] == b"\x00\x00\x01\x00"


def test_static_files_are_served(client):
    assert client.get("/static/site.css").status_code == 200
    assert client.get("/static/site.js").status_code == 200


# --- the session secret and demo accounts ----------------------------------------------

def test_session_secret_is_its_own_subkey(app):
    from hashing import session_secret
    from hashing.tokens import derive_subkey

    secret = session_secret(TEST_KEY)
    assert app.secret_key == secret == checker_of(app).session_secret
    assert len(secret) == 32 and secret != TEST_KEY
    # known answer: blake3 derive_key, context "... web session secret v1"
    assert secret == derive_subkey(TEST_KEY, "sexwork-safety checker 2026-12-04 web session secret v1")
    assert secret.hex()[:16] == "9c03b66e08b9bef0"


def test_demo_accounts_can_sign_in(cli, app):
    first = cli.json("demo")
    assert set(first["member"]) == {"id", "name", "token", "password"}
    again = cli.json("demo")
    assert again["member"]["password"] != first["member"]["password"]
    browser = Browser(app.test_client())
    assert NO_SUCH_ACCOUNT in text(browser.sign_in("demo-member", first["member"]["password"]))
    for role in ("member", "caseworker"):
        browser = Browser(app.test_client())
        response = browser.sign_in(f"demo-{role}", again[role]["password"])
        assert response.status_code == 303
    text_output = cli("demo").stdout
    assert "password " in text_output and "token chk_" in text_output


def test_page_checks_write_no_number_to_disk(app, signed_in, warned, instance):
    from leakscan import digit_forms

    for typed in (TYPED, TYPED_NONE, "06 8765 4321 x", "0687654321;ext=1"):
        signed_in.check(typed)
    checker_of(app).store.close()
    blobs = b"".join(path.read_bytes() for path in instance.rglob("*") if path.is_file())
    assert blobs
    for form in digit_forms(NL_MOBILE) | digit_forms(NL_MOBILE_2) | {"06 8765 4321"}:
        assert form.encode() not in blobs, form


def test_sign_in_fails_closed_when_the_limit_storage_is_down(make_app, member_login):
    # Nothing listens on port 9 of loopback: the storage cannot be reached.
    app = make_app(RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0")
    browser = Browser(app.test_client())
    response = browser.sign_in(*member_login)
    assert response.status_code == 503
    assert "Nu even niet beschikbaar" in text(response)
    with browser.client.session_transaction() as session:
        assert "account_id" not in session
