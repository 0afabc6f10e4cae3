"""Shared fixtures: a real instance (SQLite in tmp_path) initialised through the CLI,
a CLI helper, the Flask app and client, and member/caseworker tokens.

Everything runs against real files; nothing of our storage is mocked.
"""

import json
import os
import socket
import subprocess
import sys
import time
import traceback
import urllib.error
import urllib.request
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# A visibly fake key: never a real instance's key.
TEST_KEY_HEX = "7e57" * 16
TEST_KEY = bytes.fromhex(TEST_KEY_HEX)
# blake3(TEST_KEY, derive_key_context="sexwork-safety checker 2026-12-04 key fingerprint v1")
TEST_KEY_FINGERPRINT = "ad32a9e2b783fc54"
OTHER_KEY_HEX = bytes(range(32)).hex()
OTHER_KEY_FINGERPRINT = "0f465c0ef64c55b0"

# Numbers that phonenumbers 9.0.43 accepts as valid.
NL_MOBILE = "+31612345678"
NL_MOBILE_INTL = "+31 6 12345678"
NL_MOBILE_2 = "+31687654321"
NL_FIXED = "+31201234567"
BE_MOBILE = "+32470123456"

CATEGORIES = ["physical_violence", "sexual_violence", "theft", "non_payment",
              "threats", "stalking", "other"]


def days_ago(n: int) -> str:
    return (date.today() - timedelta(days=n)).isoformat()


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch, tmp_path):
    """No CHECKER_* variable of the developer's shell leaks into a test, and a
    default ./instance would land in tmp_path, never in the repository."""
    for name in list(os.environ):
        if name.startswith("CHECKER_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


class Cli:
    """Invokes the click group in-process with a fixed instance and environment."""

    def __init__(self, instance: Path, env: dict):
        self.instance = instance
        self.env = env

    def __call__(self, *args, input=None, env=None, instance=True):
        from checker.cli import cli as group

        full_env = {**self.env, **(env or {})}
        argv = (["--instance", str(self.instance)] if instance else []) + [str(a) for a in args]
        result = CliRunner().invoke(group, argv, input=input, env=full_env)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(
                f"checker {' '.join(args[:2])} raised instead of exiting cleanly:\n"
                + "".join(traceback.format_exception(*result.exc_info))
            )
        assert "Traceback" not in result.stderr
        return result

    def json(self, *args, **kwargs) -> dict:
        """Runs a command with --json, requires exit 0 and exactly one JSON object on stdout."""
        result = self(*args, "--json", **kwargs)
        assert result.exit_code == 0, (result.exit_code, result.stderr)
        data = json.loads(result.stdout)
        assert isinstance(data, dict)
        return data


def key_env(key_hex: str = TEST_KEY_HEX) -> dict:
    return {"CHECKER_HASH_KEY": key_hex}


@pytest.fixture
def instance(tmp_path) -> Path:
    path = tmp_path / "instance"
    result = Cli(path, key_env())("init")
    assert result.exit_code == 0, result.stderr
    return path


@pytest.fixture
def cli(instance) -> Cli:
    return Cli(instance, key_env())


@pytest.fixture
def make_app(instance):
    from web import create_app

    def make(**overrides):
        config = {"TESTING": True, "INSTANCE": str(instance), "HASH_KEY": TEST_KEY_HEX}
        config.update(overrides)
        return create_app(config)

    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def member_token(cli) -> str:
    return cli.json("member", "add", "alice")["token"]


@pytest.fixture
def caseworker_token(cli) -> str:
    return cli.json("caseworker", "add", "carol")["token"]


# --- subprocesses -----------------------------------------------------------

def subprocess_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHECKER_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def run_checker(*args, input=None, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "checker", *map(str, args)],
        input=input, capture_output=True, text=True, timeout=60, env=subprocess_env(**env),
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, token=None, timeout=5):
    """Returns (status, headers, parsed JSON or raw text) without raising on 4xx/5xx."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            status, headers, raw = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        status, headers, raw = err.code, err.headers, err.read()
    try:
        return status, headers, json.loads(raw)
    except ValueError:
        return status, headers, raw.decode("utf-8", "replace")


class Server:
    """`checker serve` as a real subprocess, stdout/stderr captured to files."""

    def __init__(self, instance: Path, log_dir: Path, **env):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.stdout_path = log_dir / f"serve-{self.port}.out"
        self.stderr_path = log_dir / f"serve-{self.port}.err"
        self._stdout = open(self.stdout_path, "wb")
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "checker", "--instance", str(instance), "serve",
             "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=self._stdout, stderr=self._stderr, env=subprocess_env(**env),
        )

    def wait_ready(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"checker serve exited with {self.proc.returncode}: "
                                     + self.stderr_path.read_text(errors="replace"))
            try:
                status, _, body = http("GET", self.base + "/healthz", timeout=1)
                if status == 200:
                    return body
            except OSError:
                pass
            time.sleep(0.1)
        raise AssertionError("checker serve did not answer /healthz in time")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._stdout.close()
        self._stderr.close()

    def output(self) -> str:
        return (self.stdout_path.read_text(errors="replace")
                + self.stderr_path.read_text(errors="replace"))


# --- optional system tools, and the web pages ---------------------------------

def skip_unless(available: bool, reason: str) -> None:
    """Skip when a system tool is missing, except under CI=true, where it must be there."""
    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: this test must run)")
    pytest.skip(reason)


MEMBER_PASSWORD = "paper-lantern-42"
CASEWORKER_PASSWORD = "river-stone-1789"


@pytest.fixture
def member_login(cli) -> tuple[str, str]:
    """A member 'alice' who can sign in on the web page: (name, password)."""
    result = cli("member", "add", "alice", "--password-stdin", input=MEMBER_PASSWORD + "\n")
    assert result.exit_code == 0, result.stderr
    return "alice", MEMBER_PASSWORD


def csrf_of(html: str) -> str:
    """The csrf_token of the first form in a page."""
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no csrf_token field in the page"
    return match.group(1)
