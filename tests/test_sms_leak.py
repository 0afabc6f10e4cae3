"""After an SMS scenario (both gateways, registered and unknown senders, forged requests,
retries, failed sends), no number, neither a sender's nor a checked one, is in any instance
file or in any captured log line. Replies state numbers on purpose and are not scanned; a
refusal is.
"""

import json
import urllib.request

import pytest

from conftest import (SMS_PUBLIC_URL, TWILIO_TOKEN, Cli, FakeBird, Server, bird_inbound,
                      bird_post, sms_config, twilio_post)
from leakscan import Run, digit_forms, find, number_needles, scenario_run

SENDER = "+31687654321"  # registered, in leakscan.NUMBERS
STRANGER = "+31611111111"
CHECKED_TEXTS = [
    "CONTROLE 06-12345678 aub",
    "check +32 470 12 34 56 please",
    "Fwd: bel +49 (0)30 1234 5678 of 0612345678 of 0970 1234 5678",
    "0470 12 34 56",  # not a valid Dutch number: help
    "HELP",
]


def needles() -> dict[bytes, str]:
    found = number_needles()
    for form in digit_forms(STRANGER):
        found[form.encode()] = f"{form!r} (the unknown sender)"
    return found


def twilio_part(run: Run, app):
    client = app.test_client()
    for n, text in enumerate(CHECKED_TEXTS):
        for sender in (SENDER, STRANGER):
            params = {"MessageSid": f"SM{n}{sender[-2:]}", "From": sender, "Body": text}
            for _ in range(2):  # Twilio retrying
                response = twilio_post(client, params)
                assert response.status_code == 200
                if sender == STRANGER:
                    run.output("twilio reply to a stranger", response.get_data(as_text=True))
        forged = twilio_post(client, {"MessageSid": f"SMf{n}", "From": SENDER, "Body": text},
                             signature="forged")
        assert forged.status_code == 403
        run.output("twilio forged", forged.get_data(as_text=True))


def bird_part(run: Run, app, fake: FakeBird):
    client = app.test_client()
    for n, text in enumerate(CHECKED_TEXTS):
        for sender in (SENDER, STRANGER):
            document = bird_inbound(f"bird-{n}-{sender[-2:]}", sender, text)
            for _ in range(2):
                response = bird_post(client, document)
                assert response.status_code == 200
                run.output("bird answer", response.get_data(as_text=True))
        stale = bird_post(client, bird_inbound("x", SENDER, text), timestamp="1")
        assert stale.status_code == 403
        run.output("bird stale", stale.get_data(as_text=True))
    # 5 for the member; the stranger had its few replies a day through Twilio already
    assert len(fake.wait_for(len(CHECKED_TEXTS))) == len(CHECKED_TEXTS)


def server_part(run: Run, tmp):
    server = Server(run.instance, tmp, CHECKER_TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
                    CHECKER_PUBLIC_URL=SMS_PUBLIC_URL)
    try:
        server.wait_ready()
        from checker.signatures import twilio_signature

        for n, (sender, text) in enumerate([(SENDER, "check 0612345678"),
                                            (STRANGER, "check 0612345678")]):
            params = {"MessageSid": f"SMserve{n}", "From": sender, "Body": text}
            signature = twilio_signature(TWILIO_TOKEN, SMS_PUBLIC_URL + "sms/twilio",
                                         params.items())
            for sig in (signature, "forged"):
                request = urllib.request.Request(
                    server.base + "/sms/twilio", method="POST",
                    data=urllib.parse.urlencode(params).encode(),
                    headers={"X-Twilio-Signature": sig})
                try:
                    with urllib.request.urlopen(request, timeout=10) as response:
                        assert response.status == 200
                except urllib.error.HTTPError as err:
                    assert err.code == 403
        run.snapshot()
    finally:
        server.stop()
        run.output("serve stdout+stderr", server.output())


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    from web import create_app

    tmp = tmp_path_factory.mktemp("smsleak")
    instance = tmp / "instance"
    fake = FakeBird(fail_first=3)  # some replies are retried, and the retries logged
    try:
        with scenario_run(instance) as (run_, logs):
            cli = Cli(instance, {})
            assert cli("init").exit_code == 0
            assert cli("member", "add", "mia", "--phone", "06 8765 4321").exit_code == 0
            assert cli("add", "06-12345678", "--category", "theft").exit_code == 0
            app = create_app({"TESTING": True, "INSTANCE": str(instance),
                              **sms_config(fake.url)})
            logs.watch_all_loggers()
            app.logger.debug("probe: capture works")
            try:
                twilio_part(run_, app)
                bird_part(run_, app, fake)
                run_.snapshot()
            finally:
                app.extensions["bird_outbox"].close()
            server_part(run_, tmp)
            run_.stats = json.loads(cli("stats", "--json").stdout)
            run_.output("audit", cli("audit", "--json").stdout)
            run_.snapshot()
    finally:
        fake.stop()
    run_.fake_attempts = fake.attempts
    run_.sent_texts = "\n".join(fake.texts())
    return run_


def test_the_sms_scenario_ran(run):
    # member: 1 + 1 + 3 numbers for each gateway, + 1 by `checker serve`; retries not counted
    assert run.stats["checks"] == 11
    assert run.fake_attempts == 5 + 3
    assert "probe: capture works" in run.outputs[max(run.outputs)]
    assert "Bird reply not sent" in run.outputs[max(run.outputs)]  # the retries were logged
    assert len(run.snapshots) == 3 and any(p.name == "checker.db" for p in run.snapshots[0])
    # positive control: the replies state numbers (on purpose), and the scan sees them
    assert find(needles(), run.sent_texts.encode())


def test_no_number_in_any_instance_file_after_sms(run):
    found = needles()
    leaks = {f"{path.relative_to(run.instance)}": find(found, blob)
             for snapshot in run.snapshots for path, blob in snapshot.items()}
    assert {name: hits for name, hits in leaks.items() if hits} == {}


def test_no_number_in_logs_or_refusals_after_sms(run):
    found = needles()
    leaks = {name: find(found, text.encode()) for name, text in run.outputs.items()}
    assert {name: hits for name, hits in leaks.items() if hits} == {}
    assert not any("Traceback" in text for text in run.outputs.values())
