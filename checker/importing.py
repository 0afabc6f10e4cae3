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
import io
import multiprocessing
import os
import threading
from collections import deque
from itertools import islice

from checker.errors import InvalidNumber, InvalidRequest

COLUMNS = ("number", "category", "date", "region", "summary")
REQUIRED = ("number", "category")
MAX_ERRORS_LISTED = 1000


def read_records(stream):
    """``(header, records)``: the checked header, and an iterator of ``(line, cells)``.

    The header is read (and checked) at once; the records as they are iterated.
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
            if any(cell.strip() for cell in record):
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


def as_row(header, record) -> dict:
    """The cells of a record by column name, trimmed; ``{"_error": ...}`` if too many."""
    if len(record) > len(header):
        return {"_error": "the row has more fields than the header"}
    values = dict(zip(header, record))
    return {name: values.get(name, "").strip() for name in COLUMNS}


# -- turning records into rows, in parallel for a large file -------------------------------

CHUNK_ROWS = 2000
MAX_WORKERS = 8
# A chunk takes well under a second; a worker killed from outside (out of memory) would
# otherwise leave the import waiting for its chunk forever.
CHUNK_TIMEOUT_SECONDS = 600


def make_rows(make_row, header, chunk):
    """``[(line, row, error)]`` for a chunk of ``(line, cells)``: a row, or the error message."""
    out = []
    for line, record in chunk:
        try:
            values = as_row(header, record)
            if "_error" in values:
                raise InvalidRequest(values["_error"].capitalize() + ".")
            out.append((line, make_row(values), None))
        except (InvalidNumber, InvalidRequest) as exc:
            what = "invalid number: " if isinstance(exc, InvalidNumber) else ""
            out.append((line, None, what + str(exc)))
    return out


_worker_job = None  # (make_row, header) in a pool worker, inherited through fork


def _start_worker(make_row, header):
    global _worker_job
    _worker_job = (make_row, header)


def _work(chunk):
    make_row, header = _worker_job
    return make_rows(make_row, header, chunk)


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
    """Yields ``(line, row, error)`` for every record, in file order.

    ``make_row(values)`` turns one record's values into a row or raises
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

    def __enter__(self):
        self.first = list(islice(self.records, CHUNK_ROWS))
        if self.workers and len(self.first) == CHUNK_ROWS:
            context = multiprocessing.get_context("fork")
            self.pool = context.Pool(self.workers, _start_worker, (self.make_row, self.header))
        return self

    def __exit__(self, *exc):
        # close + join, not terminate: terminate can hang when a worker is killed while it
        # holds the task queue's lock; at most two chunks per worker are left to finish.
        if self.pool is not None:
            self.pool.close()
            self.pool.join()

    def __iter__(self):
        if self.pool is None:
            for chunk in self._chunks():
                yield from make_rows(self.make_row, self.header, chunk)
            return
        in_flight = deque()
        for chunk in self._chunks():
            in_flight.append(self.pool.apply_async(_work, (chunk,)))
            if len(in_flight) >= 2 * self.workers:
                yield from in_flight.popleft().get(CHUNK_TIMEOUT_SECONDS)
        while in_flight:
            yield from in_flight.popleft().get(CHUNK_TIMEOUT_SECONDS)

    def _chunks(self):
        yield self.first
        while chunk := list(islice(self.records, CHUNK_ROWS)):
            yield chunk
