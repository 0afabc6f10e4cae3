"""What the check path's shortcuts promise: accounts remembered by token for a second at
most (and forgotten at once after a change through this process), limit counters in
memory without a thread per request, and security headers added as the response
leaves the app."""

import threading
import time

from conftest import NL_MOBILE

from web.memory_limits import SweptMemoryStorage


def check(client, token):
    return client.post("/api/v1/check", json={"number": NL_MOBILE},
                       headers={"Authorization": f"Bearer {token}"})


def test_deactivation_through_this_process_applies_at_once(client, member_token, caseworker_token, cli):
    assert check(client, member_token).status_code == 200  # now remembered by this process
    member_id = next(m["id"] for m in cli.json("member", "list")["members"] if m["name"] == "alice")
    response = client.post(f"/api/v1/members/{member_id}/deactivate",
                           headers={"Authorization": f"Bearer {caseworker_token}"})
    assert response.status_code == 200
    assert check(client, member_token).status_code == 401


def test_deactivation_by_another_process_applies_within_a_second(client, member_token, cli):
    assert check(client, member_token).status_code == 200
    cli.json("member", "deactivate", "alice")  # another Checker, as another process would be
    deadline = time.monotonic() + 3
    while check(client, member_token).status_code == 200:
        assert time.monotonic() < deadline, "the deactivated member could still check after 3 s"
        time.sleep(0.1)
    assert check(client, member_token).status_code == 401


def test_checks_start_no_threads(make_app, member_token):
    client = make_app(CHECK_LIMITS="1000 per hour").test_client()
    check(client, member_token)  # the check counter's flusher starts with the first check
    time.sleep(0.05)
    known = set(threading.enumerate())
    started = set()
    for _ in range(100):
        assert check(client, member_token).status_code == 200
        started |= set(threading.enumerate()) - known
    assert started == set()  # limits' own memory storage started a Timer every 10 ms


def test_memory_counters_expire_and_are_swept(monkeypatch):
    monkeypatch.setattr("web.memory_limits.SWEEP_SECONDS", 0.0)
    storage = SweptMemoryStorage()
    assert storage.incr("a", 0.05) == 1
    assert storage.incr("a", 0.05) == 2
    storage.incr("b", 0.05)
    time.sleep(0.1)
    assert storage.get("a") == 0  # expired: counting starts again
    storage.incr("c", 60)  # the sweep runs from an increment and drops "b" too
    assert set(storage.storage) == {"c"}
    assert set(storage.expirations) == {"c"}


def test_security_headers_leave_a_pages_own_policy(client):
    page = client.get("/login")
    api = client.get("/healthz")
    assert page.headers["Content-Security-Policy"] != api.headers["Content-Security-Policy"]
    for response in (page, api):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert len(response.headers.getlist("X-Frame-Options")) == 1
