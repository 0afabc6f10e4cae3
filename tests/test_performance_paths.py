"""The fast paths behave like the slow ones did: a large import through the worker
pool (order, line numbers, all or nothing), check counts written in batches (still
exact in `stats`, also after a server or a one-shot CLI check ends), and the bench
script's cheap parts. No timings are asserted: the machines are shared."""

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

import data.store

from checker.importing import CHUNK_ROWS
from conftest import ROOT, TEST_KEY_HEX, Server, days_ago, http, run_checker

LARGE = CHUNK_ROWS * 2 + 123  # more than one chunk: the pool is used where it can be


def mobile(i: int) -> str:
    return f"06-1{i:07d}"  # 06-10000000 ... valid Dutch mobiles


def write_rows(path: Path, count: int, bad_lines=()) -> Path:
    """``count`` rows; the rows on ``bad_lines`` (file lines, header = 1) carry a bad category."""
    lines = ["number,category,date,region,summary"]
    for i in range(count):
        line = i + 2
        category = "rudeness" if line in bad_lines else "theft"
        lines.append(f"{mobile(i)},{category},{days_ago(i % 300)},Utrecht,row {i}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def verdict(cli, number):
    return cli.json("check", number)


def import_(instance, path, *args):
    """`checker import` in its own process, as it runs for real: single-threaded, so it forks
    its worker pool (this test process may have threads, and then imports serially)."""
    return run_checker("--instance", instance, "import", path, "--json", *args,
                       CHECKER_HASH_KEY=TEST_KEY_HEX)


def test_large_import_keeps_every_row_in_order(instance, cli, tmp_path):
    path = write_rows(tmp_path / "large.csv", LARGE)
    result = import_(instance, path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"imported": LARGE, "skipped": 0, "errors": []}
    assert cli.json("stats")["warnings"] == LARGE
    for i in (0, CHUNK_ROWS - 1, CHUNK_ROWS, LARGE - 1):
        assert verdict(cli, mobile(i))["warnings"] == 1


def test_large_import_reports_lines_across_chunks_and_stores_nothing(instance, cli, tmp_path):
    bad = [3, CHUNK_ROWS + 1, CHUNK_ROWS + 2, LARGE + 1]  # LARGE + 1 is the last line
    path = write_rows(tmp_path / "bad.csv", LARGE, bad_lines=bad)
    result = import_(instance, path)
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert [e["line"] for e in data["errors"]] == bad
    assert data["skipped"] == len(bad) and data["imported"] == 0
    assert cli.json("stats")["warnings"] == 0


def test_large_import_skip_invalid_stores_the_rest(instance, cli, tmp_path):
    bad = [CHUNK_ROWS + 5, LARGE]
    path = write_rows(tmp_path / "skip.csv", LARGE, bad_lines=bad)
    result = import_(instance, path, "--skip-invalid")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["imported"], data["skipped"]) == (LARGE - 2, 2)
    assert [e["line"] for e in data["errors"]] == bad
    assert cli.json("stats")["warnings"] == LARGE - 2
    assert verdict(cli, mobile(CHUNK_ROWS + 3))["warnings"] == 0  # line CHUNK_ROWS + 5
    assert verdict(cli, mobile(CHUNK_ROWS + 4))["warnings"] == 1


def test_large_import_with_a_malformed_line_late_in_the_file_stores_nothing(instance, cli, tmp_path):
    path = write_rows(tmp_path / "broken.csv", LARGE)
    with open(path, "ab") as f:
        f.write(b"\xff\xfe not utf-8,theft,,,\n")
    result = import_(instance, path)
    assert result.returncode == 2
    assert "not UTF-8" in result.stderr
    assert cli.json("stats")["warnings"] == 0


def test_large_import_in_process_gives_the_same_answer(cli, tmp_path):
    # In this (possibly threaded) test process the rows may be made without a pool.
    bad = [CHUNK_ROWS + 7]
    path = write_rows(tmp_path / "inproc.csv", LARGE, bad_lines=bad)
    data = cli.json("import", path, "--skip-invalid")
    assert (data["imported"], [e["line"] for e in data["errors"]]) == (LARGE - 1, bad)


def warning_indexes(instance) -> set:
    with sqlite3.connect(instance / "checker.db") as conn:
        return {name for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'warnings' "
            "AND sql IS NOT NULL")}


@pytest.fixture
def rebuild_early(monkeypatch):
    """A large import's random-order indexes are dropped and rebuilt after 1,000 rows here
    (50,000 in production), so that the files of these tests are large enough."""
    monkeypatch.setattr(data.store, "REBUILD_AFTER_ROWS", 1000)
    monkeypatch.setattr(data.store, "IMPORT_BATCH_ROWS", 500)


def test_a_large_import_rebuilds_its_indexes_and_lookups_use_them(instance, cli, tmp_path,
                                                                   rebuild_early):
    indexes = warning_indexes(instance)
    assert {"warnings_by_date", "warnings_by_token_date"} <= indexes
    data_ = cli.json("import", write_rows(tmp_path / "big.csv", LARGE))
    assert data_["imported"] == LARGE
    assert warning_indexes(instance) == indexes
    with sqlite3.connect(instance / "checker.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        plan = " ".join(str(row) for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT 1 FROM warnings WHERE token = ? AND incident_date >= ?",
            [b"x", "2020-01-01"]))
    assert "warnings_by_token_date" in plan
    for i in (0, 999, 1000, 1001, LARGE - 1):
        assert verdict(cli, mobile(i))["warnings"] == 1


def test_a_large_import_that_fails_after_the_rebuild_point_keeps_the_indexes(instance, cli, tmp_path,
                                                                            rebuild_early):
    indexes = warning_indexes(instance)
    result = cli("import", write_rows(tmp_path / "bad.csv", LARGE, bad_lines=[LARGE + 1]), "--json")
    assert result.exit_code == 1
    assert cli.json("stats")["warnings"] == 0
    assert warning_indexes(instance) == indexes


def test_counts_are_exact_in_stats_of_the_same_process(client, member_token, cli):
    for _ in range(5):
        response = client.post("/api/v1/check", json={"number": "0612345678"},
                               headers={"Authorization": f"Bearer {member_token}"})
        assert response.status_code == 200
    assert cli.json("stats")["checks"] == 5


def test_one_shot_cli_check_is_counted(instance):
    env = {"CHECKER_HASH_KEY": TEST_KEY_HEX}
    result = run_checker("--instance", instance, "check", "0612345678", "--json", **env)
    assert result.returncode == 0, result.stderr
    stats = run_checker("--instance", instance, "stats", "--json", **env)
    assert json.loads(stats.stdout)["checks"] == 1


def test_a_stopped_server_has_written_its_counts(instance, cli, member_token, tmp_path):
    server = Server(instance, tmp_path, CHECKER_HASH_KEY=TEST_KEY_HEX)
    try:
        server.wait_ready()
        for _ in range(3):
            status, _, _ = http("POST", server.base + "/api/v1/check", {"number": "0612345678"},
                                member_token)
            assert status == 200
    finally:
        server.stop()  # SIGTERM: the server exits cleanly and writes its pending counts
    assert server.proc.returncode == 0, server.output()
    stats = run_checker("--instance", instance, "stats", "--json", CHECKER_HASH_KEY=TEST_KEY_HEX)
    assert json.loads(stats.stdout)["checks"] == 3


def test_bench_script_help_and_enumeration_bound():
    script = str(ROOT / "bench" / "run.py")
    help_ = subprocess.run([sys.executable, script, "--help"], capture_output=True, text=True,
                           timeout=60)
    assert help_.returncode == 0 and "--quick" in help_.stdout
    result = subprocess.run([sys.executable, script, "--only", "enumeration"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "1,369 y" in result.stdout  # 10^8 / 200 a day, at the default limits


def test_the_flusher_writes_a_full_batch_without_the_check_waiting(instance, cli):
    from checker.counters import CheckCounter

    counter = CheckCounter(instance / "checker.db", flush_checks=3, flush_seconds=3600)
    for hit in (True, False, True):
        counter.add("2026-01-02", "api", hit)
    deadline = time.monotonic() + 30  # a liveness bound, not a timing assertion
    while cli.json("stats")["checks"] != 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (cli.json("stats")["checks"], cli.json("stats")["hits"]) == (3, 2)
