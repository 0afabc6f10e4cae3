"""Shared fixtures: a real instance (SQLite in tmp_path) initialised through the CLI,
a CLI helper, the Flask app and client, and member/caseworker tokens.

Everything runs against real files; nothing of our storage is mocked.
"""

import json
import os
import re
import shutil
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

# Known answers of the hash scheme under TEST_KEY (see test_hashing.py for how they were made).
KNOWN_TOKENS = {
    "+31612345678": "88c4850224f9a0a64a01d29db20ec86dcdad2387cb0aeb1846a71bd2fc4b8630",
    "+3197012345678": "cf8c3f25b338b20049c95d16661344692c4c25bf8839637c6a660e3898fbc1aa",
    "+32470123456": "2a02379e1526c97c523830efcaa0efc81545d1813d9d7976af0b8a917dff5094",
}

# The verdict for a number without warnings (the contract's fields; more may follow).
ZERO_VERDICT = {"number": NL_MOBILE_INTL, "warnings": 0, "categories": [],
                "last_reported": None}

CATEGORIES = ["physical_violence", "sexual_violence", "theft", "non_payment",
              "threats", "stalking", "other"]


def days_ago(n: int) -> str:
    return (date.today() - timedelta(days=n)).isoformat()


def core(verdict: dict) -> dict:
    """The fields of a verdict that the contract names."""
    return {k: verdict[k] for k in ZERO_VERDICT}


def assert_no_number_in(text: str, *e164s: str) -> None:
    """None of the numbers' national digits appears in text, whatever separates them."""
    digits = re.sub(r"\D", "", text)
    for e164 in e164s:
        assert e164.lstrip("+")[2:] not in digits, f"a number ({e164[:4]}...) leaked"


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
                f"checker {' '.join(map(str, args[:2]))} raised instead of exiting cleanly:\n"
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
            self.command(instance), stdout=self._stdout, stderr=self._stderr,
            env=subprocess_env(**env), cwd=log_dir,
        )

    def command(self, instance: Path) -> list[str]:
        return [sys.executable, "-m", "checker", "--instance", str(instance), "serve",
                "--host", "127.0.0.1", "--port", str(self.port)]

    def __enter__(self):
        """``with Server(...) as server``: ready to answer inside, stopped after."""
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def wait_ready(self, timeout=60.0):
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


# --- SMS gateways -------------------------------------------------------------

SMS_PUBLIC_URL = "https://sms.example.org/"
TWILIO_TOKEN = "twilio-test-token"
BIRD_KEY = "bird-test-signing-key"


def twilio_post(client, params: dict, token=TWILIO_TOKEN, signature=None, path="/sms/twilio"):
    """POST a form to the Twilio webhook, signed as Twilio would sign it (unless given)."""
    from checker.signatures import twilio_signature

    if signature is None:
        signature = twilio_signature(token, SMS_PUBLIC_URL.rstrip("/") + path, params.items())
    headers = {"X-Twilio-Signature": signature} if signature else {}
    return client.post(path, data=params, headers=headers)


def bird_post(client, document, key=BIRD_KEY, timestamp=None, signature=None, path="/sms/bird"):
    """POST a JSON document to the Bird webhook, signed as Bird would sign it (unless given)."""
    from checker.signatures import bird_signature

    raw = json.dumps(document).encode()
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    if signature is None:
        signature = bird_signature(key, timestamp, SMS_PUBLIC_URL.rstrip("/") + path, raw)
    headers = {"messagebird-request-timestamp": timestamp, "messagebird-signature": signature,
               "Content-Type": "application/json"}
    return client.post(path, data=raw, headers=headers)


def bird_inbound(message_id: str, sender: str, text: str) -> dict:
    """A Bird Channels API webhook for an inbound SMS."""
    return {"service": "channels", "event": "sms.inbound", "payload": {
        "id": message_id, "channelId": "channel-1", "direction": "incoming",
        "sender": {"contact": {"identifierKey": "phonenumber", "identifierValue": sender}},
        "body": {"type": "text", "text": {"text": text}}}}


class FakeBird:
    """Bird's send-message API as a real HTTP server on 127.0.0.1, in a thread.

    It answers ``fail_status`` (503) to the first ``fail_first`` sends, then 202, and
    records every request it accepted."""

    def __init__(self, fail_first: int = 0, fail_status: int = 503):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        fake = self
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.attempts = 0
        self.received: list[dict] = []
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with fake._lock:
                    fake.attempts += 1
                    fail = fake.attempts <= fake.fail_first
                    if not fail:
                        fake.received.append({"path": self.path, "headers": dict(self.headers),
                                              "json": json.loads(body)})
                self.send_response(fake.fail_status if fail else 202)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"id": "out-1"}')

            def log_message(self, *args):  # keep numbers out of test output
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[dict]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"the fake Bird API got {len(self.received)} messages, not {count}")

    def texts(self) -> list[str]:
        return [r["json"]["body"]["text"]["text"] for r in self.received]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_bird():
    fake = FakeBird()
    yield fake
    fake.stop()


def sms_config(bird_url=None, **overrides) -> dict:
    """App config with both gateways configured (Bird only when its API URL is given)."""
    config = {"PUBLIC_URL": SMS_PUBLIC_URL, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN}
    if bird_url:
        config.update({"BIRD_SIGNING_KEY": BIRD_KEY, "BIRD_ACCESS_KEY": "bird-access-key",
                       "BIRD_API_URL": bird_url, "BIRD_WORKSPACE_ID": "ws-1",
                       "BIRD_CHANNEL_ID": "ch-1", "BIRD_RETRY_SECONDS": 0.05})
    config.update(overrides)
    return config
class Gunicorn(Server):
    """`gunicorn -w N 'web:create_app()'` as a real subprocess, started from ``log_dir``
    (a folder without a web/ of its own) with the repository on PYTHONPATH."""

    def __init__(self, instance: Path, log_dir: Path, workers=3, access_log=None,
                 access_format=None, **env):
        self.workers, self.access_log, self.access_format = workers, access_log, access_format
        super().__init__(instance, log_dir, CHECKER_INSTANCE=str(instance), **env)

    def command(self, instance: Path) -> list[str]:
        argv = [sys.executable, "-m", "gunicorn", "-w", str(self.workers),
                "-b", f"127.0.0.1:{self.port}", "--graceful-timeout", "5"]
        if self.access_log:
            argv += ["--access-logfile", str(self.access_log)]
        if self.access_format:
            argv += ["--access-logformat", self.access_format]
        return argv + ["web:create_app()"]


def require_program(name: str) -> str:
    """The path of a program the test needs: skip without it, but fail under CI=true."""
    path = shutil.which(name)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is required under CI=true (.ci/run installs it)")
        pytest.skip(f"{name} is not installed")
    return path


class RedisServer:
    """A private redis-server on a free loopback port, without persistence."""

    def __init__(self, log_dir: Path):
        self.program = require_program("redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log_path = log_dir / f"redis-{self.port}.log"
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            [self.program, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--logfile", str(self.log_path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while self.command("PING") != "PONG":
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("redis-server did not start: "
                                     + self.log_path.read_text(errors="replace")[-2000:])
            time.sleep(0.05)

    def command(self, *args) -> str | None:
        """One command in Redis' inline protocol; the first reply line, or None."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=2) as s:
                s.sendall((" ".join(args) + "\r\n").encode())
                return s.recv(65536).decode(errors="replace").split("\r\n")[0].lstrip("+")
        except OSError:
            return None

    def dump(self) -> bytes:
        """Every key and value, for leak scans."""
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port)
        blob = b""
        for key in client.scan_iter(count=1000):
            kind = client.type(key)
            value = client.get(key) if kind == b"string" else repr(client.dump(key)).encode()
            blob += key + b"=" + (value or b"") + b"\n"
        return blob

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    yield server
    server.stop()
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
