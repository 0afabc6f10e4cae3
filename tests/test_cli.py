"""Every `checker` command with its success and error cases, through click's CliRunner
(in-process, stdout and stderr apart) and a few real subprocesses (`python -m checker`)."""

import json
import re
import socket
import stat

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import (
    BE_MOBILE, CATEGORIES, KNOWN_TOKENS, NL_FIXED, NL_MOBILE, NL_MOBILE_2, NL_MOBILE_INTL,
    OTHER_KEY_FINGERPRINT, OTHER_KEY_HEX, TEST_KEY_FINGERPRINT, TEST_KEY_HEX, ZERO_VERDICT, Cli,
    Server, assert_no_number_in, core, days_ago, http, key_env, run_checker,
)



def verdict(cli, number):
    return cli.json("check", number)


def add(cli, number=NL_MOBILE, category="theft", *extra):
    return cli.json("add", number, "--category", category, *extra)["id"]


def assert_fails(result, code, *must_mention):
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert result.stderr.strip(), "an error must be explained on stderr"
    for word in must_mention:
        assert word.lower() in result.stderr.lower()


# --- init and the key -----------------------------------------------------------

def test_init_with_env_key_writes_no_key_file(tmp_path):
    path = tmp_path / "inst"
    data = Cli(path, key_env()).json("init")
    assert data == {"instance": data["instance"], "key_fingerprint": TEST_KEY_FINGERPRINT,
                    "key_created": False, "database_created": True}
    assert not (path / "hash.key").exists()
    assert (path / "checker.db").exists()


def test_init_generates_key_file_with_mode_0600_and_is_idempotent(tmp_path):
    path = tmp_path / "inst"
    cli = Cli(path, {})
    first = cli.json("init")
    key_file = path / "hash.key"
    key_text = key_file.read_text()
    assert re.fullmatch(r"[0-9a-f]{64}\s*", key_text)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert first["key_created"] is True and first["database_created"] is True
    assert re.fullmatch(r"[0-9a-f]{16}", first["key_fingerprint"])

    second = cli.json("init")
    assert second["key_created"] is False and second["database_created"] is False
    assert second["key_fingerprint"] == first["key_fingerprint"]
    assert key_file.read_text() == key_text


def test_init_refuses_to_make_a_new_key_for_an_existing_database(instance):
    result = Cli(instance, {})("init")
    assert_fails(result, 1, "key")
    assert not (instance / "hash.key").exists()


def test_key_file_setting(instance, tmp_path):
    key_file = tmp_path / "elsewhere.key"
    key_file.write_text(TEST_KEY_HEX + "\n")
    key_file.chmod(0o600)
    data = Cli(instance, {"CHECKER_KEY_FILE": str(key_file)}).json("key", "fingerprint")
    assert data == {"fingerprint": TEST_KEY_FINGERPRINT}


@pytest.mark.parametrize("command", [
    ("check", "0612345678"),
    ("add", "0612345678", "--category", "theft"),
    ("stats",),
    ("audit",),
    ("purge",),
    ("withdraw", "1", "--reason", "x"),
    ("key", "fingerprint"),
    ("member", "add", "bob"),
    ("caseworker", "add", "bob"),
])
def test_commands_refuse_to_run_without_a_key(instance, command):
    result = Cli(instance, {})(*command)
    assert_fails(result, 1, "key")


@pytest.mark.parametrize("command", [("check", "0612345678"), ("stats",), ("audit",)])
def test_commands_refuse_a_key_other_than_the_databases(instance, command):
    result = Cli(instance, key_env(OTHER_KEY_HEX))(*command)
    assert_fails(result, 1, TEST_KEY_FINGERPRINT, OTHER_KEY_FINGERPRINT)


@pytest.mark.parametrize("bad_key", ["abc", "zz" * 32, "7e57" * 15])
def test_malformed_key_is_refused(instance, bad_key):
    result = Cli(instance, key_env(bad_key))("stats")
    assert result.exit_code == 1
    assert "key" in result.stderr.lower()
    assert bad_key not in result.stderr


def test_key_fingerprint(cli):
    assert cli.json("key", "fingerprint") == {"fingerprint": TEST_KEY_FINGERPRINT}


@pytest.mark.parametrize("where", ["env", "default"])
def test_instance_from_environment_or_default(tmp_path, where):
    path = tmp_path / ("elsewhere" if where == "env" else "instance")  # tests run in tmp_path
    env = {**key_env(), "CHECKER_INSTANCE": str(path)} if where == "env" else key_env()
    implicit = Cli(path, env)
    implicit.json("init", instance=False)
    implicit.json("add", NL_MOBILE, "--category", "theft", instance=False)
    assert (path / "checker.db").exists()
    assert Cli(path, key_env()).json("stats")["warnings"] == 1


def test_the_database_stores_the_known_token_never_the_number(cli, instance):
    add(cli, "06-12345678")
    stored = b"".join(p.read_bytes() for p in instance.rglob("*") if p.is_file())
    token = bytes.fromhex(KNOWN_TOKENS["+31612345678"])
    assert token in stored or token.hex().encode() in stored
    assert b"612345678" not in stored


# --- members and caseworkers -------------------------------------------------------

@pytest.mark.parametrize("role", ["member", "caseworker"])
def test_account_add(cli, role):
    data = cli.json(role, "add", "dana")
    assert set(data) == {"id", "name", "token"}
    assert data["name"] == "dana"
    assert isinstance(data["token"], str) and len(data["token"]) >= 20


@pytest.mark.parametrize("role", ["member", "caseworker"])
def test_account_add_duplicate_name(cli, role):
    cli.json(role, "add", "dana")
    assert_fails(cli(role, "add", "dana", "--json"), 1)


@pytest.mark.parametrize("role", ["member", "caseworker"])
def test_account_add_with_password_from_stdin(cli, role):
    data = cli.json(role, "add", "erin", "--password-stdin", input="a long passphrase\n")
    assert data["name"] == "erin"


def test_member_tokens_are_distinct(cli):
    assert cli.json("member", "add", "a")["token"] != cli.json("member", "add", "b")["token"]


def test_member_add_with_phone(cli, instance):
    data = cli.json("member", "add", "fay", "--phone", "06 8765 4321")
    assert data["name"] == "fay"
    stored = b"".join(p.read_bytes() for p in instance.rglob("*") if p.is_file())
    assert b"687654321" not in stored


def test_member_add_with_invalid_phone(cli):
    result = cli("member", "add", "gus", "--phone", "06 1234 5678 please", "--json")
    assert_fails(result, 2)
    assert_no_number_in(result.stderr, NL_MOBILE)
    assert cli.json("stats")["members"] == 0


# --- add -------------------------------------------------------------------------------

@pytest.mark.parametrize("category", CATEGORIES)
def test_add_every_category(cli, category):
    assert add(cli, NL_MOBILE, category) is not None
    assert verdict(cli, NL_MOBILE)["categories"] == [category]


def test_add_with_all_options(cli):
    add(cli, "+32 470 12 34 56", "threats", "--date", days_ago(10), "--region", "Antwerpen",
        "--summary", "Dreigde met geweld")
    result = verdict(cli, "0032470123456")
    assert result["warnings"] == 1
    assert result["last_reported"] == days_ago(10)[:7]


def test_add_reads_the_number_from_stdin(cli):
    data = cli.json("add", "-", "--category", "theft", input="06-12345678\n")
    assert "id" in data
    assert verdict(cli, NL_MOBILE)["warnings"] == 1


@pytest.mark.parametrize("args", [
    ("0612345678", "--category", "rudeness"),
    ("0612345678", "--category", "Theft"),
    ("0612345678", "--category", "theft", "--date", "2026-13-01"),
    ("0612345678", "--category", "theft", "--date", "yesterday"),
    ("0612345678", "--category", "theft", "--date", "04-12-2026"),
    ("0612345678", "--category", "theft", "--date", days_ago(-2)),
    ("06 1234 5678 please", "--category", "theft"),
    ("0971 012 3456", "--category", "theft"),
    ("", "--category", "theft"),
    ("0612345678",),
], ids=["unknown-category", "category-case", "bad-month", "word-date", "dutch-date-order",
        "future-date", "trailing-word", "invalid-097", "empty", "no-category"])
def test_add_refuses_bad_input(cli, args):
    result = cli("add", *args, "--json")
    assert_fails(result, 2)
    assert result.stdout == ""
    assert_no_number_in(result.stderr, NL_MOBILE)
    assert cli.json("stats")["warnings"] == 0


def test_add_old_warning_is_accepted_but_never_counts(cli):
    add(cli, NL_MOBILE, "theft", "--date", days_ago(2000))
    assert core(verdict(cli, NL_MOBILE)) == ZERO_VERDICT


# --- check ---------------------------------------------------------------------------

def test_check_without_warnings(cli):
    assert core(verdict(cli, "06-12345678")) == ZERO_VERDICT


def test_check_verdict_counts_sorts_and_dates(cli):
    add(cli, NL_MOBILE, "theft", "--date", days_ago(400))
    add(cli, "06 1234 5678", "physical_violence", "--date", days_ago(30))
    add(cli, "tel:+31612345678", "theft", "--date", days_ago(200))
    add(cli, NL_FIXED, "stalking")  # another number
    result = verdict(cli, "+31 (0)6 1234 5678")
    assert result["number"] == NL_MOBILE_INTL
    assert result["warnings"] == 3
    assert result["categories"] == ["physical_violence", "theft"]
    assert result["last_reported"] == days_ago(30)[:7]
    assert {"regions", "summaries"} <= set(result)


def test_check_reads_the_number_from_stdin(cli):
    add(cli)
    assert cli.json("check", "-", input="0612345678\n")["warnings"] == 1


def test_check_human_output_never_says_safe(cli):
    result = cli("check", "0612345678")
    assert result.exit_code == 0
    text = result.stdout.lower()
    assert not re.search(r"\bsafe\b", text)
    assert "no warning" in text
    assert "guarantee" in text


def test_check_human_output_with_warnings(cli):
    add(cli)
    add(cli, NL_MOBILE, "threats")
    result = cli("check", "0612345678")
    assert result.exit_code == 0
    assert "2" in result.stdout
    assert NL_MOBILE_INTL in result.stdout


@pytest.mark.parametrize("number", ["06 1234 5678 please", "0612345678;ext=1", "+999 612345678",
                                    "06-98765432", "", "tel:"])
def test_check_invalid_number(cli, number):
    result = cli("check", number, "--json")
    assert_fails(result, 2)
    assert result.stdout == ""
    assert_no_number_in(result.stderr, NL_MOBILE, "+31698765432")


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=70))
def test_check_any_text_exits_0_or_2(cli, text):
    result = cli("check", "-", "--json", input=text)
    assert result.exit_code in (0, 2)
    if result.exit_code == 0:
        assert json.loads(result.stdout)["warnings"] == 0
    else:
        assert result.stdout == "" and result.stderr.strip()


# --- import ----------------------------------------------------------------------------

HEADER = "number,category,date,region,summary"


def write_csv(tmp_path, rows, *, header=HEADER, delimiter=",", bom=False, name="import.csv"):
    lines = [header.replace(",", delimiter)] + [row.replace(",", delimiter) for row in rows]
    path = tmp_path / name
    path.write_bytes(("\ufeff" if bom else "").encode() + ("\n".join(lines) + "\n").encode())
    return path


VALID_ROWS = [
    f"06-12345678,theft,{days_ago(20)},Amsterdam,Betaalde niet",
    "+32 470 12 34 56,threats,,,",
    f"020 123 4567,stalking,{days_ago(5)},,",
]


@pytest.mark.parametrize("delimiter, bom", [(",", False), (";", False), (",", True), (";", True)])
def test_import(cli, tmp_path, delimiter, bom):
    path = write_csv(tmp_path, VALID_ROWS, delimiter=delimiter, bom=bom)
    assert cli.json("import", path) == {"imported": 3, "skipped": 0, "errors": []}
    assert verdict(cli, NL_MOBILE)["warnings"] == 1
    assert verdict(cli, BE_MOBILE)["warnings"] == 1
    assert verdict(cli, NL_FIXED)["categories"] == ["stalking"]


BAD_ROWS = [
    "06 1234 5678 please,theft,,,",  # line 3: bad number
    "0687654321,rudeness,,,",  # line 4: bad category
    "0687654321,theft,2026-02-30,,",  # line 5: bad date
]


def test_import_invalid_row_stores_nothing(cli, tmp_path):
    path = write_csv(tmp_path, VALID_ROWS[:1] + BAD_ROWS[:1] + VALID_ROWS[1:])
    result = cli("import", path, "--json")
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert_no_number_in(result.stdout + result.stderr, NL_MOBILE)
    assert cli.json("stats")["warnings"] == 0
    assert verdict(cli, BE_MOBILE)["warnings"] == 0


def test_import_skip_invalid(cli, tmp_path):
    path = write_csv(tmp_path, VALID_ROWS[:1] + BAD_ROWS)
    data = cli.json("import", path, "--skip-invalid")
    assert data["imported"] == 1 and data["skipped"] == 3
    assert [e["line"] for e in data["errors"]] == [3, 4, 5]
    assert all(isinstance(e["error"], str) and e["error"] for e in data["errors"])
    assert_no_number_in(json.dumps(data), NL_MOBILE, NL_MOBILE_2)
    assert verdict(cli, NL_MOBILE)["warnings"] == 1


def test_import_missing_file(cli, tmp_path):
    assert cli("import", tmp_path / "nope.csv").exit_code == 2


def test_import_future_date_is_refused(cli, tmp_path):
    path = write_csv(tmp_path, [f"0612345678,theft,{days_ago(-3)},,"])
    assert cli("import", path, "--json").exit_code == 1
    assert cli.json("stats")["warnings"] == 0


# --- withdraw, purge ---------------------------------------------------------------

def test_withdraw(cli):
    warning_id = add(cli)
    add(cli, NL_MOBILE, "threats")
    data = cli.json("withdraw", warning_id, "--reason", "reported in error")
    assert data == {"id": warning_id, "status": "withdrawn"}
    result = verdict(cli, NL_MOBILE)
    assert (result["warnings"], result["categories"]) == (1, ["threats"])
    stats = cli.json("stats")
    assert (stats["warnings"], stats["withdrawn"]) == (1, 1)


def test_withdraw_unknown_id(cli):
    assert_fails(cli("withdraw", "999999", "--reason", "x", "--json"), 1)


def test_withdraw_needs_a_reason(cli):
    warning_id = add(cli)
    assert cli("withdraw", warning_id).exit_code == 2
    assert verdict(cli, NL_MOBILE)["warnings"] == 1


def test_purge_uses_incident_date_and_default_retention(cli):
    add(cli, NL_MOBILE, "theft", "--date", days_ago(1830))
    add(cli, NL_MOBILE, "threats", "--date", days_ago(1800))
    assert verdict(cli, NL_MOBILE)["categories"] == ["threats"]
    assert cli.json("stats")["expired"] == 1
    assert cli.json("purge") == {"purged": 1}
    assert cli.json("purge") == {"purged": 0}
    stats = cli.json("stats")
    assert (stats["warnings"], stats["expired"]) == (1, 0)


@pytest.mark.parametrize("days", ["abc", "-5"])
def test_purge_with_nonsense_retention_is_refused(cli, days):
    add(cli, NL_MOBILE, "theft", "--date", days_ago(40))
    result = cli("purge", "--json", env={"CHECKER_RETENTION_DAYS": days})
    assert result.exit_code in (1, 2)
    assert "retention" in result.stderr.lower()
    assert cli.json("stats")["warnings"] == 1


def test_purge_with_configured_retention(cli):
    add(cli, NL_MOBILE, "theft", "--date", days_ago(40))
    add(cli, NL_MOBILE, "threats", "--date", days_ago(10))
    short = {"CHECKER_RETENTION_DAYS": "30"}
    assert cli.json("check", NL_MOBILE, env=short)["categories"] == ["threats"]
    assert cli.json("purge", env=short) == {"purged": 1}
    assert verdict(cli, NL_MOBILE)["categories"] == ["threats"]


# --- stats and audit -----------------------------------------------------------------

STATS_FIELDS = ["warnings", "withdrawn", "expired", "members", "caseworkers", "checks", "hits"]


def test_stats_start_at_zero(cli):
    stats = cli.json("stats")
    assert {k: stats[k] for k in STATS_FIELDS} == dict.fromkeys(STATS_FIELDS, 0)


def test_stats_count_accounts_and_warnings(cli):
    cli.json("member", "add", "m1")
    cli.json("member", "add", "m2")
    cli.json("caseworker", "add", "c1")
    add(cli)
    add(cli, NL_FIXED)
    stats = cli.json("stats")
    assert (stats["members"], stats["caseworkers"], stats["warnings"]) == (2, 1, 2)


def test_audit_records_who_did_what_without_numbers(cli, tmp_path):
    cli.json("member", "add", "m1", "--phone", "0687654321")
    cli.json("caseworker", "add", "c1")
    warning_id = add(cli)
    cli.json("withdraw", warning_id, "--reason", "mistake")
    cli.json("import", write_csv(tmp_path, VALID_ROWS))
    cli.json("purge")
    result = cli("audit", "--json")
    assert result.exit_code == 0
    events = json.loads(result.stdout)["events"]
    actions = {e["action"] for e in events}
    assert {"member_added", "caseworker_added", "warning_added", "warning_withdrawn",
            "import", "purge"} <= actions
    assert all({"at", "actor", "action"} <= set(e) for e in events)
    assert_no_number_in(result.stdout, NL_MOBILE, BE_MOBILE, NL_FIXED, NL_MOBILE_2)


@pytest.mark.parametrize("command", [("stats",), ("audit",), ("key", "fingerprint"), ("purge",)])
def test_human_output(cli, command):
    add(cli)
    result = cli(*command)
    assert result.exit_code == 0
    assert result.stdout.strip()
    assert_no_number_in(result.stdout, NL_MOBILE)


def test_unknown_command_is_a_usage_error(cli):
    assert cli("frobnicate").exit_code == 2


# --- real subprocesses ------------------------------------------------------------------

def test_subprocess_help():
    result = run_checker("--help")
    assert result.returncode == 0
    for command in ["init", "serve", "member", "caseworker", "add", "check", "import",
                    "withdraw", "purge", "stats", "audit", "key"]:
        assert command in result.stdout


@pytest.mark.parametrize("args, env, code", [
    (("check", "06 1234 5678 please"), key_env(), 2),
    (("check", "0612345678"), {}, 1),
    (("check", "0612345678"), key_env(OTHER_KEY_HEX), 1),
    (("add", "0612345678", "--category", "nope"), key_env(), 2),
    (("withdraw", "424242", "--reason", "x"), key_env(), 1),
    (("import", "/nonexistent/file.csv"), key_env(), 2),
])
def test_subprocess_errors_exit_cleanly(instance, args, env, code):
    result = run_checker("--instance", instance, *args, **env)
    assert result.returncode == code
    assert result.stderr.strip()
    assert "Traceback" not in result.stderr
    assert_no_number_in(result.stderr, NL_MOBILE)


def test_subprocess_check_json(instance):
    result = run_checker("--instance", instance, "check", "-", "--json",
                         input="06-12345678\n", **key_env())
    assert result.returncode == 0, result.stderr
    assert core(json.loads(result.stdout)) == ZERO_VERDICT


def test_subprocess_missing_instance_database(tmp_path):
    result = run_checker("--instance", tmp_path / "never-initialised", "stats", **key_env())
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and result.stderr.strip()


def test_serve_answers_healthz(instance, tmp_path):
    server = Server(instance, tmp_path, **key_env())
    try:
        assert server.wait_ready() == {"status": "ok"}
        status, headers, _ = http("GET", server.base + "/healthz")
        assert headers["X-Content-Type-Options"] == "nosniff"
    finally:
        server.stop()
    assert "Traceback" not in server.output()


@pytest.mark.parametrize("env, must_mention", [
    ({}, ["key"]),
    (key_env(OTHER_KEY_HEX), [TEST_KEY_FINGERPRINT, OTHER_KEY_FINGERPRINT]),
], ids=["no-key", "other-key"])
def test_serve_refuses_to_start_without_the_right_key(instance, tmp_path, env, must_mention):
    server = Server(instance, tmp_path, **env)
    try:
        assert server.proc.wait(timeout=30) == 1
    finally:
        server.stop()
    for word in must_mention:
        assert word in server.output().lower()
    assert "Traceback" not in server.output()


def test_serve_on_a_busy_port_exits_cleanly(instance, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_checker("--instance", instance, "serve", "--port", port, **key_env())
    assert result.returncode == 1
    assert f"Cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr

