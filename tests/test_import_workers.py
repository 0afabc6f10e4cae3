"""A CSV import through the forked workers of `checker import` behaves as one done in
this process: blank records (empty, only commas, whitespace cells, more commas than
the header has columns) are skipped silently and leave the reported line numbers the
file's own; a non-blank row wider than the header is an error at its line; a header in
another order, or without date/region/summary, gives the same warnings. A worker that
is killed, or that meets a bug, stops the import with a message, without a traceback,
a hang or the failing values, and stores nothing.

Small files are done in this process (fewer records than CHUNK_ROWS); large ones run
`checker import` in its own process, single-threaded, where it forks one worker a core.
No timings are asserted: the machines are shared (timeouts only catch hangs)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from checker.importing import CHUNK_ROWS
from conftest import (CATEGORIES, ROOT, TEST_KEY_HEX, Cli, days_ago, key_env, run_checker,
                      skip_unless, subprocess_env)

LARGE = CHUNK_ROWS * 2 + 123  # more than two chunks: the pool is used where it can be
WIDE_ERROR = "The row has more fields than the header."

# Blank records as spreadsheets leave them: each must be skipped, never reported.
BLANK_LINES = [
    "",                    # an empty line
    ",,,,",                # only commas: as many cells as the header has columns
    "  , ,",               # whitespace cells, fewer than the header's
    ",,,,,,,,",            # more commas than the header has columns
    " , , , , , , , ,  ",  # more cells than the header, all whitespace
    '""," ",,',            # quoted empty and blank cells
    "   ",                 # a single whitespace cell
]


def mobile(i: int) -> str:
    return f"06-1{i:07d}"  # 06-10000000 ... valid Dutch mobiles


def import_(instance, path, *args):
    """`checker import` in its own process, as it runs for real: single-threaded, so a
    file of more than one chunk is turned into rows by forked workers."""
    return run_checker("--instance", instance, "import", path, "--json", *args,
                       CHECKER_HASH_KEY=TEST_KEY_HEX)


class CsvFile:
    """A CSV built line by line, with the file line (header = 1) of every error expected."""

    def __init__(self, header="number,category,date,region,summary"):
        self.lines = [header]
        self.valid = []  # indexes i of the valid rows (mobile(i))
        self.errors = []  # (line, "wide" | "category")
        self.invalid = []  # indexes i of the invalid rows
        self.next_i = 0

    @property
    def next_line(self) -> int:
        return len(self.lines) + 1

    def row(self, category="theft", extra=None) -> int:
        i = self.next_i
        self.next_i += 1
        cells = [mobile(i), category, days_ago(i % 300), "Utrecht", "a row"]
        if extra is not None:
            cells.append(extra)
        self.lines.append(",".join(cells))
        return i

    def valid_rows(self, count: int) -> None:
        for _ in range(count):
            self.valid.append(self.row())

    def fill_to(self, line: int) -> None:
        """Valid rows until the next line is ``line``."""
        self.valid_rows(line - self.next_line)

    def blanks(self) -> None:
        self.lines += BLANK_LINES

    def bad_category(self) -> None:
        self.errors.append((self.next_line, "category"))
        self.invalid.append(self.row(category="rudeness"))

    def wide(self) -> None:
        self.errors.append((self.next_line, "wide"))
        self.invalid.append(self.row(extra="extra"))

    def write(self, path: Path) -> Path:
        path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")
        return path

    def assert_errors(self, errors: list) -> None:
        assert [e["line"] for e in errors] == [line for line, _ in self.errors]
        for error, (_, kind) in zip(errors, self.errors):
            if kind == "wide":
                assert error["error"] == WIDE_ERROR
            else:
                assert error["error"].startswith("Unknown category")


def blank_file(size: str, invalid: bool) -> CsvFile:
    """Blank records at the start, between rows, straddling the first chunk boundary
    (records, blank ones included, are chunked as read), deep in the file and at its end;
    with ``invalid``, an invalid row right after most blank groups, and wide rows."""
    f = CsvFile()
    f.blanks()  # right after the header
    if invalid:
        f.bad_category()
    f.valid_rows(3)
    f.blanks()
    if invalid:
        f.wide()
        f.bad_category()
    f.valid_rows(2)
    if size == "large":
        f.fill_to(CHUNK_ROWS - 1)  # the blank group spans lines CHUNK_ROWS - 1 ... + 5
        f.blanks()
        if invalid:
            f.bad_category()
            f.valid_rows(1)
            f.wide()
        f.fill_to(2 * CHUNK_ROWS + 500)
        f.blanks()
        if invalid:
            f.bad_category()
        f.fill_to(LARGE)
        if invalid:
            f.wide()
            f.valid_rows(1)
    f.blanks()  # trailing blank lines
    f.valid_rows(1)
    f.blanks()
    return f


def run_import(size, instance, cli, path, *args) -> tuple[int, dict, str]:
    """(exit status, JSON result, stderr): a small file in this process, a large one by
    `checker import` in its own process (through its workers)."""
    if size == "small":
        result = cli("import", path, "--json", *args)
        return result.exit_code, json.loads(result.stdout), result.stderr
    result = import_(instance, path, *args)
    assert "Traceback" not in result.stderr
    return result.returncode, json.loads(result.stdout), result.stderr


@pytest.mark.parametrize("size", ["small", "large"])
def test_blank_records_are_skipped_silently(size, instance, cli, tmp_path):
    f = blank_file(size, invalid=False)
    assert (len(f.valid) > 2 * CHUNK_ROWS) == (size == "large")
    status, data, stderr = run_import(size, instance, cli, f.write(tmp_path / "blank.csv"))
    assert status == 0, stderr
    assert data == {"imported": len(f.valid), "skipped": 0, "errors": []}
    assert cli.json("stats")["warnings"] == len(f.valid)
    assert cli.json("check", mobile(f.valid[-1]))["warnings"] == 1  # after the last blanks


@pytest.mark.parametrize("size", ["small", "large"])
def test_invalid_rows_after_blank_records_keep_their_file_lines(size, instance, cli, tmp_path):
    f = blank_file(size, invalid=True)
    path = f.write(tmp_path / "invalid.csv")

    status, data, stderr = run_import(size, instance, cli, path)  # all or nothing
    assert status == 1
    assert (data["imported"], data["skipped"]) == (0, len(f.errors))
    f.assert_errors(data["errors"])
    assert cli.json("stats")["warnings"] == 0

    status, data, stderr = run_import(size, instance, cli, path, "--skip-invalid")
    assert status == 0, stderr
    assert (data["imported"], data["skipped"]) == (len(f.valid), len(f.errors))
    f.assert_errors(data["errors"])
    assert cli.json("stats")["warnings"] == len(f.valid)
    for i in f.invalid:  # not stored, and the row after each one is
        assert cli.json("check", mobile(i))["warnings"] == 0
        assert cli.json("check", mobile(i + 1))["warnings"] == (1 if i + 1 in f.valid else 0)


# -- a header in another order, or without the optional columns --------------------------

HEADERS = [
    ("summary", "category", "region", "date", "number"),
    ("number", "category"),
    ("region", "number", "category"),
    ("category", "date", "number", "summary"),
]
PROBES = [0, CHUNK_ROWS - 1, CHUNK_ROWS, CHUNK_ROWS + 1, 2 * CHUNK_ROWS + 7, LARGE - 1]


def cells_of(i: int) -> dict:
    return {"number": mobile(i), "category": CATEGORIES[i % len(CATEGORIES)],
            "date": days_ago(i % 300), "region": ["Utrecht", "Noord-Holland", "Zeeland"][i % 3],
            "summary": ["kept the money", "followed me home", "took my phone"][i % 3]}


def write_with_header(path: Path, header, indexes) -> Path:
    lines = [",".join(header)] + [",".join(cells_of(i)[name] for name in header) for i in indexes]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("header", HEADERS, ids=["-".join(h) for h in HEADERS])
def test_a_reordered_or_narrower_header_imports_the_same_through_the_workers(
        header, instance, cli, tmp_path):
    large = write_with_header(tmp_path / "large.csv", header, range(LARGE))
    result = import_(instance, large)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"imported": LARGE, "skipped": 0, "errors": []}

    # The probes alone, a small file done in this process, into an instance of their own.
    other = Cli(tmp_path / "other", key_env())
    assert other("init").exit_code == 0
    small = write_with_header(tmp_path / "small.csv", header, PROBES)
    assert other.json("import", small) == {"imported": len(PROBES), "skipped": 0, "errors": []}

    stats, other_stats = cli.json("stats"), other.json("stats")
    assert stats["warnings"] == LARGE and other_stats["warnings"] == len(PROBES)
    assert stats["expired"] == other_stats["expired"] == 0
    for i in PROBES:
        verdict = cli.json("check", mobile(i))
        assert verdict == other.json("check", mobile(i))
        expected = cells_of(i)
        assert verdict["categories"] == [expected["category"]]
        month = expected["date"][:7] if "date" in header else days_ago(0)[:7]
        assert verdict["last_reported"] == month
        assert verdict["regions"] == ([expected["region"]] if "region" in header else [])
        assert verdict["summaries"] == ([expected["summary"]] if "summary" in header else [])


# -- a worker that dies, or meets a bug ----------------------------------------------------

def children_of(pid: int) -> list[int] | None:
    """The child processes of ``pid``, or None when /proc does not list them."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return None
    return [int(child) for child in text.split()]


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def start_in_own_group(argv, **kwargs) -> subprocess.Popen:
    """A process in a process group of its own, so that ``end_group`` also ends the workers
    it forked: a worker left behind would keep the output pipes open, and the test waiting."""
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, **kwargs)


def end_group(proc: subprocess.Popen) -> None:
    """Kills what is left of ``proc``'s process group (nothing, when all went well)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if proc.returncode is None:
        proc.communicate(timeout=30)


def alive(pid: int) -> bool:
    """Running, not a zombie (a process that is gone or reaped is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def test_a_killed_worker_stops_the_import_and_stores_nothing(instance, cli, tmp_path):
    skip_unless(Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists(),
                "/proc/<pid>/task/<pid>/children is not available (kernel without "
                "CONFIG_PROC_CHILDREN, or not Linux): the workers cannot be found")
    skip_unless(len(os.sched_getaffinity(0)) >= 2, "one core: `checker import` forks no workers")
    count = 150_000  # a few seconds of work, so that a worker can be caught at it
    dates = [days_ago(d) for d in range(300)]
    path = tmp_path / "huge.csv"
    path.write_text("number,category,date,region,summary\n" + "".join(
        f"{mobile(i)},theft,{dates[i % 300]},Utrecht,a row\n" for i in range(count)),
        encoding="utf-8")

    proc = start_in_own_group(
        [sys.executable, "-m", "checker", "--instance", str(instance), "import", str(path),
         "--json"], env=subprocess_env(CHECKER_HASH_KEY=TEST_KEY_HEX))
    try:
        workers = []
        deadline = time.monotonic() + 30
        while not workers and proc.poll() is None and time.monotonic() < deadline:
            # A forked worker runs the parent's command line (a helper process would not).
            workers = [child for child in children_of(proc.pid) or []
                       if cmdline(child) == cmdline(proc.pid)]
            if not workers:
                time.sleep(0.005)
        assert workers, ("`checker import` started no worker process while it ran "
                         f"(exit status {proc.poll()})")
        os.kill(workers[0], signal.SIGKILL)
        stdout, stderr = proc.communicate(timeout=60)  # a hang fails the test
        deadline = time.monotonic() + 10
        while any(map(alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(map(alive, workers)), "a worker outlived the import"
    finally:
        end_group(proc)

    assert proc.returncode == 1, (proc.returncode, stderr)
    assert "The import stopped" in stderr and "Nothing was stored" in stderr
    assert "Traceback" not in stderr
    assert '"imported"' not in stdout
    assert cli.json("stats")["warnings"] == 0

    # The instance is not left locked or half-written: a later import works.
    small = tmp_path / "small.csv"
    small.write_text("number,category\n" + "".join(f"{mobile(i)},theft\n" for i in range(5)),
                     encoding="utf-8")
    result = import_(instance, small)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"imported": 5, "skipped": 0, "errors": []}
    assert cli.json("stats")["warnings"] == 5


BUGGY_WORKER = """
import multiprocessing, os, sys
from checker.importing import CHUNK_ROWS, COLUMNS, ImportStopped, RowPipeline

BAD_LINE = CHUNK_ROWS + 2 + 500  # a record of the second chunk: a worker's, not the first's
PARENT = os.getpid()

def make_row(number, category, date, region, summary):
    if os.getpid() == PARENT:
        print("make_row ran in the parent", flush=True)
        sys.exit(4)
    if number == "06-1%07d" % (BAD_LINE - 2):
        if sys.argv[1] == "raises":
            raise TypeError("0612345678 secret")
        return (number, (c for c in "0612345678 secret"))  # a row that cannot be sent back
    return (number, category)

header = list(COLUMNS)
records = ((i + 2, ["06-1%07d" % i, "theft", "", "", ""]) for i in range(3 * CHUNK_ROWS))
chunks = []
try:
    with RowPipeline(make_row, header, records, workers=2) as pipeline:
        for rows, errors in pipeline:
            chunks.append((len(rows), len(errors)))
except ImportStopped as exc:
    message = str(exc)
else:
    print("the import was not stopped", flush=True)
    sys.exit(3)
print("MESSAGE", message)
assert sys.argv[2] in message, message
assert "0612345678" not in message and "secret" not in message
assert chunks == [(CHUNK_ROWS, 0)], chunks  # the first chunk's rows, then the stop
assert multiprocessing.active_children() == [], "a worker outlived the pipeline"
print("STOPPED-CLEANLY")
"""


@pytest.mark.parametrize("bug, named", [("raises", "TypeError"),
                                        ("unpicklable", "TypeError")])
def test_a_bug_in_a_worker_stops_the_import_naming_only_the_exception_class(bug, named):
    proc = start_in_own_group([sys.executable, "-c", BUGGY_WORKER, bug, named], cwd=ROOT,
                              env=subprocess_env())
    try:
        stdout, stderr = proc.communicate(timeout=60)  # a hang fails the test
    finally:
        end_group(proc)
    assert proc.returncode == 0, (proc.returncode, stdout, stderr)
    assert "STOPPED-CLEANLY" in stdout
    assert "The import stopped" in stdout and named in stdout
    for output in (stdout, stderr):
        assert "0612345678" not in output and "secret" not in output
    assert "Traceback" not in stderr


def test_workers_end_when_the_import_is_killed(instance, tmp_path):
    skip_unless(Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children").exists(),
                "/proc/<pid>/task/<pid>/children is not available: the workers cannot be found")
    skip_unless(len(os.sched_getaffinity(0)) >= 2, "one core: `checker import` forks no workers")
    path = tmp_path / "huge.csv"
    path.write_text("number,category\n" + "".join(f"{mobile(i)},theft\n" for i in range(150_000)),
                    encoding="utf-8")
    proc = start_in_own_group(
        [sys.executable, "-m", "checker", "--instance", str(instance), "import", str(path)],
        env=subprocess_env(CHECKER_HASH_KEY=TEST_KEY_HEX))
    try:
        workers, deadline = [], time.monotonic() + 30
        while len(workers) < 2 and proc.poll() is None and time.monotonic() < deadline:
            workers = [child for child in children_of(proc.pid) or []
                       if cmdline(child) == cmdline(proc.pid)]
            time.sleep(0.005)
        assert workers, f"`checker import` started no worker (exit status {proc.poll()})"
        os.kill(proc.pid, signal.SIGKILL)  # as the out-of-memory killer would
        proc.wait(timeout=10)
        deadline = time.monotonic() + 20  # a worker looks for its parent every second
        while any(map(alive, workers)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(map(alive, workers)), "a worker outlived the killed import"
    finally:
        end_group(proc)
