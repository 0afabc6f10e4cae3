"""Reading a CSV of warnings as spreadsheets export it, and turning its rows into warnings.

UTF-8 with or without a byte-order mark, comma or semicolon delimited, with
the header ``number,category,date,region,summary`` (columns in any order;
date, region and summary may be left out). Rows are read one at a time, so a
file of a million rows is never held in memory.

Normalizing and hashing a number is most of an import's work. A large file is
therefore turned into rows by a pool of worker processes, chunk by chunk, in
file order, with a bounded number of chunks in flight (see ``RowPipeline``).
"""

import csv
import ctypes
import gc
import io
import multiprocessing
import operator
import os
import pickle
import queue
import signal
import threading
from collections import deque
from itertools import cycle, islice

from checker.errors import InvalidNumber, InvalidRequest, Refused

COLUMNS = ("number", "category", "date", "region", "summary")
REQUIRED = ("number", "category")
MAX_ERRORS_LISTED = 1000


def read_records(stream):
    """``(header, records)``: the checked header, and an iterator of ``(line, cells)``.

    The header is read (and checked) at once; the records as they are iterated.
    Blank records are among them: ``Cells`` leaves them out (in a worker, for a large file).
    """
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        header_line = text.readline()
    except UnicodeDecodeError:
        raise InvalidRequest("Line 1: the file is not UTF-8 text.") from None
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    header = [name.strip().lower() for name in next(csv.reader([header_line], delimiter=delimiter), [])]
    _check_header(header)
    return header, _records(csv.reader(text, delimiter=delimiter))


def _records(reader):
    line = 2
    try:
        for record in reader:
            yield line, record
            line = reader.line_num + 2
    except UnicodeDecodeError:
        raise InvalidRequest(f"Line {line}: the file is not UTF-8 text.") from None
    except csv.Error as exc:
        raise InvalidRequest(f"Line {line}: the CSV is malformed ({exc}).") from None


def _check_header(header):
    unknown = [name for name in header if name not in COLUMNS]
    missing = [name for name in REQUIRED if name not in header]
    if unknown or missing or len(set(header)) != len(header):
        raise InvalidRequest(
            "Line 1: the header must name the columns " + ",".join(COLUMNS)
            + " (number and category are required)."
        )


class Cells:
    """A record's cells in COLUMNS order, trimmed ("" for a column the file leaves out),
    or None for a blank record (skipped, as spreadsheets leave them).

    Made once per file from its header, so that a record costs a slice and a pick.
    """

    def __init__(self, header):
        self.width = len(header)
        missing = self.width  # the index of the padding cell
        picks = [header.index(name) if name in header else missing for name in COLUMNS]
        self._pick = operator.itemgetter(*picks)
        self._padding = [""] * (self.width + 1)

    def __call__(self, record) -> tuple | None:
        if len(record) > self.width:
            if not any(map(str.strip, record)):
                return None
            raise InvalidRequest("The row has more fields than the header.")
        values = tuple(map(str.strip, self._pick(record + self._padding[len(record):])))
        return values if any(values) else None  # the header names every cell


# -- turning records into rows, in parallel for a large file -------------------------------

CHUNK_ROWS = 2000
MAX_WORKERS = 8
# A chunk takes well under a second: a worker that takes this long is stuck, and the
# import stops (a worker that dies is noticed at once).
CHUNK_TIMEOUT_SECONDS = 600
PARENT_CHECK_SECONDS = 1.0  # how often an idle worker looks whether the import still runs
PR_SET_PDEATHSIG = 1  # prctl(2)


def make_rows(make_row, header, chunk) -> tuple[list, list]:
    """``(rows, errors)`` for a chunk of ``(line, record)``: ``make_row(*cells)`` of every
    valid record, and ``(line, message)`` for every other, both in file order."""
    cells = Cells(header)
    rows, errors = [], []
    for line, record in chunk:
        try:
            values = cells(record)
            if values is not None:
                rows.append(make_row(*values))
        except (InvalidNumber, InvalidRequest) as exc:
            what = "invalid number: " if isinstance(exc, InvalidNumber) else ""
            errors.append((line, what + str(exc)))
    return rows, errors


class _Worker:
    """A forked process that turns chunks into rows: chunk i of a pipeline goes to
    worker i % n, so reading each worker's results in turn gives them in file order.

    Nothing in the parent but its inserting thread touches the rows: a pool's helper
    threads would contend with it for the interpreter lock at every row. Chunks go
    through a queue, whose feeder thread only writes bytes, so that sending never
    waits for a busy worker. Results come back through a pipe written by a thread of
    the worker's own, so that a worker never waits for the parent to take a result;
    only the worker holds the pipe's writing end, so its death ends the pipe.
    """

    def __init__(self, context, make_row, header):
        self.tasks = context.Queue()
        self.tasks.cancel_join_thread()  # exiting never waits on a worker that is gone
        self.results, writer = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_serve, daemon=True,
            args=(self.tasks, writer, make_row, header, os.getpid()),
        )
        self.process.start()
        writer.close()

    def send(self, chunk) -> None:
        self.tasks.put(pickle.dumps(chunk, pickle.HIGHEST_PROTOCOL))

    def receive(self) -> tuple[list, list]:
        if not self.results.poll(CHUNK_TIMEOUT_SECONDS):  # a dead worker's pipe is ready: EOF
            raise ImportStopped("a worker process of the import is stuck")
        try:
            result = pickle.loads(self.results.recv_bytes())
        except (EOFError, OSError):
            raise ImportStopped("a worker process of the import ended unexpectedly") from None
        if isinstance(result, str):
            raise ImportStopped(f"a worker process of the import failed ({result})")
        return result

    def stop(self) -> None:
        self.tasks.put(None)
        self.tasks.close()

    def join(self, finished: bool) -> None:
        if finished:
            self.tasks.join_thread()  # the worker took every chunk: the feeder is done
        else:
            self.process.terminate()
        self.process.join()
        self.results.close()


class ImportStopped(Refused):
    """A worker process died (killed for memory, say) or hung: the import is rolled back."""

    def __init__(self, why: str):
        super().__init__(f"The import stopped: {why}. Nothing was stored.")


def _serve(tasks, results, make_row, header, parent: int) -> None:
    gc.freeze()  # what the fork inherited (phonenumbers' metadata) is never collected
    _end_with_parent(parent)
    outbox = queue.SimpleQueue()
    sender = threading.Thread(target=_send_all, args=(outbox, results), daemon=True)
    sender.start()
    try:
        while (data := _next_task(tasks, parent)) is not None:
            try:
                chunk = make_rows(make_row, header, pickle.loads(data))
                result = pickle.dumps(chunk, pickle.HIGHEST_PROTOCOL)
            except Exception as exc:  # a bug: named, not shown (its values may hold a number)
                result = pickle.dumps(exc.__class__.__name__)
            outbox.put(result)
    finally:
        outbox.put(None)
        sender.join()


def _end_with_parent(parent: int) -> None:
    """Have the kernel kill this worker when the import's process dies (killed for memory,
    say). Nothing else would end it then: it holds its own queue's writing end, so it would
    wait for a chunk forever, or for the rest of one its parent was writing."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: _next_task looks, between chunks
        pass
    if os.getppid() != parent:  # it died before the request was made
        os._exit(1)


def _next_task(tasks, parent: int):
    """The next chunk's bytes; None at the end, or once the parent has died."""
    while True:
        try:
            return tasks.get(timeout=PARENT_CHECK_SECONDS)
        except queue.Empty:
            if os.getppid() != parent:
                return None


def _send_all(outbox, results) -> None:
    while (data := outbox.get()) is not None:
        results.send_bytes(data)
    results.close()


def pool_size() -> int:
    """Worker processes for a large import: one per core, or none if forking is unsafe.

    Workers are forked, so that they inherit the hashing key without it being
    pickled anywhere, and only from a single-threaded process (the CLI): forking
    a threaded process (a web server) can copy a lock held by another thread.
    """
    if "fork" not in multiprocessing.get_all_start_methods() or threading.active_count() > 1:
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(cores or 1, MAX_WORKERS) if (cores or 1) > 1 else 0


class RowPipeline:
    """Yields ``(rows, errors)`` for every chunk of records, in file order (``make_rows``).

    ``make_row(*cells)`` turns one record's cells (in COLUMNS order) into a row or raises
    InvalidNumber / InvalidRequest. The first chunk is read when the pipeline
    is entered: a file that fits in it is done in this process, a larger one
    by a pool of forked workers (started here, before the caller opens its
    write transaction), at most two chunks per worker in flight, so memory
    stays bounded whatever the file's size.
    """

    def __init__(self, make_row, header, records, workers=None):
        self.make_row, self.header, self.records = make_row, header, records
        self.workers = pool_size() if workers is None else workers
        self.pool = None
        self.finished = False  # every record was read and turned into rows

    def __enter__(self):
        self.first = list(islice(self.records, CHUNK_ROWS))
        if self.workers and len(self.first) == CHUNK_ROWS:
            context = multiprocessing.get_context("fork")
            self.pool = [_Worker(context, self.make_row, self.header) for _ in range(self.workers)]
        return self

    def __exit__(self, exc_type, *exc):
        if self.pool is not None:
            for worker in self.pool:
                worker.stop()
            for worker in self.pool:
                worker.join(finished=exc_type is None and self.finished)

    def __iter__(self):
        if self.pool is None:
            for chunk in self._chunks():
                yield make_rows(self.make_row, self.header, chunk)
        else:
            yield from self._from_pool()
        self.finished = True

    def _from_pool(self):
        in_flight = deque()
        workers = cycle(self.pool)
        for chunk in self._chunks():
            worker = next(workers)
            worker.send(chunk)
            in_flight.append(worker)
            if len(in_flight) >= 2 * len(self.pool):
                yield in_flight.popleft().receive()
        while in_flight:
            yield in_flight.popleft().receive()

    def _chunks(self):
        yield self.first
        while chunk := list(islice(self.records, CHUNK_ROWS)):
            yield chunk
