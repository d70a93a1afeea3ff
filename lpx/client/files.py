"""Streaming readers for a state's license file: CSV, Parquet and NDJSON.

Every reader yields ``(line_number, row)`` where ``row`` maps each column of the file layout to
a string, so the row parser sees one shape whatever the format. Readers hold one row (CSV,
NDJSON) or one record batch (Parquet) at a time, so memory stays flat for files of millions of
rows. Line numbers exist so a clerk can find a bad row in the file:

* CSV: the physical line on which the row starts (the header is line 1); a quoted field that
  spans lines moves later rows down, exactly as a text editor counts.
* NDJSON: the physical line of the object.
* Parquet: there are no lines, so the row index plus 2, mirroring CSV numbering (as if the
  table had been exported to CSV with a header).

Problems with the file as a whole (missing, undecodable, missing header column) raise
:class:`FileFormatError`; a single malformed row (wrong field count, a line that is not a JSON
object) is yielded with :data:`SHAPE_KEY` set so it is reported like any other bad row.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

Format = Literal["csv", "parquet", "ndjson"]
Row = dict[str, str]

COLUMNS: tuple[str, ...] = (
    "record_id",
    "card_type",
    "real_id",
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "aka_names",
    "dob",
    "sex",
    "ssn_last5",
    "issue_date",
    "expiry_date",
    "status",
)
# Set on a row the reader could not map onto the columns; the value says why.
SHAPE_KEY = "__shape__"

_EXTENSIONS: dict[str, Format] = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
}
_PARQUET_BATCH_ROWS = 8192


class FileFormatError(Exception):
    """The file as a whole cannot be read; no row of it should be loaded."""


def detect_format(path: Path, fmt: str | None = None) -> Format:
    """The explicit ``fmt`` if given, else the format named by the file's extension."""
    if fmt is not None:
        wanted = fmt.lower()
        if wanted == "jsonl":
            return "ndjson"
        if wanted in ("csv", "parquet", "ndjson"):
            return wanted  # type: ignore[return-value]
        raise FileFormatError(f"unknown format {fmt!r}: use csv, parquet or ndjson")
    found = _EXTENSIONS.get(path.suffix.lower())
    if found is None:
        raise FileFormatError(
            f"cannot tell the format of {path.name!r} from its extension; "
            "use .csv, .parquet, .ndjson or .jsonl, or name the format explicitly"
        )
    return found


def read_rows(path: Path, fmt: str | None = None) -> Iterator[tuple[int, Row]]:
    """Stream the rows of ``path`` as ``(line_number, row)``; see the module docstring."""
    kind = detect_format(path, fmt)
    if not path.is_file():
        raise FileFormatError(f"{path}: no such file")
    if kind == "csv":
        return _read_csv(path)
    if kind == "parquet":
        return _read_parquet(path)
    return _read_ndjson(path)


def count_rows(path: Path, fmt: str | None = None) -> int | None:
    """The row count when it is free to know (Parquet metadata), else None; for progress bars."""
    if detect_format(path, fmt) != "parquet":
        return None
    import pyarrow.parquet as pq

    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except (OSError, ValueError):
        return None


def _missing_columns(present: list[str]) -> None:
    missing = [c for c in COLUMNS if c not in present]
    if missing:
        raise FileFormatError(
            f"header is missing column(s): {', '.join(missing)} (expected: {', '.join(COLUMNS)})"
        )


def _read_csv(path: Path) -> Iterator[tuple[int, Row]]:
    # utf-8-sig: spreadsheet exports often start with a byte-order mark.
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, strict=True)
            try:
                header = next(reader)
            except StopIteration:
                raise FileFormatError(f"{path.name}: the file is empty") from None
            header = [h.strip() for h in header]
            _missing_columns(header)
            width = len(header)
            index = {name: header.index(name) for name in COLUMNS}
            last_line = reader.line_num
            while True:
                start = last_line + 1
                try:
                    fields = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise FileFormatError(
                        f"{path.name} line {reader.line_num}: not valid CSV ({exc})"
                    ) from None
                last_line = reader.line_num
                if not fields or (len(fields) == 1 and width > 1 and not fields[0]):
                    continue  # a blank line
                row = {name: fields[i] if i < len(fields) else "" for name, i in index.items()}
                if len(fields) != width:
                    row[SHAPE_KEY] = f"has {len(fields)} fields, the header has {width}"
                yield start, row
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"{path.name}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise FileFormatError(f"{path.name}: cannot read ({exc.strerror or exc})") from None


def _as_text(column: str, value: Any) -> str:
    """One typed Parquet/JSON value as the string the CSV layout would carry."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int) and column == "ssn_last5":
        # A numeric column cannot carry leading zeros; padding restores what was meant.
        return f"{value:05d}" if 0 <= value <= 99999 else str(value)
    if isinstance(value, list | tuple):
        return ";".join(_as_text(column, v) for v in value)
    return str(value)


def _read_parquet(path: Path) -> Iterator[tuple[int, Row]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        raise FileFormatError(f"{path.name}: not a readable Parquet file ({exc})") from None
    _missing_columns(list(parquet.schema_arrow.names))
    line = 2
    try:
        for batch in parquet.iter_batches(batch_size=_PARQUET_BATCH_ROWS, columns=list(COLUMNS)):
            for record in batch.to_pylist():
                yield line, {c: _as_text(c, record.get(c)) for c in COLUMNS}
                line += 1
    except (OSError, pa.ArrowException) as exc:
        raise FileFormatError(f"{path.name}: cannot read row {line - 1} on ({exc})") from None


def _read_ndjson(path: Path) -> Iterator[tuple[int, Row]]:
    try:
        with path.open(encoding="utf-8-sig") as handle:
            for number, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                try:
                    obj = json.loads(text)
                except json.JSONDecodeError as exc:
                    yield (
                        number,
                        dict.fromkeys(COLUMNS, "") | {SHAPE_KEY: f"is not valid JSON ({exc.msg})"},
                    )
                    continue
                if not isinstance(obj, dict):
                    yield number, dict.fromkeys(COLUMNS, "") | {SHAPE_KEY: "is not a JSON object"}
                    continue
                yield number, {c: _as_text(c, obj.get(c)) for c in COLUMNS}
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"{path.name}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise FileFormatError(f"{path.name}: cannot read ({exc.strerror or exc})") from None
