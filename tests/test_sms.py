"""Checking numbers by SMS through the Twilio and Bird webhooks, end to end over HTTP."""

import hashlib
import json
import hmac
import base64
import time
import xml.etree.ElementTree as ET

import pytest

from conftest import (BIRD_KEY, NL_MOBILE, NL_MOBILE_2, SMS_PUBLIC_URL, TWILIO_TOKEN, FakeBird,
                      bird_inbound, bird_post, sms_config, twilio_post)
from checker.signatures import bird_signature, twilio_signature

SENDER = NL_MOBILE_2  # the member's own phone
STRANGER = "+31611111111"
WARNED_INTL = "+31 6 12345678"
OTHER = "+32470123456"
OTHER_INTL = "+32 470 12 34 56"
THIRD = "+493012345678"
THIRD_INTL = "+49 30 12345678"


def message_of(response) -> str | None:
    """The text of the TwiML reply's single <Message>, or None for an empty <Response/>."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.get_data())
    assert root.tag == "Response"
    messages = root.findall("Message")
    assert len(messages) <= 1
    return messages[0].text if messages else None


@pytest.fixture
def member(cli):
    """A member with the SMS phone SENDER, and a published warning pair for NL_MOBILE."""
    new = cli.json("member", "add", "mia", "--phone", SENDER)
    cli.json("add", NL_MOBILE, "--category", "physical_violence", "--date", "2026-03-02")
    cli.json("add", NL_MOBILE, "--category", "theft", "--date", "2025-11-20")
    return new


def checks(cli) -> int:
    return cli.json("stats")["checks"]


sid_counter = iter(range(10**6))


def sms(client, text, sender=SENDER, sid=None):
    sid = sid or f"SM{next(sid_counter):032d}"
    return twilio_post(client, {"MessageSid": sid, "From": sender, "To": "+3197010000000",
                                "Body": text, "NumMedia": "0"})


@pytest.fixture
def twilio(make_app, member):
    return make_app(**sms_config()).test_client()


# --- signatures -----------------------------------------------------------------

def test_twilio_signature_matches_twilios_published_vectors():
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234",
              "From": "+14158675309", "To": "+18005551212"}
    assert twilio_signature("12345", url, params.items()) == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    # The same example in Twilio's security docs, with other caller numbers.
    params |= {"Caller": "+12349013030", "From": "+12349013030"}
    assert twilio_signature("12345", url, params.items()) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    # Repeated parameters (twilio-python's test vector): a repeated value counts once.
    repeated = [("Sid", "CA123"), ("SidAccount", "AC123"), ("Digits", "5678"),
                ("Digits", "1234"), ("Digits", "1234")]
    assert twilio_signature("12345", url, repeated) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="


def test_bird_signature_is_hmac_sha256_over_timestamp_url_and_raw_body_digest():
    body = b'{"id": "m-1"}'
    payload = b"1719823259\nhttps://x.example/sms/bird\n" + hashlib.sha256(body).digest()
    expected = base64.b64encode(hmac.new(b"key", payload, hashlib.sha256).digest()).decode()
    assert bird_signature("key", "1719823259", "https://x.example/sms/bird", body) == expected
    # pinned, computed with openssl dgst -sha256 -binary and -hmac
    assert expected == "EnJZO8VD0ZBH7SSecfn0sXT8myYha9OxU3Eaxygg9eE="


# --- Twilio ---------------------------------------------------------------------

def test_twilio_without_configuration_is_404(make_app, member, cli):
    client = make_app(PUBLIC_URL=SMS_PUBLIC_URL).test_client()
    response = sms(client, "check 0612345678")
    assert response.status_code == 404
    assert checks(cli) == 0


@pytest.mark.parametrize("signature", ["", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "not base64 !"])
def test_twilio_missing_or_forged_signature_is_403_and_spends_nothing(twilio, cli, signature):
    params = {"MessageSid": "SM1", "From": SENDER, "Body": "check 0612345678"}
    response = twilio_post(twilio, params, signature=signature)
    assert response.status_code == 403
    assert response.get_json()["error"] == "forbidden"
    assert checks(cli) == 0
    # the message id was not used up: the genuine request is answered
    assert "2 meldingen" in message_of(twilio_post(twilio, params))


def test_twilio_signature_covers_token_url_and_every_parameter(twilio, cli):
    params = {"MessageSid": "SM2", "From": SENDER, "Body": "check 0612345678"}
    wrong_token = twilio_signature("other", SMS_PUBLIC_URL.rstrip("/") + "/sms/twilio",
                                   params.items())
    assert twilio_post(twilio, params, signature=wrong_token).status_code == 403
    good = twilio_signature(TWILIO_TOKEN, SMS_PUBLIC_URL.rstrip("/") + "/sms/twilio",
                            params.items())
    tampered = {**params, "Body": "check 0687654321"}
    assert twilio_post(twilio, tampered, signature=good).status_code == 403
    other_url = twilio_signature(TWILIO_TOKEN, "https://evil.example/sms/twilio", params.items())
    assert twilio_post(twilio, params, signature=other_url).status_code == 403
    assert checks(cli) == 0


def test_twilio_query_string_is_part_of_the_signed_url(twilio):
    params = {"MessageSid": "SM3", "From": SENDER, "Body": "HELP"}
    url = SMS_PUBLIC_URL.rstrip("/") + "/sms/twilio?site=ams"
    response = twilio.post("/sms/twilio?site=ams", data=params, headers={
        "X-Twilio-Signature": twilio_signature(TWILIO_TOKEN, url, params.items())})
    assert "CONTROLE" in message_of(response)


def test_dutch_free_text_gets_the_verdict_in_dutch(twilio, cli):
    reply = message_of(sms(twilio, "CONTROLE 06-1234 5678 aub"))
    assert reply == (f"WAARSCHUWING {WARNED_INTL}: 2 meldingen (geweld, diefstal), "
                     "laatst 2026-03.")
    assert checks(cli) == 1


def test_english_member_gets_english_and_no_warnings_is_no_guarantee(twilio, cli, instance):
    assert cli("member", "language", "mia", "en").exit_code == 0
    reply = message_of(sms(twilio, f"check {OTHER} please"))
    assert reply == f"{OTHER_INTL}: 0 warnings known.\nNone known is no guarantee of safety."
    assert "safe " not in reply and "veilig " not in reply
    reply = message_of(sms(twilio, "Is this one ok? +31 (0)6 1234 5678"))
    assert reply.startswith(f"WARNING {WARNED_INTL}: 2 reports (violence, theft), last 2026-03")


def test_a_forwarded_message_with_several_numbers_gets_one_reply_for_three(twilio, cli):
    text = (f"Fwd: Hoi schat, bel me op 0612345678 of {OTHER}. Of mijn vriend {THIRD}, "
            f"of 020-1234567.")
    reply = message_of(sms(twilio, text))
    lines = reply.split("\n")
    # shortened to fit one SMS: categories and month dropped, the count kept
    assert lines[0] == f"WAARSCHUWING {WARNED_INTL}: 2 meldingen."
    assert lines[1] == f"{OTHER_INTL}: 0 meldingen bekend."
    assert lines[2] == f"{THIRD_INTL}: 0 meldingen bekend."
    assert lines[3] == "Geen garantie op veiligheid."
    assert len(lines) == 4  # the fourth number is not read
    assert checks(cli) == 3
    two = message_of(sms(twilio, f"0612345678 en {OTHER}")).split("\n")
    assert two == [f"WAARSCHUWING {WARNED_INTL}: 2 meldingen (geweld, diefstal), laatst 2026-03.",
                   f"{OTHER_INTL}: 0 meldingen bekend.",
                   "Geen melding is geen garantie op veiligheid."]


@pytest.mark.parametrize("text", ["HELP", "info", " Hulp ", "?", "hallo, wat kan ik hier?",
                                  "check 0612", "", "bel 112 & <b>"])
def test_commands_and_texts_without_a_number_get_help_and_cost_nothing(twilio, cli, text):
    reply = message_of(sms(twilio, text))
    assert reply.startswith("Stuur een telefoonnummer")
    assert checks(cli) == 0


def test_unregistered_phone_learns_nothing_and_gets_few_replies(twilio, cli):
    warned = message_of(sms(twilio, "check 0612345678", sender=STRANGER))
    clean = message_of(sms(twilio, f"check {OTHER}", sender=STRANGER))
    assert warned == clean  # the same words whatever was asked
    assert "niet aangemeld" in warned and "not registered" in warned
    assert not any(ch.isdigit() for ch in warned)
    assert message_of(sms(twilio, "HELP", sender=STRANGER)) == warned
    assert message_of(sms(twilio, "check 0612345678", sender=STRANGER)) is None  # 4th: silence
    assert message_of(sms(twilio, "check 0612345678", sender="+31622222222")) == warned
    assert checks(cli) == 0


def test_retried_message_is_answered_and_counted_once(twilio, cli):
    first = sms(twilio, "check 0612345678", sid="SMretry")
    assert "2 meldingen" in message_of(first)
    for _ in range(3):
        assert message_of(sms(twilio, "check 0612345678", sid="SMretry")) is None
    assert checks(cli) == 1
    assert cli.json("stats")["hits"] == 1


def test_the_limit_is_shared_with_the_api(make_app, member, cli):
    app = make_app(**sms_config(CHECK_LIMITS="3 per day"))
    client = app.test_client()
    api = client.post("/api/v1/check", json={"number": OTHER},
                      headers={"Authorization": f"Bearer {member['token']}"})
    assert api.status_code == 200
    # two left: the first two numbers are answered, the third is refused
    reply = message_of(sms(client, f"0612345678 {OTHER} {THIRD}"))
    lines = reply.split("\n")
    assert lines[0].startswith(f"WAARSCHUWING {WARNED_INTL}: 2")
    assert lines[1] == f"{OTHER_INTL}: 0 meldingen bekend."
    assert lines[-1].startswith("Limiet bereikt voor de rest; opnieuw over ")
    assert THIRD_INTL not in reply
    refused = message_of(sms(client, "check 0612345678"))
    assert refused.startswith("Limiet bereikt. Probeer het over ")
    assert WARNED_INTL not in refused and "melding" not in refused
    assert client.post("/api/v1/check", json={"number": OTHER},
                       headers={"Authorization": f"Bearer {member['token']}"}).status_code == 429
    assert checks(cli) == 3


def test_invalid_numbers_cost_nothing(make_app, member, cli):
    client = make_app(**sms_config(CHECK_LIMITS="1 per day")).test_client()
    assert message_of(sms(client, "check 06 1234")).startswith("Stuur")
    assert message_of(sms(client, "check 0612345678")).startswith("WAARSCHUWING")


def test_twiml_escapes_the_reply_and_a_body_with_markup_is_harmless(twilio, app):
    from web.sms_twilio import twiml

    with app.app_context():
        response = twiml('a & b <Message>"x"</Message>')
    root = ET.fromstring(response.get_data())
    assert [m.text for m in root] == ['a & b <Message>"x"</Message>']
    assert message_of(sms(twilio, "<Response>&amp;</Response>")).startswith("Stuur")


# --- Bird -----------------------------------------------------------------------

@pytest.fixture
def bird_app(make_app, member, fake_bird):
    app = make_app(**sms_config(fake_bird.url))
    yield app
    app.extensions["bird_outbox"].close()


def test_bird_without_configuration_is_404(make_app, member):
    client = make_app(**sms_config()).test_client()
    response = bird_post(client, bird_inbound("m-1", SENDER, "check 0612345678"))
    assert response.status_code == 404


def test_bird_signed_message_gets_a_reply_through_the_send_api(bird_app, fake_bird, cli):
    response = bird_post(bird_app.test_client(), bird_inbound("m-1", SENDER, "check 0612345678"))
    assert response.status_code == 200 and response.get_json() == {"status": "accepted"}
    [sent] = fake_bird.wait_for(1)
    assert sent["path"] == "/workspaces/ws-1/channels/ch-1/messages"
    assert sent["headers"]["Authorization"] == "AccessKey bird-access-key"
    assert sent["json"]["receiver"]["contacts"][0]["identifierValue"] == SENDER
    assert sent["json"]["body"]["type"] == "text"
    assert sent["json"]["body"]["text"]["text"].startswith(f"WAARSCHUWING {WARNED_INTL}: 2")
    assert checks(cli) == 1


@pytest.mark.parametrize("case", ["no signature", "wrong key", "stale", "future", "no timestamp",
                                  "tampered"])
def test_bird_forged_or_stale_requests_are_403(bird_app, fake_bird, cli, case):
    client = bird_app.test_client()
    document = bird_inbound("m-2", SENDER, "check 0612345678")
    old = str(int(time.time()) - 600)
    kwargs = {"no signature": {"signature": ""}, "wrong key": {"key": "other"},
              "stale": {"timestamp": old}, "future": {"timestamp": str(int(time.time()) + 600)},
              "no timestamp": {"timestamp": ""}}.get(case, {})
    if case == "tampered":
        ts = str(int(time.time()))
        good = bird_signature(BIRD_KEY, ts, SMS_PUBLIC_URL.rstrip("/") + "/sms/bird", b"{}")
        kwargs = {"timestamp": ts, "signature": good}
    response = bird_post(client, document, **kwargs)
    assert response.status_code == 403
    assert checks(cli) == 0
    assert bird_post(client, document).status_code == 200  # the id was not used up
    fake_bird.wait_for(1)


def test_bird_reply_is_retried_until_it_is_sent(make_app, member, cli):
    fake = FakeBird(fail_first=3)
    app = make_app(**sms_config(fake.url))
    try:
        client = app.test_client()
        assert bird_post(client, bird_inbound("m-3", SENDER, "check 0612345678")).status_code == 200
        [sent] = fake.wait_for(1)
        assert sent["json"]["body"]["text"]["text"].startswith("WAARSCHUWING")
        assert fake.attempts == 4
        assert app.extensions["bird_outbox"].stats.retried == 3
        assert app.extensions["bird_outbox"].stats.sent == 1
    finally:
        app.extensions["bird_outbox"].close()
        fake.stop()
    assert checks(cli) == 1


def test_bird_redelivery_is_answered_and_counted_once(bird_app, fake_bird, cli):
    client = bird_app.test_client()
    document = bird_inbound("m-4", SENDER, "CONTROLE 0612345678")
    assert bird_post(client, document).get_json() == {"status": "accepted"}
    for _ in range(2):
        assert bird_post(client, document).get_json() == {"status": "duplicate"}
    fake_bird.wait_for(1)
    assert bird_post(client, bird_inbound("m-5", SENDER, "HELP")).status_code == 200
    assert len(fake_bird.wait_for(2)) == 2
    assert fake_bird.texts()[1].startswith("Stuur een telefoonnummer")
    assert checks(cli) == 1


def test_bird_unknown_sender_gets_a_few_neutral_replies(bird_app, fake_bird, cli):
    client = bird_app.test_client()
    for n in range(5):
        assert bird_post(client, bird_inbound(f"u-{n}", STRANGER, "check 0612345678")
                         ).status_code == 200
    bird_post(client, bird_inbound("u-last", SENDER, "HELP"))
    texts = [r["json"]["body"]["text"]["text"] for r in fake_bird.wait_for(4)]
    assert texts[:3] == [texts[0]] * 3 and "not registered" in texts[0]
    assert texts[3].startswith("Stuur")  # the member's help, after 3 (not 5) stranger replies
    assert checks(cli) == 0


def test_bird_english_member_and_several_numbers(bird_app, fake_bird, cli, instance):
    assert cli("member", "language", "mia", "en").exit_code == 0
    text = f"Can you check 0612345678 and {OTHER}?"
    bird_post(bird_app.test_client(), bird_inbound("m-6", SENDER, text))
    [sent] = fake_bird.wait_for(1)
    assert sent["json"]["body"]["text"]["text"] == (
        f"WARNING {WARNED_INTL}: 2 reports (violence, theft), last 2026-03.\n"
        f"{OTHER_INTL}: 0 warnings known.\nNone known is no guarantee of safety.")
    assert checks(cli) == 2


def test_bird_shared_limit_refusal(make_app, member, cli):
    fake = FakeBird()
    app = make_app(**sms_config(fake.url, CHECK_LIMITS="1 per hour"))
    try:
        client = app.test_client()
        bird_post(client, bird_inbound("l-1", SENDER, "check 0612345678"))
        bird_post(client, bird_inbound("l-2", SENDER, "check 0612345678"))
        texts = [r["json"]["body"]["text"]["text"] for r in fake.wait_for(2)]
    finally:
        app.extensions["bird_outbox"].close()
        fake.stop()
    assert sorted(t.split(" ")[0] for t in texts) == ["Limiet", "WAARSCHUWING"]
    assert checks(cli) == 1


def test_bird_other_events_and_bad_bodies(bird_app, fake_bird):
    client = bird_app.test_client()
    status = {"service": "channels", "event": "sms.outbound", "payload": {"id": "x"}}
    assert bird_post(client, status).get_json() == {"status": "ignored"}
    assert bird_post(client, {"event": "sms.inbound", "payload": {"id": "x"}}).status_code == 400
    assert bird_post(client, ["not", "an", "object"]).status_code == 400
    assert fake_bird.received == []


def test_a_full_outbox_asks_bird_to_deliver_again(make_app, member, cli):
    # An unreachable API keeps replies queued; with room for one, the next message gets 503
    # and is not claimed, so Bird's redelivery is answered later.
    app = make_app(**sms_config("http://127.0.0.1:9", BIRD_OUTBOX_SIZE=1,
                                BIRD_RETRY_SECONDS=30))
    try:
        client = app.test_client()
        assert bird_post(client, bird_inbound("f-1", SENDER, "HELP")).status_code == 200
        full = bird_post(client, bird_inbound("f-2", SENDER, "check 0612345678"))
        assert full.status_code == 503 and full.headers["Retry-After"]
        assert checks(cli) == 0
    finally:
        app.extensions["bird_outbox"].close()


# --- registering a member's phone -------------------------------------------------

def test_member_phone_command_registers_changes_and_removes_the_sms_phone(twilio, cli):
    assert "2 meldingen" in message_of(sms(twilio, "check 0612345678"))
    new_phone = "+31633333333"
    assert cli.json("member", "phone", "mia", "-", input=f"{new_phone}\n") == {
        "id": 1, "name": "mia", "sms_phone": True}
    assert "niet aangemeld" in message_of(sms(twilio, "check 0612345678"))  # the old phone
    assert "2 meldingen" in message_of(sms(twilio, "check 0612345678", sender=new_phone))
    assert cli.json("member", "phone", "mia", "--remove")["sms_phone"] is False
    assert "niet aangemeld" in message_of(sms(twilio, "HELP", sender=new_phone))
    event = cli.json("audit", "--limit", "1")["events"][0]
    assert event["action"] == "sms_phone_changed" and event["sms_phone"] is False
    assert "333" not in json.dumps(cli.json("audit"))


def test_member_phone_command_errors(member, cli):
    cli.json("member", "add", "noor", "--phone", "+31644444444")
    assert cli("member", "phone", "mia", "+31644444444").exit_code == 1  # taken
    assert cli("member", "phone", "nobody", "+31655555555").exit_code == 1
    assert cli("member", "phone", "mia", "06 1234").exit_code == 2
    assert cli("member", "phone", "mia").exit_code == 2
    assert cli("member", "phone", "mia", "+31655555555", "--remove").exit_code == 2


def test_openapi_documents_both_gateways(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/sms/twilio" in paths and "/sms/bird" in paths
    assert paths["/sms/twilio"]["post"]["security"] == []


def test_bird_reply_refused_by_the_api_is_dropped_not_retried(make_app, member, cli):
    fake = FakeBird(fail_first=1, fail_status=400)
    app = make_app(**sms_config(fake.url))
    outbox = app.extensions["bird_outbox"]
    try:
        client = app.test_client()
        assert bird_post(client, bird_inbound("d-1", SENDER, "HELP")).status_code == 200
        deadline = time.monotonic() + 30
        while outbox.stats.dropped == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert outbox.stats.dropped == 1 and outbox.stats.retried == 0
        assert outbox.pending() == 0 and fake.attempts == 1 and fake.received == []
    finally:
        outbox.close()
        fake.stop()


def test_message_ids_are_kept_as_keyed_hashes_under_their_own_subkey(instance):
    """Known answer: BLAKE3 keyed with derive_key("... gateway message id v1", key)."""
    from conftest import TEST_KEY
    from hashing import Hasher

    hasher = Hasher(TEST_KEY)
    assert hasher.message_token("twilio\nSM1").hex() == (
        "3d7f0c9cb4529a79bbedef294950c2c3aeed0e7d93a7f6ac0b6fdac71161fbd3")
    assert hasher.message_token("twilio\nSM1") != hasher.secret_hash("twilio\nSM1")


def test_old_message_ids_are_pruned(instance):
    from data import Store

    store = Store(instance / "checker.db")
    try:
        assert store.claim_message(b"a" * 32, "2026-01-01T00:00:00Z", "2025-12-25T00:00:00Z")
        assert not store.claim_message(b"a" * 32, "2026-01-02T00:00:00Z", "2025-12-26T00:00:00Z")
        # a week later, the first id is gone: only recent ids are kept
        assert store.claim_message(b"b" * 32, "2026-01-09T00:00:00Z", "2026-01-02T00:00:00Z")
        count = store.db.execute("SELECT count(*) FROM sms_messages").fetchone()[0]
        assert count == 1
    finally:
        store.close()


def test_limit_storage_down_gives_a_try_later_reply_and_no_verdict(make_app, member, cli):
    from conftest import free_port

    app = make_app(**sms_config(RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0"))
    reply = message_of(sms(app.test_client(), "check 0612345678"))
    assert reply == "Dienst tijdelijk niet beschikbaar. Probeer het later opnieuw."
    assert checks(cli) == 0
