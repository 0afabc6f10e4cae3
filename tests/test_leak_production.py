"""The leak scan again, in production shape: gunicorn with its access log on, limits in a
real Redis. The access log, gunicorn's output, every instance file and every Redis key and
value are scanned for every number (helpers in leakscan.py)."""

import json

import pytest

from conftest import Cli, Gunicorn, http
from leakscan import HTTP_SCENARIO, find, number_needles, tokens_for

pytestmark = [pytest.mark.redis, pytest.mark.slow]


@pytest.fixture
def production_run(tmp_path, redis_server):
    instance = tmp_path / "instance"
    cli = Cli(instance, {})
    assert cli("init").exit_code == 0
    tokens = {
        "member": cli.json("member", "add", "mia", "--phone", "06 8765 4321")["token"],
        "caseworker": cli.json("caseworker", "add", "cas")["token"],
    }
    logs = tmp_path / "logs"
    logs.mkdir()
    access_log = logs / "access.log"
    server = Gunicorn(instance, logs, workers=2, access_log=access_log,
                      CHECKER_RATELIMIT_STORAGE_URI=redis_server.url,
                      CHECKER_DISTINCT_FLAG_THRESHOLD="2")
    outputs = {}
    try:
        server.wait_ready()
        for i, (method, path, body, role, shows_number) in enumerate(HTTP_SCENARIO * 2):
            status, _, answer = http(method, server.base + path, body, tokens_for(tokens, role))
            assert status < 500, (path, status, answer)
            if not shows_number:
                outputs[f"{i} {path} {status}"] = json.dumps(answer)
    finally:
        server.stop()
    outputs["gunicorn stdout+stderr"] = server.output()
    outputs["access log"] = access_log.read_text(errors="replace")
    outputs["redis"] = redis_server.dump()
    outputs["audit"] = json.dumps(cli.json("audit"))
    files = {p: p.read_bytes() for p in instance.rglob("*") if p.is_file()}
    return outputs, files


def test_the_production_scan_sees_what_it_scans(production_run):
    outputs, files = production_run
    checks = sum(1 for step in HTTP_SCENARIO if step[1] == "/api/v1/check")
    assert outputs["access log"].count("POST /api/v1/check") == 2 * checks
    assert b"distinct/" in outputs["redis"] and b"checks" in outputs["redis"]
    assert any(p.name == "checker.db" for p in files)
    assert "member_flagged" in outputs["audit"]


def test_no_number_in_access_log_redis_output_or_files(production_run):
    outputs, files = production_run
    needles = number_needles()
    leaks = {name: find(needles, text if isinstance(text, bytes) else text.encode())
             for name, text in outputs.items()}
    leaks |= {str(path): find(needles, blob) for path, blob in files.items()}
    assert {name: found for name, found in leaks.items() if found} == {}
    assert "Traceback" not in outputs["gunicorn stdout+stderr"]
