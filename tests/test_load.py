"""A bounded load test on loopback: gunicorn (3 workers, limits in Redis) answers a fixed
number of checks while `checker import` writes thousands of rows, repeatedly. Only 200s and
429s may come back, every import must succeed, and the database must be intact afterwards.
No timing is asserted (the machine is shared); the figures are printed."""

import sqlite3
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import TEST_KEY_HEX, Gunicorn, http, run_checker

pytestmark = [pytest.mark.redis, pytest.mark.slow]

REQUESTS = 600
IMPORT_ROWS = 3000
IMPORTS = 3


def write_csv(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        f.write("number,category,date,region,summary\n")
        for i in range(rows):
            f.write(f"06{10000000 + i},theft,,Utrecht,\n")


def test_checks_under_load_while_importing(cli, instance, tmp_path, redis_server):
    members = [cli.json("member", "add", f"m{i}")["token"] for i in range(4)]
    csv = tmp_path / "batch.csv"
    write_csv(csv, IMPORT_ROWS)
    logs = tmp_path / "logs"
    logs.mkdir()
    server = Gunicorn(instance, logs, workers=3, CHECKER_HASH_KEY=TEST_KEY_HEX,
                      CHECKER_CHECK_LIMITS="100 per hour",  # one window, however slow the run
                      CHECKER_RATELIMIT_STORAGE_URI=redis_server.url)
    imports, spans, answered_at = [], [], []

    def importer():
        for _ in range(IMPORTS):
            started = time.monotonic()
            done = run_checker("--instance", instance, "import", csv, "--json",
                               CHECKER_HASH_KEY=TEST_KEY_HEX)
            imports.append((done.returncode, done.stdout, time.monotonic() - started))
            spans.append((started, time.monotonic()))

    def one(i):
        number = f"06{10000000 + (i * 7) % IMPORT_ROWS}"
        status = http("POST", server.base + "/api/v1/check", {"number": number},
                      members[i % len(members)], timeout=60)[0]
        answered_at.append(time.monotonic())
        return status

    try:
        server.wait_ready()
        started = time.monotonic()
        thread = threading.Thread(target=importer)
        thread.start()
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = Counter(pool.map(one, range(REQUESTS)))
        checks_took = time.monotonic() - started
        thread.join()
    finally:
        server.stop()
    during = sum(1 for t in answered_at if any(a <= t <= b for a, b in spans))
    print(f"\nload: {REQUESTS} checks in {checks_took:.1f}s -> {dict(statuses)}, {during} of them "
          f"answered while an import ran; imports of {IMPORT_ROWS} rows took "
          + ", ".join(f"{s:.1f}s" for _, _, s in imports))
    assert set(statuses) <= {200, 429}, statuses
    assert statuses[200] == 4 * 100  # every member's budget used exactly, never more
    assert [code for code, _, _ in imports] == [0] * IMPORTS, imports
    conn = sqlite3.connect(instance / "checker.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("SELECT count(*) FROM warnings").fetchone()[0] == IMPORTS * IMPORT_ROWS
    finally:
        conn.close()
    assert "Traceback" not in server.output()
