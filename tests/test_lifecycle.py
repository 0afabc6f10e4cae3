"""Key rotation, backups and restores, through the CLI and the API on real SQLite files."""

import json
import sqlite3
import threading

import pytest

from conftest import NL_MOBILE, NL_MOBILE_2, TEST_KEY, TEST_KEY_HEX, Cli, days_ago


@pytest.fixture
def file_cli(tmp_path):
    """An instance whose key lives in hash.key (rotation rewrites that file)."""
    cli = Cli(tmp_path / "instance", {})
    assert cli("init").exit_code == 0
    return cli


def populate(cli):
    cli.json("add", NL_MOBILE, "--category", "theft", "--region", "Utrecht")
    cli.json("add", NL_MOBILE, "--category", "threats", "--date", days_ago(30))
    return cli.json("member", "add", "mia", "--phone", NL_MOBILE_2)["token"]


def tokens_in(instance):
    conn = sqlite3.connect(instance / "checker.db")
    try:
        return {row[0] for row in conn.execute(
            "SELECT token FROM warnings UNION SELECT phone_token FROM accounts "
            "WHERE phone_token IS NOT NULL UNION SELECT token_hash FROM accounts")}
    finally:
        conn.close()


def api_check(instance, key_env, token, number=NL_MOBILE):
    from web import create_app

    app = create_app({"TESTING": True, "INSTANCE": str(instance), **key_env})
    response = app.test_client().post("/api/v1/check", json={"number": number},
                                      headers={"Authorization": f"Bearer {token}"})
    return response.status_code, response.get_json()


def test_rotation_keeps_answers_and_the_old_key_alone_matches_nothing(file_cli):
    from hashing import Hasher, normalize

    member = populate(file_cli)
    instance = file_cli.instance
    old_key = bytes.fromhex((instance / "hash.key").read_text().strip())
    before = file_cli.json("check", NL_MOBILE)
    stored_before = tokens_in(instance)
    assert Hasher(old_key).number_token(normalize(NL_MOBILE)) in stored_before

    rotated = file_cli.json("key", "rotate")
    assert rotated["warnings"] == 2 and rotated["phones"] == 1 and rotated["access_tokens"] == 1
    assert rotated["keys_in_chain"] == 2 and rotated["fingerprint"] != rotated["old_fingerprint"]
    assert file_cli.json("key", "fingerprint")["fingerprint"] == rotated["fingerprint"]
    key_file = instance / "hash.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert not (instance / "hash.key.new").exists()
    lines = key_file.read_text().split()
    assert lines[0] == old_key.hex() and len(lines) == 2

    assert file_cli.json("check", NL_MOBILE) == before
    assert file_cli.json("init")["key_fingerprint"] == rotated["fingerprint"]  # still idempotent
    assert api_check(instance, {}, member) == (200, before)  # access token still valid
    stored_after = tokens_in(instance)
    assert stored_after.isdisjoint(stored_before)
    old = Hasher(old_key)
    assert old.number_token(normalize(NL_MOBILE)) not in stored_after
    assert old.number_token(normalize(NL_MOBILE_2)) not in stored_after
    assert old.secret_hash(member) not in stored_after
    assert [e["action"] for e in file_cli.json("audit")["events"]][0] == "key_rotated"


def test_old_key_alone_or_a_partial_chain_is_refused(file_cli):
    populate(file_cli)
    old_hex = (file_cli.instance / "hash.key").read_text().strip()
    file_cli.json("key", "rotate")
    chain = (file_cli.instance / "hash.key").read_text().split()
    for partial in (old_hex, chain[1]):
        result = file_cli("check", NL_MOBILE, env={"CHECKER_HASH_KEY": partial})
        assert result.exit_code == 1 and "does not match" in result.stderr
    full = file_cli("check", NL_MOBILE, "--json", env={"CHECKER_HASH_KEY": ",".join(chain)})
    assert json.loads(full.stdout)["warnings"] == 2


def test_rotating_twice_still_agrees(file_cli):
    populate(file_cli)
    before = file_cli.json("check", NL_MOBILE)
    file_cli.json("key", "rotate")
    assert file_cli.json("key", "rotate")["keys_in_chain"] == 3
    assert file_cli.json("check", NL_MOBILE) == before
    assert file_cli.json("add", NL_MOBILE, "--category", "other")["id"] == 3
    assert file_cli.json("check", NL_MOBILE)["warnings"] == 3


def test_interrupted_rotation_leaves_the_old_state(file_cli):
    populate(file_cli)
    instance = file_cli.instance
    key_before = (instance / "hash.key").read_bytes()
    tokens_before = tokens_in(instance)
    before = file_cli.json("check", NL_MOBILE)
    conn = sqlite3.connect(instance / "checker.db")  # a real failure midway through the rewrap
    conn.execute("CREATE TRIGGER fail BEFORE UPDATE OF token_hash ON accounts "
                 "BEGIN SELECT RAISE(ABORT, 'disk on fire'); END")
    conn.commit()
    result = file_cli("key", "rotate")
    assert result.exit_code == 1
    assert (instance / "hash.key").read_bytes() == key_before
    assert not (instance / "hash.key.new").exists()
    assert tokens_in(instance) == tokens_before
    conn.execute("DROP TRIGGER fail")
    conn.commit()
    conn.close()
    assert file_cli.json("check", NL_MOBILE) == before
    assert file_cli.json("key", "rotate")["warnings"] == 2


def test_rotation_refuses_a_key_from_the_environment(cli):
    result = cli("key", "rotate")
    assert result.exit_code == 1 and "CHECKER_HASH_KEY" in result.stderr


def test_backup_during_concurrent_writes_restores_intact(cli, tmp_path):
    populate(cli)
    stop = threading.Event()
    written = []

    def writer():  # the domain API in-process: the CLI runner is not thread-safe
        from checker.instance import open_checker
        from checker.settings import Settings

        checker = open_checker(Settings.from_mapping(
            {"INSTANCE": str(cli.instance), "HASH_KEY": TEST_KEY_HEX}))
        while not stop.is_set():
            written.append(checker.add_warning("writer", NL_MOBILE_2, "stalking"))
        checker.store.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 5:
            stop.wait(0.01)
        result = cli.json("backup", str(tmp_path / "b1.db"))
        at_backup = len(written)
        while len(written) < at_backup + 5:  # keep writing after the backup, too
            stop.wait(0.01)
    finally:
        stop.set()
        thread.join()
    backup_file = tmp_path / "b1.db"
    assert result["key_fingerprint"] and backup_file.stat().st_mode & 0o777 == 0o600
    assert TEST_KEY_HEX.encode() not in backup_file.read_bytes()
    assert TEST_KEY not in backup_file.read_bytes()
    in_backup = sqlite3.connect(backup_file).execute(
        "SELECT count(*) FROM warnings").fetchone()[0]
    assert 2 + 5 <= in_backup <= 2 + len(written)
    live_total = cli.json("stats")["warnings"]
    assert live_total == 2 + len(written)

    restored = cli.json("restore", str(backup_file))
    assert restored["backup_at"]
    conn = sqlite3.connect(cli.instance / "checker.db")
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()
    assert cli.json("stats")["warnings"] == in_backup
    assert cli.json("check", NL_MOBILE)["categories"] == ["theft", "threats"]
    assert cli.json("check", NL_MOBILE_2)["warnings"] == in_backup - 2
    assert cli.json("audit")["events"][0]["action"] == "restored"


def test_restore_refuses_a_backup_made_with_another_key(cli, tmp_path):
    from conftest import OTHER_KEY_HEX

    populate(cli)
    cli.json("backup", str(tmp_path / "b.db"))
    other = Cli(tmp_path / "other", {"CHECKER_HASH_KEY": OTHER_KEY_HEX})
    assert other("init").exit_code == 0
    result = other("restore", str(tmp_path / "b.db"))
    assert result.exit_code == 1 and "configured key" in result.stderr
    assert other.json("stats")["warnings"] == 0


def test_restore_into_an_empty_instance_folder(cli, tmp_path):
    member = populate(cli)
    cli.json("backup", str(tmp_path / "b.db"))
    fresh = Cli(tmp_path / "fresh", cli.env)
    fresh.json("restore", str(tmp_path / "b.db"))
    assert fresh.json("check", NL_MOBILE) == cli.json("check", NL_MOBILE)
    assert api_check(fresh.instance, {"HASH_KEY": TEST_KEY_HEX}, member)[0] == 200


@pytest.mark.parametrize("content", [b"", b"not a database at all" * 100])
def test_restore_refuses_junk_and_keeps_the_data(cli, tmp_path, content):
    populate(cli)
    junk = tmp_path / "junk.db"
    junk.write_bytes(content)
    result = cli("restore", str(junk))
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert cli.json("stats")["warnings"] == 2


def test_backup_refuses_to_overwrite(cli, tmp_path):
    (tmp_path / "b.db").write_text("precious")
    result = cli("backup", str(tmp_path / "b.db"))
    assert result.exit_code == 1
    assert (tmp_path / "b.db").read_text() == "precious"


def test_a_running_app_stops_answering_after_a_rotation_under_it(file_cli):
    from web import create_app

    member = populate(file_cli)
    app = create_app({"TESTING": True, "INSTANCE": str(file_cli.instance)})
    client = app.test_client()
    headers = {"Authorization": f"Bearer {member}"}
    assert client.post("/api/v1/check", json={"number": NL_MOBILE}, headers=headers).status_code == 200
    file_cli.json("key", "rotate")
    app.extensions["key_recheck"]["at"] = 0.0  # do not wait for the next once-a-second look
    response = client.post("/api/v1/check", json={"number": NL_MOBILE}, headers=headers)
    assert response.status_code == 503 and response.get_json()["error"] == "unavailable"


def test_backup_into_a_missing_folder_is_a_clear_error(cli, tmp_path):
    result = cli("backup", str(tmp_path / "no" / "such" / "folder" / "b.db"))
    assert result.exit_code == 1 and "Cannot create the backup file" in result.stderr
