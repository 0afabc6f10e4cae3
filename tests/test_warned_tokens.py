"""The tokens that have warnings, held in memory by a serving process (data.warned).

The one promise that matters: a number with a published warning is never answered
"no warnings" because of this cache, except for at most REFRESH_SECONDS (1 s) after a
change made by another process. A change made through the serving process's own
Checker counts at once.

Everything runs against a real SQLite file; the "other process" is the real `checker`
CLI (another Store and Checker on the same file, as another process would be).
"""

import random
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import date
from functools import partial

import phonenumbers
import pytest

from conftest import (
    BE_MOBILE,
    NL_FIXED,
    NL_MOBILE,
    NL_MOBILE_2,
    TEST_KEY_HEX,
    core,
    days_ago,
)

import data.warned
from checker.instance import open_checker
from checker.settings import Settings
from data import Store
from data.schema import INSERT_TRIGGER_NAME, INSERTS_MARK, MIGRATIONS, SCHEMA_VERSION
from data.warned import REFRESH_SECONDS, VERSION_SECONDS, WarnedTokens

# Checks are cheap here: no budget or distinct-number quota gets in the way of polling.
FAST = {"CHECK_LIMITS": "1000000 per minute", "DISTINCT_DAILY_QUOTA": 0,
        "DISTINCT_FLAG_THRESHOLD": 0}
BOUND_SECONDS = 3.0  # generous deadline for polling (the promise is REFRESH_SECONDS)
HEADER = "number,category,date,region,summary"


# --- helpers ------------------------------------------------------------------------

def auth(token):
    return {"Authorization": f"Bearer {token}"}


def check(client, token, number) -> dict:
    response = client.post("/api/v1/check", json={"number": number}, headers=auth(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def warnings_for(client, token, number) -> int:
    return check(client, token, number)["warnings"]


def wait_for_warnings(client, token, number, at_least=1, seconds=BOUND_SECONDS) -> int:
    """Poll like test_hot_path's deactivation test: the warning must show within the deadline."""
    deadline = time.monotonic() + seconds
    while (found := warnings_for(client, token, number)) < at_least:
        assert time.monotonic() < deadline, (
            f"a published warning was still answered with {found} warnings after {seconds} s")
        time.sleep(0.05)
    return found


def db_path(instance):
    return instance / "checker.db"


def inserted_mark(instance) -> str | None:
    with sqlite3.connect(db_path(instance)) as conn:
        row = conn.execute("SELECT value FROM meta WHERE key = ?", [INSERTS_MARK]).fetchone()
    return row[0] if row else None


def trigger_exists(path) -> bool:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name = ?",
                            [INSERT_TRIGGER_NAME]).fetchone()[0] == 1


def warning_rows(instance) -> int:
    with sqlite3.connect(db_path(instance)) as conn:
        return conn.execute("SELECT count(*) FROM warnings").fetchone()[0]


def write_csv(tmp_path, rows, name="import.csv"):
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def valid_numbers(count: int, seed: int, exclude=()) -> list[str]:
    """Distinct Dutch mobile numbers in E.164 that phonenumbers accepts as valid."""
    rng = random.Random(seed)
    found: list[str] = []
    seen = set(exclude)
    while len(found) < count:
        e164 = "+316" + "".join(rng.choice("0123456789") for _ in range(8))
        if e164 in seen or not phonenumbers.is_valid_number(phonenumbers.parse(e164)):
            continue
        seen.add(e164)
        found.append(e164)
    return found


def reference_checker(instance, **settings):
    """A Checker that asks SQLite for every check (no keep_warned_tokens), as the CLI does."""
    return open_checker(Settings.from_mapping(
        {"INSTANCE": str(instance), "HASH_KEY": TEST_KEY_HEX, **settings}))


def warning_row(token: bytes, status="published", incident_date=None) -> dict:
    return {"token": token, "category": "theft",
            "incident_date": incident_date or date.today().isoformat(), "region": None,
            "summary": None, "source": "test", "status": status, "created_by": "test",
            "created_at": "2026-01-01T00:00:00Z"}


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def slow_refresh(monkeypatch):
    """The app's WarnedTokens re-reads on its timer only after an hour: whatever it sees
    sooner, it sees because of the change itself (stale() after a change through its own
    Checker, or the write-ahead log's changed stamp), never because a second went by."""
    monkeypatch.setattr("checker.service.WarnedTokens", partial(WarnedTokens, refresh_seconds=3600))


# --- 1. changes through this process count at once ------------------------------------

def test_warning_added_through_the_api_counts_at_once(
        slow_refresh, make_app, member_token, caseworker_token):
    client = make_app(**FAST).test_client()
    assert warnings_for(client, member_token, NL_MOBILE) == 0  # the cache is read and current
    response = client.post("/api/v1/warnings", headers=auth(caseworker_token),
                           json={"number": "06-12345678", "category": "theft"})
    assert response.status_code == 201, response.get_data(as_text=True)
    verdict = check(client, member_token, NL_MOBILE)  # no waiting
    assert verdict["warnings"] == 1 and verdict["categories"] == ["theft"]
    assert warnings_for(client, caseworker_token, NL_MOBILE) == 1


def test_report_published_through_the_api_counts_at_once(
        slow_refresh, make_app, member_token, caseworker_token):
    client = make_app(**FAST).test_client()
    assert warnings_for(client, member_token, NL_MOBILE_2) == 0
    response = client.post("/api/v1/reports", headers=auth(member_token),
                           json={"number": NL_MOBILE_2, "category": "threats",
                                 "what_happened": "Hij dreigde."})
    assert response.status_code == 201, response.get_data(as_text=True)
    report_id = response.get_json()["id"]
    assert warnings_for(client, member_token, NL_MOBILE_2) == 0  # pending counts in no verdict
    response = client.post(f"/api/v1/reports/{report_id}/publish", json={},
                           headers=auth(caseworker_token))
    assert response.status_code == 201, response.get_data(as_text=True)
    verdict = check(client, member_token, NL_MOBILE_2)  # no waiting
    assert verdict["warnings"] == 1 and verdict["categories"] == ["threats"]


# --- 2. changes by another process count within the bound ----------------------------

def test_warning_added_by_another_process_shows_within_the_bound(make_app, member_token, cli):
    client = make_app(**FAST).test_client()
    assert warnings_for(client, member_token, NL_MOBILE) == 0
    assert cli.json("add", NL_MOBILE, "--category", "stalking")["id"] > 0
    wait_for_warnings(client, member_token, NL_MOBILE)
    assert check(client, member_token, NL_MOBILE)["categories"] == ["stalking"]


def test_import_by_another_process_shows_within_the_bound(make_app, member_token, cli, tmp_path):
    client = make_app(**FAST).test_client()
    for number in (NL_MOBILE_2, BE_MOBILE, NL_FIXED):
        assert warnings_for(client, member_token, number) == 0
    path = write_csv(tmp_path, [f"{NL_MOBILE_2},theft,{days_ago(3)},,",
                                f"{BE_MOBILE},threats,,,", f"{NL_FIXED},other,,,"])
    assert cli.json("import", path)["imported"] == 3
    for number in (NL_MOBILE_2, BE_MOBILE, NL_FIXED):
        wait_for_warnings(client, member_token, number)


def test_changes_by_another_process_show_after_refresh_seconds_for_sure(
        make_app, member_token, cli, tmp_path):
    client = make_app(**FAST).test_client()
    assert warnings_for(client, member_token, NL_MOBILE) == 0
    assert warnings_for(client, member_token, BE_MOBILE) == 0  # read just now: due in 1 s
    cli.json("add", NL_MOBILE, "--category", "theft")
    assert cli.json("import", write_csv(tmp_path, [f"{BE_MOBILE},theft,,,"]))["imported"] == 1
    time.sleep(REFRESH_SECONDS + 0.1)
    assert warnings_for(client, member_token, NL_MOBILE) == 1  # the first check after, no polling
    assert warnings_for(client, member_token, BE_MOBILE) == 1


# --- 3 and 4. the insert count: trigger and imports -----------------------------------

def test_the_count_grows_by_one_per_insert_and_not_on_withdraw_or_purge(
        make_app, cli, caseworker_token, member_token):
    assert inserted_mark(cli.instance) == "0"
    first = cli.json("add", NL_MOBILE, "--category", "theft")["id"]
    assert inserted_mark(cli.instance) == "1"  # the trigger fired
    client = make_app(**FAST).test_client()
    response = client.post("/api/v1/warnings", headers=auth(caseworker_token),
                           json={"number": BE_MOBILE, "category": "other"})
    assert response.status_code == 201
    assert inserted_mark(cli.instance) == "2"
    cli.json("add", NL_MOBILE_2, "--category", "theft", "--date", days_ago(4000))
    assert inserted_mark(cli.instance) == "3"
    cli.json("withdraw", first, "--reason", "Vergissing")
    assert cli.json("purge")["purged"] == 1
    assert inserted_mark(cli.instance) == "3"  # only inserts count
    assert trigger_exists(db_path(cli.instance))
    assert warnings_for(client, member_token, BE_MOBILE) == 1


@pytest.mark.parametrize("batch_rows", [None, 3])
def test_import_counts_its_rows_once_and_keeps_the_trigger(cli, tmp_path, monkeypatch, batch_rows):
    if batch_rows:  # several batches, an exact multiple, and the index rebuild on the way
        monkeypatch.setattr("data.store.IMPORT_BATCH_ROWS", batch_rows)
        monkeypatch.setattr("data.store.REBUILD_AFTER_ROWS", 4)
    cli.json("add", NL_MOBILE, "--category", "theft")
    before = int(inserted_mark(cli.instance))
    numbers = valid_numbers(9, seed=3, exclude={NL_MOBILE})
    path = write_csv(tmp_path, [f"{n},theft,{days_ago(i)},," for i, n in enumerate(numbers)])
    assert cli.json("import", path)["imported"] == 9
    assert int(inserted_mark(cli.instance)) == before + 9
    assert trigger_exists(db_path(cli.instance))
    assert warning_rows(cli.instance) == 10
    cli.json("add", NL_MOBILE_2, "--category", "theft")  # the trigger put back still counts
    assert int(inserted_mark(cli.instance)) == before + 10
    # --skip-invalid counts the rows it stored, not the ones it skipped
    path = write_csv(tmp_path, [f"{BE_MOBILE},theft,,,", "0612345678,rudeness,,,"], "skip.csv")
    assert cli.json("import", path, "--skip-invalid")["imported"] == 1
    assert int(inserted_mark(cli.instance)) == before + 11
    assert trigger_exists(db_path(cli.instance))


def test_failed_import_changes_neither_count_nor_trigger(cli, tmp_path):
    cli.json("add", NL_MOBILE, "--category", "theft")
    before_mark, before_rows = inserted_mark(cli.instance), warning_rows(cli.instance)
    numbers = valid_numbers(4, seed=4, exclude={NL_MOBILE})
    rows = [f"{n},theft,,," for n in numbers]
    rows.insert(2, "0687654321,rudeness,,,")  # one invalid row: all or nothing
    result = cli("import", write_csv(tmp_path, rows), "--json")
    assert result.exit_code == 1
    assert inserted_mark(cli.instance) == before_mark
    assert warning_rows(cli.instance) == before_rows
    assert trigger_exists(db_path(cli.instance))
    cli.json("add", NL_MOBILE_2, "--category", "theft")  # and the trigger still works
    assert int(inserted_mark(cli.instance)) == int(before_mark) + 1


# --- 5. row ids reused after a purge ----------------------------------------------------

@pytest.mark.parametrize("refresh_between", [False, True])
def test_a_reused_row_id_after_a_purge_is_still_found(make_app, member_token, cli, refresh_between):
    retention = {"CHECKER_RETENTION_DAYS": "30"}
    cli.json("add", NL_MOBILE, "--category", "theft", env=retention)
    old_id = cli.json("add", BE_MOBILE, "--category", "theft", "--date", days_ago(400),
                      env=retention)["id"]  # the newest row has an expired incident date
    client = make_app(RETENTION_DAYS=30, **FAST).test_client()
    assert warnings_for(client, member_token, NL_MOBILE) == 1
    assert warnings_for(client, member_token, BE_MOBILE) == 0  # expired
    assert cli.json("purge", env=retention)["purged"] == 1
    if refresh_between:  # the app reads the (unchanged) count after the purge
        time.sleep(REFRESH_SECONDS + 0.1)
        assert warnings_for(client, member_token, NL_MOBILE) == 1
    new_id = cli.json("add", NL_MOBILE_2, "--category", "threats", env=retention)["id"]
    assert new_id == old_id  # SQLite gave the new warning the purged row's id
    wait_for_warnings(client, member_token, NL_MOBILE_2)
    time.sleep(REFRESH_SECONDS + 0.1)
    assert warnings_for(client, member_token, NL_MOBILE_2) == 1
    assert warnings_for(client, member_token, BE_MOBILE) == 0


# --- restoring a backup into a running service -------------------------------------------

def test_warnings_added_after_a_restore_into_a_running_service_are_found(
        make_app, member_token, cli, tmp_path):
    """README: a restore is one write transaction, so "a running service sees either the
    old or the restored data". Warnings added after the restore must then count too, even
    when the restored database's insert count climbs back to the one the service read."""
    cli.json("add", NL_MOBILE, "--category", "theft")
    backup = tmp_path / "backup.db"
    cli.json("backup", backup)  # count 1
    cli.json("add", BE_MOBILE, "--category", "theft")
    cli.json("add", NL_FIXED, "--category", "theft")  # count 3
    client = make_app(**FAST).test_client()  # reads count 3
    cli.json("restore", backup)  # count 1 again
    cli.json("add", NL_MOBILE_2, "--category", "threats")
    cli.json("add", "+31611111111", "--category", "threats")  # count 3 again
    reference = reference_checker(cli.instance)
    assert reference.verdict(reference.parse(NL_MOBILE_2), "cli").warnings == 1  # in SQLite
    wait_for_warnings(client, member_token, NL_MOBILE_2)
    assert warnings_for(client, member_token, NL_MOBILE) == 1


# --- 6 and 7. WarnedTokens on a real Store ------------------------------------------------

def test_warned_tokens_answers_for_every_stored_token_and_no_random_one(instance):
    store = Store(db_path(instance))
    rng = random.Random(20260401)
    stored = [rng.randbytes(32) for _ in range(300)]
    for token in stored:
        store.insert_warning(warning_row(token))
    withdrawn = rng.randbytes(32)
    store.insert_warning(warning_row(withdrawn, status="withdrawn"))
    expired = rng.randbytes(32)
    store.insert_warning(warning_row(expired, incident_date="2001-01-01"))
    checker = reference_checker(instance)
    checker.add_warning("test", NL_MOBILE, "theft")
    number_token = checker.hasher.number_token(checker.parse(NL_MOBILE))

    warned = WarnedTokens(Store(db_path(instance)))
    assert all(warned.may_have(token) for token in stored)
    assert warned.may_have(withdrawn) and warned.may_have(expired)
    assert warned.may_have(number_token)
    assert len(warned) == len(stored) + 3
    others_rng = random.Random(7)
    others = [others_rng.randbytes(32) for _ in range(2000)]
    known = {token[:8] for token in stored + [withdrawn, expired, number_token]}
    others = [token for token in others if token[:8] not in known]
    assert len(others) > 1900
    assert not any(warned.may_have(token) for token in others)


def test_warned_tokens_catches_up_after_refresh_seconds_and_at_once_after_stale(instance):
    clock = FakeClock()
    warned = WarnedTokens(Store(db_path(instance)), refresh_seconds=1.0, clock=clock)
    rng = random.Random(11)
    first, second, third = (rng.randbytes(32) for _ in range(3))
    assert not warned.may_have(first)  # reads the empty table
    other_process = Store(db_path(instance))
    other_process.insert_warning(warning_row(first))
    clock.advance(0.5)
    warned.may_have(first)  # within the period: either answer is allowed
    clock.advance(0.6)  # past refresh_seconds since the last reading
    assert warned.may_have(first)
    other_process.insert_warning(warning_row(second, status="withdrawn"))
    warned.stale()
    assert warned.may_have(second)  # no time passed
    other_process.insert_warning(warning_row(third))
    clock.advance(1.0)  # exactly refresh_seconds
    assert warned.may_have(third)
    assert len(warned) == 3


def test_a_commit_elsewhere_counts_from_version_seconds_after_it(instance):
    clock = FakeClock()
    warned = WarnedTokens(Store(db_path(instance)), refresh_seconds=3600, clock=clock)
    rng = random.Random(12)
    tokens = [rng.randbytes(32) for _ in range(2)]
    other_process = Store(db_path(instance))
    for token in tokens:
        assert not warned.may_have(token)  # the version looked at: no warning yet
        other_process.insert_warning(warning_row(token))
        warned.may_have(token)  # at once: either answer is allowed
        clock.advance(VERSION_SECONDS)
        assert warned.may_have(token)  # no timed refresh: the version told
    other_process.close()


def test_more_than_max_recent_new_warnings_read_everything_again(instance, monkeypatch):
    monkeypatch.setattr(data.warned, "MAX_RECENT", 3)
    store = Store(db_path(instance))
    rng = random.Random(5)
    tokens = [rng.randbytes(32) for _ in range(20)]
    for token in tokens[:4]:
        store.insert_warning(warning_row(token))
    clock = FakeClock()
    warned = WarnedTokens(Store(db_path(instance)), clock=clock)
    assert all(warned.may_have(t) for t in tokens[:4]) and len(warned) == 4
    for token in tokens[4:6]:  # 2 new: kept as recent
        store.insert_warning(warning_row(token))
    clock.advance(REFRESH_SECONDS)
    assert all(warned.may_have(t) for t in tokens[:6]) and len(warned) == 6
    for token in tokens[6:9]:  # 2 + 3 > MAX_RECENT: everything read again
        store.insert_warning(warning_row(token))
    clock.advance(REFRESH_SECONDS)
    assert all(warned.may_have(t) for t in tokens[:9]) and len(warned) == 9
    for token in tokens[9:20]:  # 11 at once, more than MAX_RECENT alone
        store.insert_warning(warning_row(token))
    clock.advance(REFRESH_SECONDS)
    assert all(warned.may_have(t) for t in tokens) and len(warned) == 20
    store.insert_warning(warning_row(tokens[0]))  # a second warning for a known token
    warned.stale()
    assert warned.may_have(tokens[0]) and len(warned) == 21
    assert not any(warned.may_have(rng.randbytes(32)) for _ in range(200))


# --- 8. migration 5 -----------------------------------------------------------------------

def test_a_fresh_instance_has_the_trigger_and_a_zero_count(instance):
    with sqlite3.connect(db_path(instance)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS) == SCHEMA_VERSION
    assert trigger_exists(db_path(instance))
    assert inserted_mark(instance) == "0"


def test_migration_5_on_a_version_4_database(tmp_path):
    assert isinstance(MIGRATIONS[4], list)
    path = tmp_path / "v4.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for script in MIGRATIONS[:4]:
        for statement in filter(str.strip, script.split(";")):
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 4")
    old_token = random.Random(1).randbytes(32)
    conn.execute("INSERT INTO warnings (token, category, incident_date, source, created_by, "
                 "created_at) VALUES (?, 'theft', ?, 'test', 'test', '2026-01-01T00:00:00Z')",
                 [old_token, date.today().isoformat()])
    conn.close()
    assert not trigger_exists(path)

    store = Store(path)
    assert store.migrate() == 1
    assert store.schema_version() == 5
    assert trigger_exists(path)
    assert store.get_meta(INSERTS_MARK) == "0"  # the rows before it are found by a full read
    warned = WarnedTokens(Store(path))
    assert warned.may_have(old_token) and len(warned) == 1
    new_token = random.Random(2).randbytes(32)
    store.insert_warning(warning_row(new_token))
    assert store.get_meta(INSERTS_MARK) == "1"
    warned.stale()
    assert warned.may_have(new_token)
    assert store.migrate() == 0  # a second run changes nothing
    assert store.get_meta(INSERTS_MARK) == "1"


# --- 9. differential: the app's verdicts equal SQLite's --------------------------------------

def test_verdicts_with_the_cache_equal_verdicts_without(make_app, member_token, caseworker_token,
                                                        cli, tmp_path):
    numbers = valid_numbers(200, seed=2026)
    rng = random.Random(99)
    warned = rng.sample(numbers, 100)
    before, after_cli, after_api = warned[:50], warned[50:90], warned[90:]
    categories = ["theft", "threats", "stalking", "non_payment"]

    def rows(chosen):
        # some expired (past the 1826-day retention), some with two warnings
        out = []
        for i, number in enumerate(chosen):
            age = 3000 if i % 7 == 0 else rng.randrange(0, 1000)
            out.append(f"{number},{categories[i % 4]},{days_ago(age)},,")
            if i % 5 == 0:
                out.append(f"{number},other,{days_ago(rng.randrange(0, 100))},,")
        return out

    assert cli.json("import", write_csv(tmp_path, rows(before), "before.csv"))["imported"] > 50
    client = make_app(**FAST).test_client()  # the cache is read here
    assert cli.json("import", write_csv(tmp_path, rows(after_cli), "after.csv"))["imported"] > 40
    withdrawn = cli.json("add", after_cli[0], "--category", "theft")["id"]
    cli.json("withdraw", withdrawn, "--reason", "Vergissing")
    for number in after_api:
        response = client.post("/api/v1/warnings", headers=auth(caseworker_token),
                               json={"number": number, "category": "threats"})
        assert response.status_code == 201
    time.sleep(REFRESH_SECONDS + 0.1)  # past the bound for the CLI's changes

    reference = reference_checker(cli.instance)
    mismatches, with_warnings = [], 0
    for number in numbers:
        expected = reference.verdict(reference.parse(number), "cli").as_json()
        got = check(client, member_token, number)
        with_warnings += expected["warnings"] > 0
        if core(got) != core(expected):
            mismatches.append((number in before, number in after_cli, number in after_api,
                               got["warnings"], expected["warnings"]))
    assert mismatches == []
    assert with_warnings >= 80  # the comparison covered numbers with warnings, not just zeros


def test_the_write_stamp_follows_commits_of_other_connections_and_processes(instance):
    reader = Store(db_path(instance))
    writer = Store(db_path(instance))
    rng = random.Random(5)
    writer.insert_warning(warning_row(rng.randbytes(32)))
    before = reader.write_stamp()
    assert reader.write_stamp() == before  # nothing committed
    writer.insert_warning(warning_row(rng.randbytes(32)))
    after = reader.write_stamp()
    assert after != before  # a commit of another connection in this process
    subprocess.run([sys.executable, "-c", COMMIT_ELSEWHERE, str(db_path(instance))], check=True)
    assert reader.write_stamp() != after  # and of another process
    writer.close()
    reader.close()


COMMIT_ELSEWHERE = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); " \
    "c.execute(\"INSERT OR REPLACE INTO meta VALUES ('test_mark', random())\"); c.commit()"
CHECKPOINT_ELSEWHERE = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); " \
    "print(c.execute('PRAGMA wal_checkpoint(TRUNCATE)').fetchone()[0])"


def test_a_thread_sees_a_commit_made_after_another_threads_reading(instance):
    # Each thread reads through a connection of its own, and SQLite's data version counts
    # per connection: a new thread's first value says nothing of another's (waitress,
    # `checker serve`, runs checks in 8 threads).
    reader, writer = Store(db_path(instance)), Store(db_path(instance))
    warned = WarnedTokens(reader, refresh_seconds=3600)  # no timed refresh to hide a miss
    warned.refresh()
    token = random.Random(7).randbytes(32)
    writer.insert_warning(warning_row(token))
    answers = []
    for _ in range(2):  # two new threads, each with a new connection
        thread = threading.Thread(target=lambda: answers.append(warned.may_have(token)))
        thread.start()
        thread.join()
    assert answers == [True, True]
    assert warned.may_have(token)  # and this thread, whose own connection saw the commit
    writer.close()
    reader.close()


def test_refreshing_keeps_the_locks_sqlite_holds_for_this_process(instance):
    # POSIX locks belong to a process: closing any descriptor of a file drops them all,
    # SQLite's included. A refresh that opened and closed the -shm file (as one did) let
    # another process reset the log under a read transaction of this one.
    writer, holder, refresher = (Store(db_path(instance)) for _ in range(3))
    rng = random.Random(6)
    writer.insert_warning(warning_row(rng.randbytes(32)))
    warned = WarnedTokens(refresher)
    with holder.snapshot() as conn:  # a read transaction of this process, as a lookup's
        conn.execute("SELECT count(*) FROM warnings").fetchone()
        writer.insert_warning(warning_row(rng.randbytes(32)))  # log frames it must not lose
        for _ in range(3):
            warned.refresh()
            assert warned.may_have(rng.randbytes(32)) in (True, False)
        busy = subprocess.run([sys.executable, "-c", CHECKPOINT_ELSEWHERE,
                               str(db_path(instance))], check=True, capture_output=True,
                              text=True).stdout.strip()
        assert busy == "1"  # the reader's lock held: the log could not be reset
    for store in (writer, holder, refresher):
        store.close()
