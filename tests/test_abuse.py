"""The daily quota of distinct numbers per account and the flag in the audit trail."""

import pytest

from conftest import NL_MOBILE

NUMBERS = [f"+3161234567{d}" for d in range(10)]


def check(client, token, number):
    return client.post("/api/v1/check", json={"number": number},
                       headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def quota_client(make_app):
    app = make_app(DISTINCT_DAILY_QUOTA=3, DISTINCT_FLAG_THRESHOLD=2, CHECK_LIMITS="100 per minute")
    return app, app.test_client()


def test_distinct_numbers_are_limited_per_day_repeats_are_not(quota_client, member_token):
    _, client = quota_client
    assert [check(client, member_token, n).status_code for n in NUMBERS[:3]] == [200] * 3
    assert check(client, member_token, NUMBERS[0]).status_code == 200  # a repeat is free
    refused = check(client, member_token, NUMBERS[3])
    assert refused.status_code == 429
    body = refused.get_json()
    assert body["error"] == "rate_limited" and "different numbers" in body["message"]
    assert int(refused.headers["Retry-After"]) == body["retry_after"] > 0
    assert "warnings" not in body
    assert check(client, member_token, NUMBERS[3]).status_code == 429  # stays refused
    assert check(client, member_token, NUMBERS[2]).status_code == 200


def test_quota_is_per_account(quota_client, member_token, caseworker_token):
    _, client = quota_client
    for n in NUMBERS[:4]:
        check(client, member_token, n)
    assert check(client, caseworker_token, NUMBERS[5]).status_code == 200


def test_reaching_the_threshold_flags_the_member_once(quota_client, member_token, cli):
    _, client = quota_client
    for n in NUMBERS[:6]:
        check(client, member_token, n)
    flags = [e for e in cli.json("audit")["events"] if e["action"] == "member_flagged"]
    assert len(flags) == 1
    assert flags[0]["name"] == "alice" and flags[0]["distinct_numbers"] == 2
    assert flags[0]["actor"] == "system"
    text = str(flags[0])
    assert not any(n[1:] in text or n[-9:] in text for n in NUMBERS)


def test_invalid_numbers_cost_no_quota(quota_client, member_token):
    _, client = quota_client
    for bad in ["06 1234", "hello", "0612345678 x"]:
        assert check(client, member_token, bad).status_code == 400
    assert [check(client, member_token, n).status_code for n in NUMBERS[:3]] == [200] * 3


def test_the_limit_storage_holds_no_number_or_token(quota_client, member_token, cli):
    from hashing import Hasher, normalize

    from conftest import TEST_KEY

    app, client = quota_client
    for n in NUMBERS[:3]:
        check(client, member_token, n)
    storage = app.extensions["check_budget"].limiter.storage
    keys = " ".join(storage.storage)  # MemoryStorage keeps its counters in a dict
    assert "distinct/" in keys
    hasher = Hasher(TEST_KEY)
    for n in NUMBERS:
        token = hasher.number_token(normalize(n))
        assert n[1:] not in keys and n[-9:] not in keys and token.hex() not in keys


def test_buckets_are_short_and_change_every_day():
    from hashing import Hasher, normalize

    from conftest import OTHER_KEY_HEX, TEST_KEY

    hasher = Hasher(TEST_KEY)
    tokens = [hasher.number_token(normalize(n)) for n in NUMBERS]
    monday = [hasher.daily_bucket(t, "2026-12-07") for t in tokens]
    tuesday = [hasher.daily_bucket(t, "2026-12-08") for t in tokens]
    assert all(len(b) == 4 and int(b, 16) < 65536 for b in monday)
    assert monday != tuesday
    assert monday != [Hasher(bytes.fromhex(OTHER_KEY_HEX)).daily_bucket(t, "2026-12-07")
                      for t in tokens]


@pytest.mark.parametrize("name, value", [("DISTINCT_DAILY_QUOTA", -1),
                                         ("DISTINCT_FLAG_THRESHOLD", "many")])
def test_bad_quota_settings_are_refused(make_app, name, value):
    from checker.errors import SetupProblem

    with pytest.raises(SetupProblem, match=f"CHECKER_{name}"):
        make_app(**{name: value})


def test_zero_switches_the_quota_off(make_app, member_token):
    client = make_app(DISTINCT_DAILY_QUOTA=0, DISTINCT_FLAG_THRESHOLD=0,
                      CHECK_LIMITS="100 per minute").test_client()
    assert [check(client, member_token, n).status_code for n in NUMBERS] == [200] * 10
    assert check(client, member_token, NL_MOBILE).status_code == 200


def test_every_channel_draws_on_one_quota(make_app, cli):
    """The page, SMS and the API together: three different numbers, then the API refuses."""
    from conftest import MEMBER_PASSWORD, NL_MOBILE_2, csrf_of, sms_config, twilio_post

    member = cli.json("member", "add", "mia", "--phone", NL_MOBILE_2, "--password-stdin",
                      input=MEMBER_PASSWORD + "\n")
    app = make_app(DISTINCT_DAILY_QUOTA=3, CHECK_LIMITS="100 per minute", **sms_config())
    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"name": "mia", "password": MEMBER_PASSWORD,
                                "csrf_token": csrf_of(login)})
    for number in NUMBERS[:2]:
        page = client.get("/").get_data(as_text=True)
        answer = client.post("/", data={"number": number, "csrf_token": csrf_of(page)})
        assert answer.status_code == 200
    texted = twilio_post(client, {"MessageSid": "SM-quota", "From": NL_MOBILE_2,
                                  "Body": NUMBERS[2]})
    assert "+31 6 12345672" in texted.get_data(as_text=True)
    assert check(client, member["token"], NUMBERS[0]).status_code == 200  # a repeat is free
    assert check(client, member["token"], NUMBERS[3]).status_code == 429


def test_the_days_end_used_for_quota_keys_matches_the_clock():
    from datetime import date, datetime, timedelta

    from checker.clock import today, today_and_seconds_left

    day, seconds_left = today_and_seconds_left()
    now = datetime.now()
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time())
    assert day == date.today().isoformat() == today().isoformat()
    assert abs(seconds_left - (midnight - now).total_seconds()) <= 2
