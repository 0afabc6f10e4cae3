"""The orjson JSON provider (web.json_provider), the rate-limit budgets that talk to the
limit storage directly (web.limits.Budget) and the swept in-memory limit storage
(web.memory_limits)."""

import dataclasses
import decimal
import json
import math
import time
import uuid
from datetime import date, datetime, timedelta, timezone

import pytest
from flask.json.provider import DefaultJSONProvider

from conftest import NL_MOBILE, NL_MOBILE_INTL

from web.errors import ApiError
from web.memory_limits import SweptMemoryStorage

CONTRACT_FIELDS = ["number", "warnings", "categories", "last_reported", "regions", "summaries"]


def reference(app, **settings) -> DefaultJSONProvider:
    """Flask's own provider, configured as create_app configures ours unless told."""
    provider = DefaultJSONProvider(app)
    provider.sort_keys = settings.get("sort_keys", False)
    provider.ensure_ascii = settings.get("ensure_ascii", False)
    return provider


# --- FastJSONProvider -----------------------------------------------------------

def test_response_keeps_insertion_order_and_ends_with_a_newline(make_app):
    app = make_app()
    document = {"zulu": 1, "alpha": [3, 2, 1], "mike": {"y": None, "b": True}}
    with app.app_context():
        text = app.json.dumps(document)
        response = app.json.response(document)
    assert list(json.loads(text)) == ["zulu", "alpha", "mike"]
    assert list(json.loads(text)["mike"]) == ["y", "b"]
    assert response.mimetype == "application/json"
    assert response.data.endswith(b"\n")
    assert list(json.loads(response.data)) == ["zulu", "alpha", "mike"]
    assert json.loads(response.data) == document


def test_text_beyond_ascii_is_utf8_and_round_trips(make_app):
    app = make_app()
    document = {"naam": "Zoë Ångström", "stad": "東京", "emoji": "\U0001f512"}
    with app.app_context():
        text = app.json.dumps(document)
        body = app.json.response(document).data
        assert app.json.loads(text) == document
        assert app.json.loads(body) == document
    assert "\\u" not in text and "Zoë Ångström" in text and "東京" in text
    assert b"\\u" not in body
    assert "東京".encode("utf-8") in body and "\U0001f512".encode("utf-8") in body


@dataclasses.dataclass
class Incident:
    category: str
    on: date
    amount: decimal.Decimal


def test_dates_dataclasses_decimals_and_uuids_as_flask_writes_them(make_app):
    app = make_app()
    ref = reference(app)
    day = date(2026, 12, 4)
    moments = [datetime(2026, 12, 4, 13, 14, 15),
               datetime(2026, 12, 4, 13, 14, 15, tzinfo=timezone(timedelta(hours=2)))]
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    with app.app_context():
        for value in (day, *moments, decimal.Decimal("12.50"), ident):
            assert app.json.dumps(value) == ref.dumps(value), value
        assert app.json.dumps(day) == '"Fri, 04 Dec 2026 00:00:00 GMT"'  # Flask's http_date
        assert json.loads(app.json.dumps(decimal.Decimal("12.50"))) == "12.50"
        assert json.loads(app.json.dumps(ident)) == str(ident)

        incident = Incident("theft", day, decimal.Decimal("0.10"))
        written = json.loads(app.json.dumps({"incident": incident, "id": ident}))
        assert written == json.loads(ref.dumps({"incident": incident, "id": ident}))
        assert written == {"incident": {"category": "theft", "on": "Fri, 04 Dec 2026 00:00:00 GMT",
                                        "amount": "0.10"},
                           "id": str(ident)}


def test_an_integer_beyond_64_bits_falls_back_to_flask(make_app):
    app = make_app()
    big = 2**70 + 1
    document = {"big": big, "négatif": -(2**80), "naam": "Zoë"}
    with app.app_context():
        text = app.json.dumps(document)
        body = app.json.response(document).data
    assert json.loads(text) == document  # exact, not rounded through a float
    assert str(big) in text and "Zoë" in text and "\\u" not in text
    assert list(json.loads(text)) == ["big", "négatif", "naam"]
    assert text == reference(app).dumps(document)
    assert body.endswith(b"\n") and json.loads(body) == document


def test_dumps_with_options_is_flasks_dumps(make_app):
    app = make_app()
    ref = reference(app)
    document = {"zulu": [1, 2], "alpha": {"naam": "Zoë", "on": date(2026, 1, 2)}}
    with app.app_context():
        indented = app.json.dumps(document, indent=2)
        assert indented == ref.dumps(document, indent=2)
        assert "\n  " in indented
        compact = app.json.dumps(document, separators=(",", ":"))
        assert compact == ref.dumps(document, separators=(",", ":"))
        assert app.json.loads(indented) == app.json.loads(compact)


def post_check(client, token, raw: bytes):
    return client.post("/api/v1/check", data=raw, content_type="application/json",
                       headers={"Authorization": f"Bearer {token}"})


@pytest.mark.parametrize("raw", [b'{"number": NaN}', b'{"number": Infinity}',
                                 b'{"number": "+316', b"not json"])
def test_nan_and_invalid_json_get_a_400_json_error(client, member_token, raw):
    response = post_check(client, member_token, raw)
    assert response.status_code == 400
    assert response.mimetype == "application/json"
    body = json.loads(response.data)
    assert body["error"] == "invalid_request"
    assert body["message"]


def test_a_valid_check_answers_200_with_the_contracts_fields_in_order(client, member_token):
    response = post_check(client, member_token, json.dumps({"number": NL_MOBILE}).encode())
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.data.endswith(b"\n")
    verdict = json.loads(response.data)  # the standard library keeps the written order
    assert list(verdict)[:len(CONTRACT_FIELDS)] == CONTRACT_FIELDS
    assert verdict["number"] == NL_MOBILE_INTL
    assert verdict["warnings"] == 0 and verdict["last_reported"] is None


# --- Budget -----------------------------------------------------------------------

def test_budget_counts_under_the_keys_that_limits_uses(make_app):
    app = make_app(CHECK_LIMITS="4 per minute;10 per hour", AUTH_FAILURE_LIMITS="3 per minute")
    with app.app_context():
        for name in ("check_budget", "auth_budget"):
            budget = app.extensions[name]
            strategy = budget.limiter.limiter
            assert type(strategy).__name__ == "FixedWindowRateLimiter"
            for spent in range(1, 4):
                budget.spend("someone")
                for limit in budget.limits:
                    stats = strategy.get_window_stats(limit, budget.scope, "someone")
                    assert stats.remaining == limit.amount - spent, (name, str(limit))
                    assert strategy.storage.get(limit.key_for(budget.scope, "someone")) == spent
                    assert strategy.storage.get(limit.key_for(budget.scope, "someone else")) == 0
                    assert time.time() < stats.reset_time <= time.time() + limit.get_expiry()
            # 3 spent: the auth budget's "3 per minute" is used up, as limits sees it too
            tight = min(budget.limits, key=lambda limit: limit.amount)
            assert strategy.test(tight, budget.scope, "someone") is (tight.amount > 3)
            assert budget.exhausted("someone") is (tight.amount <= 3)
            assert strategy.test(tight, budget.scope, "someone else")


def test_spending_past_the_limit_is_a_429_with_retry_after(make_app):
    app = make_app(CHECK_LIMITS="3 per minute")
    with app.app_context():
        budget = app.extensions["check_budget"]
        exhausted = []
        for _ in range(3):
            exhausted.append(budget.exhausted("someone"))
            budget.spend("someone")
        exhausted.append(budget.exhausted("someone"))
        assert exhausted == [False, False, False, True]  # True exactly at the limit
        assert not budget.exhausted("someone else")

        with pytest.raises(ApiError) as refused:
            budget.spend("someone")
        assert refused.value.status == 429
        assert refused.value.code == "rate_limited"
        retry_after = int(refused.value.headers["Retry-After"])
        assert 1 <= retry_after <= 60
        assert refused.value.extra["retry_after"] == retry_after
        assert budget.retry_error("someone").status == 429

        budget.spend("someone else")  # other identities keep their own budget


@pytest.mark.parametrize("limits_text, allowed, window", [
    ("3 per minute;5 per hour", 3, 60),
    ("5 per minute;3 per hour", 3, 3600),
])
def test_the_tighter_of_two_limits_refuses(make_app, limits_text, allowed, window):
    app = make_app(CHECK_LIMITS=limits_text)
    with app.app_context():
        budget = app.extensions["check_budget"]
        for _ in range(allowed):
            budget.spend("someone")
        assert budget.exhausted("someone")
        with pytest.raises(ApiError) as refused:
            budget.spend("someone")
        assert refused.value.status == 429
        retry_after = int(refused.value.headers["Retry-After"])
        assert window - 60 < retry_after <= window  # the refusing limit's window, not the other's
        strategy = budget.limiter.limiter
        tight = next(limit for limit in budget.limits if limit.amount == 3)
        loose = next(limit for limit in budget.limits if limit.amount == 5)
        assert not strategy.test(tight, budget.scope, "someone")
        assert strategy.test(loose, budget.scope, "someone")


def test_budgets_enforce_their_limit_under_the_moving_window_strategy(make_app):
    app = make_app(RATELIMIT_STRATEGY="moving-window", CHECK_LIMITS="3 per minute")
    with app.app_context():
        budget = app.extensions["check_budget"]
        strategy = budget.limiter.limiter
        assert type(strategy).__name__ == "MovingWindowRateLimiter"
        (limit,) = budget.limits
        for spent in range(1, 4):
            assert not budget.exhausted("someone")
            budget.spend("someone")
            assert strategy.get_window_stats(limit, budget.scope, "someone").remaining == 3 - spent
        assert budget.exhausted("someone")
        with pytest.raises(ApiError) as refused:
            budget.spend("someone")
        assert refused.value.status == 429
        assert 1 <= int(refused.value.headers["Retry-After"]) <= 60
        budget.spend("someone else")


# --- SweptMemoryStorage -----------------------------------------------------------

def test_memory_window_starts_at_the_first_incr_and_restarts_after_expiry():
    storage = SweptMemoryStorage()
    before = time.time()
    assert storage.incr("k", 0.3) == 1
    first_expiry = storage.get_expiry("k")
    assert before + 0.3 <= first_expiry <= time.time() + 0.3
    time.sleep(0.05)
    assert storage.incr("k", 0.3) == 2
    assert storage.incr("k", 0.3, amount=3) == 5
    assert storage.get("k") == 5
    assert storage.get_expiry("k") == first_expiry  # later increments do not extend the window
    time.sleep(max(0.0, first_expiry - time.time()) + 0.02)
    assert storage.incr("k", 0.3) == 1  # a new window, counting from 1
    assert storage.get("k") == 1
    assert storage.get_expiry("k") > first_expiry


def test_memory_get_and_get_expiry_of_absent_expired_and_live_keys():
    storage = SweptMemoryStorage()
    before = time.time()
    assert storage.get("absent") == 0
    assert before <= storage.get_expiry("absent") <= time.time()

    storage.incr("short", 0.05)
    storage.incr("short", 0.05)
    time.sleep(0.1)
    assert storage.get("short") == 0
    now = time.time()
    assert now <= storage.get_expiry("short") <= time.time()

    before = time.time()
    storage.incr("live", 30)
    after = time.time()
    assert storage.get("live") == 1
    assert before + 30 <= storage.get_expiry("live") <= after + 30
    assert math.isclose(storage.get_expiry("live") - time.time(), 30, abs_tol=1)


def test_memory_clear_resets_a_key():
    storage = SweptMemoryStorage()
    for _ in range(3):
        storage.incr("k", 60)
    storage.incr("other", 60)
    storage.clear("k")
    assert storage.get("k") == 0
    assert storage.get("other") == 1
    assert storage.incr("k", 60) == 1
    storage.clear("never-there")  # no error for an absent key
    assert storage.get("never-there") == 0
