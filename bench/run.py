#!/usr/bin/env python3
"""Benchmarks: ``make bench`` (or ``python bench/run.py [--quick]``).

Prints one table. Every figure stands beside a baseline measured in the same
run, because the machines are shared and noisy: the ratios are what count.

1. in-process check (``Checker.parse`` + ``Checker.verdict``: normalize, hash,
   look up, count) per call, against ``phonenumbers.parse`` + ``is_valid_number``;
2. HTTP check throughput under ``gunicorn -w 2`` against a bare Flask JSON
   endpoint (``bench/bare_app.py``) served the same way, load from ``wrk``;
3. p50 and p99 latency of checks at 8 and 32 connections (``wrk --latency``);
4. ``checker import`` of N generated rows: rows/s and peak memory (largest
   ru_maxrss of the import process and its pool workers), against one core
   doing ``phonenumbers.parse`` + ``is_valid_number`` on the same numbers;
5. resident memory of one gunicorn worker serving the imported database,
   after the HTTP runs, against a bare Flask worker;
6. the enumeration bound: at the default ``CHECKER_CHECK_LIMITS``, how long one
   account needs to check every Dutch mobile number (10^8).

Everything happens in a temporary instance (synthetic numbers, a throwaway
key), deleted at the end unless ``--keep``.
"""

import argparse
import json
import os
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DUTCH_MOBILES = 10**8
HIGH_LIMITS = "1000000000 per day"  # throughput runs would otherwise measure 429s
HIGH_QUOTA = str(10**9)
CATEGORIES = ["physical_violence", "sexual_violence", "theft", "non_payment",
              "threats", "stalking", "other"]
REGIONS = ["Amsterdam", "Rotterdam", "Utrecht", "Den Haag", "Eindhoven", "Groningen",
           "Tilburg", "Almere", "Breda", "Nijmegen", ""]
SUMMARIES = ["", "", "", "Refused to pay after the booking.", "Aggressive when asked to leave.",
             "Took photos without consent.", "Kept calling for days afterwards.",
             "Arrived 2 hours late and was violent.", "Stole a phone and cash."]
SECTIONS = ("verdict", "http", "import", "enumeration")

TARGETS = {
    "verdict": 1.3,        # at most this many times the phonenumbers baseline
    "throughput": 0.8,     # at least this fraction of the bare endpoint
    "p99_8": 10.0,         # ms
    "import_rows": 50_000,  # rows/s
    "worker_rss": 100.0,   # MB
    "years": 1000.0,
}


# -- helpers -------------------------------------------------------------------------


def env_for(instance: Path, key_hex: str, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHECKER_")}
    env.update(CHECKER_INSTANCE=str(instance), CHECKER_HASH_KEY=key_hex, **extra)
    return env


def checker_cli(args, env, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "checker", *args], env=env, check=True,
                          capture_output=True, text=True, **kwargs)


def mobile(rng: random.Random) -> str:
    """A random Dutch mobile that phonenumbers 9.0.43 accepts (06-1.. to 06-5..)."""
    return f"06{rng.randint(10_000_000, 59_999_999)}"


def typed(number: str, rng: random.Random) -> str:
    """The number written the way people type it."""
    digits = number[1:]  # 6xxxxxxxx
    return rng.choice([
        f"0{digits[:1]}-{digits[1:]}",
        f"+31 {digits[0]} {digits[1:5]} {digits[5:]}",
        f"0031{digits}",
        f"0{digits[0]} {digits[1:3]} {digits[3:5]} {digits[5:7]} {digits[7:]}",
    ])


def write_csv(path: Path, rows: int, seed: int = 7) -> list[str]:
    """Write ``rows`` warnings; return a sample of the numbers written (for hits)."""
    rng = random.Random(seed)
    today = date.today()
    sample = []
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("number,category,date,region,summary\n")
        for i in range(rows):
            number = mobile(rng)
            if i % max(1, rows // 500) == 0:
                sample.append(number)
            day = today - timedelta(days=rng.randint(0, 3 * 365))
            f.write(f"{typed(number, rng)},{rng.choice(CATEGORIES)},{day.isoformat()},"
                    f"{rng.choice(REGIONS)},{rng.choice(SUMMARIES)}\n")
    return sample


def check_numbers(known: list[str], count: int, seed: int = 11) -> list[str]:
    """Numbers to check, as typed: every other one carries warnings."""
    rng = random.Random(seed)
    return [typed(known[i % len(known)] if i % 2 == 0 else mobile(rng), rng)
            for i in range(count)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port: int, path: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
                if s.recv(64).startswith(b"HTTP/1."):
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answered on port {port}")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child_pids(pid: int) -> list[int]:
    pids = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        pids += [int(p) for p in (task / "children").read_text().split()]
    return pids


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


# -- 1. in-process verdict ------------------------------------------------------------


def bench_verdict(instance: Path, key_hex: str, numbers: list[str], rounds: int) -> dict:
    """Best-of-rounds time per call of our check path and of phonenumbers alone, interleaved.

    The best round, not the median: on a shared machine noise only ever adds time. Also
    the same numbers written as ``31612345678`` (a country code without its plus), a
    form that hashing.fastread leaves to phonenumbers.parse: the slow path's cost."""
    import phonenumbers

    os.environ.update(env_for(instance, key_hex))
    from checker.cli import Context
    from hashing import load_metadata

    checker = Context(str(instance)).checker
    load_metadata()  # as create_app does at start-up
    general = [checker.parse(text).e164[1:] for text in numbers]  # 316..., no plus

    def ours():
        for text in numbers:
            checker.verdict(checker.parse(text), "api")

    def ours_general():
        for text in general:
            checker.verdict(checker.parse(text), "api")

    def baseline():
        for text in numbers:
            phonenumbers.is_valid_number(phonenumbers.parse(text, "NL"))

    ours(), ours_general(), baseline()  # warm up: the SQLite page cache, phonenumbers' metadata
    times = {"ours": [], "ours_general": [], "baseline": []}
    for _ in range(rounds):
        for name, fn in (("baseline", baseline), ("ours", ours), ("ours_general", ours_general)):
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) / len(numbers) * 1e6)
    return {name: min(values) for name, values in times.items()}


# -- 2, 3, 5. HTTP under gunicorn ------------------------------------------------------

LUA = """
local token = os.getenv("BENCH_TOKEN") or ""
local numbers = {%s}
local i = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
request = function()
  i = i %% #numbers + 1
  return wrk.format(nil, nil, nil, '{"number": "' .. numbers[i] .. '"}')
end
"""


class Gunicorn:
    def __init__(self, app: str, env: dict, workers: int = 2, pythonpath: str | None = None):
        self.port = free_port()
        args = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{self.port}",
                "--log-level", "warning"]
        if pythonpath:
            args += ["--pythonpath", pythonpath]
        self.proc = subprocess.Popen(args + [app], env=env, cwd=tempfile.gettempdir(),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def __enter__(self):
        wait_http(self.port, "/healthz")
        time.sleep(0.5)  # let every worker finish booting
        return self

    def worker_rss(self) -> float:
        return max(rss_mb(pid) for pid in child_pids(self.proc.pid))

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def wrk(port: int, script: Path, token: str, connections: int, seconds: float) -> dict:
    result = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "-s", str(script),
         f"http://127.0.0.1:{port}/api/v1/check"],
        capture_output=True, text=True, check=True, env={**os.environ, "BENCH_TOKEN": token},
    )
    return parse_wrk(result.stdout)


def parse_wrk(text: str) -> dict:
    def ms(value: str) -> float:
        number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()
        return float(number) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]

    out = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))}
    for pct in ("50", "99"):
        out[f"p{pct}"] = ms(re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", text, re.M).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    out["non2xx"] = int(bad.group(1)) if bad else 0
    errors = re.search(r"Socket errors: (.*)", text)
    out["socket_errors"] = errors.group(1) if errors else ""
    return out


def bench_http(instance, key_hex, token, numbers, rounds, seconds, work: Path) -> dict:
    script = work / "check.lua"
    script.write_text(LUA % ", ".join(json.dumps(n) for n in numbers[:200]))
    # Limits high enough never to refuse, but still counted (the distinct-number quota too).
    ours_env = env_for(instance, key_hex, CHECKER_CHECK_LIMITS=HIGH_LIMITS,
                       CHECKER_DISTINCT_DAILY_QUOTA=HIGH_QUOTA,
                       CHECKER_DISTINCT_FLAG_THRESHOLD=HIGH_QUOTA)
    runs = {(app, c): [] for app in ("ours", "bare") for c in (8, 32)}
    rss = {}
    servers = {
        "ours": Gunicorn("web:create_app()", ours_env),
        "bare": Gunicorn("bare_app:app", ours_env, pythonpath=str(BENCH)),
    }
    for server in servers.values():
        server.__enter__()
    try:
        for name, server in servers.items():
            wrk(server.port, script, token, 8, 1)  # warm up
        for _ in range(rounds):
            for connections in (8, 32):
                for name, server in servers.items():
                    runs[(name, connections)].append(
                        wrk(server.port, script, token, connections, seconds))
        rss = {name: server.worker_rss() for name, server in servers.items()}
    finally:
        for server in servers.values():
            server.__exit__()
    failed = sum(r["non2xx"] for rs in runs.values() for r in rs)
    median = {key: {m: statistics.median(r[m] for r in rs) for m in ("rps", "p50", "p99")}
              for key, rs in runs.items()}
    # Rounds ran ours and bare back to back, so a round's ratio compares like with like.
    round_ratios = [o["rps"] / b["rps"] for o, b in zip(runs[("ours", 8)], runs[("bare", 8)])]
    return {"median": median, "rss": rss, "non2xx": failed, "round_ratios": round_ratios}


# -- 4. import -----------------------------------------------------------------------------


def bench_import(instance, key_hex, csv_path: Path, rows: int, sample: list[str]) -> dict:
    import phonenumbers

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "checker", "import", str(csv_path), "--json"],
        env=env_for(instance, key_hex), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    stdout, stderr = proc.communicate()
    elapsed = time.perf_counter() - start
    # ru_maxrss of everything this process has waited for so far: the import and its pool
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_kb = after.ru_maxrss
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    if proc.returncode != 0:
        raise RuntimeError(f"checker import failed ({proc.returncode}): {stderr[-2000:]}")
    result = json.loads(stdout)
    if result["imported"] != rows:
        raise RuntimeError(f"imported {result['imported']} of {rows} rows")

    rng = random.Random(3)
    texts = [typed(mobile(rng), rng) for _ in range(20_000)]
    start = time.perf_counter()
    for text in texts:
        phonenumbers.is_valid_number(phonenumbers.parse(text, "NL"))
    baseline = len(texts) / (time.perf_counter() - start)
    return {"rows_per_s": rows / elapsed, "seconds": elapsed, "peak_mb": peak_kb / 1024,
            "cpu_us_per_row": cpu / rows * 1e6, "baseline_rows_per_s": baseline}


# -- 6. enumeration bound ---------------------------------------------------------------------


def enumeration_years(limits_text: str | None = None) -> dict:
    """Years one account needs to check 10^8 numbers at the given limits (the tightest wins)."""
    from limits import parse_many

    if limits_text is None:
        from web.app import DEFAULTS

        limits_text = DEFAULTS["CHECK_LIMITS"]
    per_second = min(item.amount / item.get_expiry() for item in parse_many(limits_text))
    return {"limits": limits_text, "per_day": per_second * 86400,
            "years": DUTCH_MOBILES / per_second / (365.25 * 86400)}


# -- the table ---------------------------------------------------------------------------------


def row(number, measure, ours, baseline, ratio, target, met):
    return (str(number), measure, ours, baseline, ratio, target,
            "n/a" if met is None else ("yes" if met else "NO"))


def print_table(rows, notes, out=sys.stdout):
    header = ("#", "measure", "ours", "baseline", "ratio", "target", "met")
    table = [header] + rows
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]

    def line(r):
        return "| " + " | ".join(cell.ljust(w) for cell, w in zip(r, widths)) + " |"

    print(line(header), file=out)
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|", file=out)
    for r in rows:
        print(line(r), file=out)
    print(file=out)
    for note in notes:
        print(f"- {note}", file=out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="100,000 rows, 2 rounds of 3 s: a fast, rougher run")
    parser.add_argument("--rows", type=int, help="rows to generate and import (default 1,000,000)")
    parser.add_argument("--rounds", type=int, help="wrk rounds per setting (default 5)")
    parser.add_argument("--seconds", type=int, help="seconds per wrk round (default 5)")
    parser.add_argument("--only", action="append", choices=SECTIONS,
                        help="run only these sections (repeatable); all but 'enumeration' import the rows first")
    parser.add_argument("--keep", action="store_true", help="keep the temporary instance")
    args = parser.parse_args(argv)
    rows_n = args.rows or (100_000 if args.quick else 1_000_000)
    rounds = args.rounds or (2 if args.quick else 5)
    seconds = args.seconds or (3 if args.quick else 5)
    sections = set(args.only or SECTIONS)

    table, notes = [], []
    if "enumeration" in sections:
        e = enumeration_years()
        table.append(row(6, f"years to check 10^8 NL mobiles ({e['limits']!r})",
                         f"{e['years']:,.0f} y", f"{e['per_day']:.0f} checks/day", "",
                         f"> {TARGETS['years']:,.0f} y", e["years"] > TARGETS["years"]))
    if sections - {"enumeration"}:
        work = Path(tempfile.mkdtemp(prefix="checker-bench-"))
        try:
            table[:0] = run_heavy(sections, work, rows_n, rounds, seconds, notes)
        finally:
            if args.keep:
                print(f"kept {work}", file=sys.stderr)
            else:
                shutil.rmtree(work, ignore_errors=True)
    table.sort(key=lambda r: r[0])
    load = os.getloadavg()
    notes[:0] = [
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores ({cpu_model()}), "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}; Python {sys.version.split()[0]}",
        f"rows {rows_n:,}; wrk: {rounds} rounds x {seconds:g} s per setting, medians; "
        "in-process: best of interleaved rounds of 1,000 checks (half of them hits)",
    ]
    print_table(table, notes)
    return 0


def run_heavy(sections, work: Path, rows_n, rounds, seconds, notes) -> list:
    table = []
    instance = work / "instance"
    key_hex = secrets.token_hex(32)
    env = env_for(instance, key_hex)
    checker_cli(["init"], env)
    token = json.loads(checker_cli(["member", "add", "bench", "--json"], env).stdout)["token"]
    csv_path = work / "warnings.csv"
    sample = write_csv(csv_path, rows_n)  # every section but 6 runs on the imported database
    numbers = check_numbers(sample, 1000)

    imported = bench_import(instance, key_hex, csv_path, rows_n, sample)
    csv_path.unlink()
    if "import" in sections:
        table.append(row(4, f"import {rows_n:,} rows: rows/s (1 core phonenumbers baseline)",
                         f"{imported['rows_per_s']:,.0f}",
                         f"{imported['baseline_rows_per_s']:,.0f}",
                         f"{imported['rows_per_s'] / imported['baseline_rows_per_s']:.2f}x",
                         f">= {TARGETS['import_rows']:,}",
                         imported["rows_per_s"] >= TARGETS["import_rows"]))
        cores = os.cpu_count() or 1
        idle_estimate = cores * 1e6 / imported["cpu_us_per_row"]
        table.append(row(4, f"import: CPU per row, all processes (rows/s if {cores} cores were free)",
                         f"{imported['cpu_us_per_row']:.0f} us ({idle_estimate:,.0f}/s)",
                         f"{1e6 / imported['baseline_rows_per_s']:.0f} us", "", "", None))
        table.append(row(4, "import: peak memory (largest process)",
                         f"{imported['peak_mb']:.0f} MB", "", "", "bounded", None))
    if "verdict" in sections:
        v = bench_verdict(instance, key_hex, numbers, max(3, rounds * 2))
        ratio = v["ours"] / v["baseline"]
        table.append(row(1, "in-process check, us/call (parse+verdict vs parse+is_valid)",
                         f"{v['ours']:.1f} us", f"{v['baseline']:.1f} us", f"{ratio:.2f}x",
                         f"<= {TARGETS['verdict']}x", ratio <= TARGETS["verdict"]))
        table.append(row(1, "  the same, typed 31612345678 (read by phonenumbers.parse)",
                         f"{v['ours_general']:.1f} us", f"{v['baseline']:.1f} us",
                         f"{v['ours_general'] / v['baseline']:.2f}x", "", None))
    if "http" in sections:
        h = bench_http(instance, key_hex, token, numbers, rounds, seconds, work)
        m = h["median"]
        ratio = m[("ours", 8)]["rps"] / m[("bare", 8)]["rps"]
        table.append(row(2, "HTTP checks/s, gunicorn -w 2, 8 connections",
                         f"{m[('ours', 8)]['rps']:,.0f}", f"{m[('bare', 8)]['rps']:,.0f}",
                         f"{ratio:.2f}", f">= {TARGETS['throughput']}", ratio >= TARGETS["throughput"]))
        for c in (8, 32):
            for pct in ("p50", "p99"):
                ours, bare = m[("ours", c)][pct], m[("bare", c)][pct]
                target = f"< {TARGETS['p99_8']:g} ms" if (c, pct) == (8, "p99") else ""
                met = ours < TARGETS["p99_8"] if target else None
                table.append(row(3, f"latency {pct} at {c} connections", f"{ours:.2f} ms",
                                 f"{bare:.2f} ms", f"{ours / bare:.2f}x", target, met))
        table.append(row(5, f"RSS of one worker, {rows_n:,} warnings, after the runs",
                         f"{h['rss']['ours']:.0f} MB", f"{h['rss']['bare']:.0f} MB",
                         f"{h['rss']['ours'] / h['rss']['bare']:.2f}x",
                         f"< {TARGETS['worker_rss']:g} MB", h["rss"]["ours"] < TARGETS["worker_rss"]))
        notes.append("HTTP throughput ratio of each round at 8 connections: "
                     + ", ".join(f"{r:.2f}" for r in h["round_ratios"]))
        notes.append(f"HTTP runs: CHECKER_CHECK_LIMITS={HIGH_LIMITS!r} and a distinct-number quota "
                     f"of {HIGH_QUOTA} (the defaults would answer 429), memory:// limit storage "
                     "(per worker); wrk -t1 on the same machine")
        if h["non2xx"]:
            notes.append(f"WARNING: {h['non2xx']} responses were not 2xx")
    return table


if __name__ == "__main__":
    sys.exit(main())
