"""Reading a CSV of warnings as spreadsheets export it.

UTF-8 with or without a byte-order mark, comma or semicolon delimited, with
the header ``number,category,date,region,summary`` (columns in any order;
date, region and summary may be left out). Rows are read one at a time, so a
file of a million rows is never held in memory.
"""

import csv
import io

from checker.errors import InvalidRequest

COLUMNS = ("number", "category", "date", "region", "summary")
REQUIRED = ("number", "category")
MAX_ERRORS_LISTED = 1000


def read_rows(stream):
    """Yield ``(line, row_dict)`` from a binary stream; raise InvalidRequest on a bad header.

    ``line`` is the physical line a record starts on, the header being line 1.
    """
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        header_line = text.readline()
    except UnicodeDecodeError:
        raise InvalidRequest("Line 1: the file is not UTF-8 text.") from None
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    header = [name.strip().lower() for name in next(csv.reader([header_line], delimiter=delimiter), [])]
    _check_header(header)
    reader = csv.reader(text, delimiter=delimiter)
    line = 2
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                yield line, _as_row(header, record)
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


def _as_row(header, record):
    if len(record) > len(header):
        return {"_error": "the row has more fields than the header"}
    values = dict(zip(header, record))
    return {name: values.get(name, "").strip() for name in COLUMNS}
