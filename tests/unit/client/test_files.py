"""File readers: same rows from CSV, Parquet and NDJSON, line numbers a clerk can find."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpx.client.files import (
    COLUMNS,
    SHAPE_KEY,
    FileFormatError,
    count_rows,
    detect_format,
    read_rows,
)

ROW = {
    "record_id": "A1",
    "card_type": "DL",
    "real_id": "true",
    "first_name": "Ana",
    "middle_name": "",
    "last_name": "Díaz",
    "suffix": "",
    "aka_names": "Ann;Anita",
    "dob": "1990-02-03",
    "sex": "F",
    "ssn_last5": "01234",
    "issue_date": "2020-01-01",
    "expiry_date": "2028-01-01",
    "status": "active",
}


def write_csv(path: Path, rows: list[dict[str, str]], header: tuple[str, ...] = COLUMNS) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(c, "") for c in header])
    return path


def test_csv_rows_and_line_numbers(tmp_path: Path) -> None:
    second = ROW | {"record_id": "A2", "first_name": "Line\nbreak, comma"}
    third = ROW | {"record_id": "A3"}
    path = write_csv(tmp_path / "f.csv", [ROW, second, third])
    rows = list(read_rows(path))
    assert [line for line, _ in rows] == [2, 3, 5]  # row 2 spans lines 3 and 4
    assert rows[0][1] == ROW
    assert rows[1][1]["first_name"] == "Line\nbreak, comma"


def test_csv_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text(",".join(COLUMNS) + "\n\n" + ",".join(ROW.values()) + "\n", encoding="utf-8")
    assert [line for line, _ in read_rows(path)] == [3]


def test_csv_with_byte_order_mark_and_reordered_extra_columns(tmp_path: Path) -> None:
    header = ("extra", *reversed(COLUMNS))
    path = tmp_path / "f.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerow(["x", *[ROW[c] for c in reversed(COLUMNS)]])
    path.write_text("\ufeff" + buffer.getvalue(), encoding="utf-8")
    ((line, row),) = list(read_rows(path))
    assert line == 2
    assert row == ROW


def test_csv_missing_header_column_is_a_file_error(tmp_path: Path) -> None:
    header = tuple(c for c in COLUMNS if c not in ("dob", "status"))
    path = write_csv(tmp_path / "f.csv", [ROW], header)
    with pytest.raises(FileFormatError, match="missing column\\(s\\): dob, status"):
        list(read_rows(path))


def test_csv_ragged_row_is_marked_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    good = ",".join(ROW.values())
    path.write_text(f"{','.join(COLUMNS)}\n{good}\nA9,DL,true\n{good}\n", encoding="utf-8")
    rows = list(read_rows(path))
    assert [line for line, _ in rows] == [2, 3, 4]
    assert SHAPE_KEY not in rows[0][1]
    assert rows[1][1][SHAPE_KEY] == f"has 3 fields, the header has {len(COLUMNS)}"
    assert rows[1][1]["record_id"] == "A9"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"record_id,\xff\xfe\n", "not UTF-8"),
    ],
)
def test_unreadable_csv(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(content)
    with pytest.raises(FileFormatError, match=message):
        list(read_rows(path))


def test_missing_file_and_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match="no such file"):
        read_rows(tmp_path / "absent.csv")
    with pytest.raises(FileFormatError, match="extension"):
        read_rows(tmp_path / "file.xlsx")
    with pytest.raises(FileFormatError, match="unknown format"):
        detect_format(tmp_path / "file.csv", "xml")


def test_explicit_format_overrides_extension(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_text(json.dumps(ROW) + "\n", encoding="utf-8")
    assert list(read_rows(path, "jsonl")) == [(1, ROW)]
    assert detect_format(tmp_path / "x.JSONL") == "ndjson"


def test_ndjson_typed_values_blank_and_bad_lines(tmp_path: Path) -> None:
    typed = ROW | {"real_id": True, "aka_names": ["Ann", "Anita"], "middle_name": None}
    del typed["suffix"]  # an absent key reads as empty
    lines = [json.dumps(typed), "", "{not json", "[1, 2]", json.dumps(ROW)]
    path = tmp_path / "f.ndjson"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows = list(read_rows(path))
    assert [line for line, _ in rows] == [1, 3, 4, 5]
    assert rows[0][1] == ROW
    assert rows[1][1][SHAPE_KEY].startswith("is not valid JSON")
    assert rows[2][1][SHAPE_KEY] == "is not a JSON object"
    assert rows[3][1] == ROW


def test_parquet_typed_columns_read_as_csv_text(tmp_path: Path) -> None:
    table = pa.table(
        {
            **{c: pa.array([ROW[c]] * 3) for c in COLUMNS},
            "real_id": pa.array([True, False, None]),
            "dob": pa.array([date(1990, 2, 3)] * 3),
            "ssn_last5": pa.array([1234, None, 99999], type=pa.int32()),
            "aka_names": pa.array([["Ann", "Anita"], [], None]),
        }
    )
    path = tmp_path / "f.parquet"
    pq.write_table(table, path, row_group_size=2)
    rows = list(read_rows(path))
    assert [line for line, _ in rows] == [2, 3, 4]
    assert rows[0][1] == ROW
    assert rows[1][1]["real_id"] == "false"
    assert rows[1][1]["ssn_last5"] == ""
    assert rows[2][1]["real_id"] == ""
    assert rows[2][1]["aka_names"] == ""
    assert count_rows(path) == 3
    assert count_rows(tmp_path / "f.csv") is None


def test_parquet_missing_column_and_garbage(tmp_path: Path) -> None:
    path = tmp_path / "f.parquet"
    pq.write_table(pa.table({c: [ROW[c]] for c in COLUMNS if c != "sex"}), path)
    with pytest.raises(FileFormatError, match="missing column\\(s\\): sex"):
        list(read_rows(path))
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"this is not parquet")
    with pytest.raises(FileFormatError, match="not a readable Parquet file"):
        list(read_rows(bad))


def test_readers_stream_lazily(tmp_path: Path) -> None:
    """A generator that has only produced its first row has not read the whole file."""
    path = write_csv(tmp_path / "f.csv", [ROW | {"record_id": f"R{i}"} for i in range(5000)])
    rows = read_rows(path)
    line, first = next(rows)
    assert (line, first["record_id"]) == (2, "R0")
    assert sum(1 for _ in rows) == 4999


# Text that csv must quote or escape: separators, quotes, both newline styles, unicode.
cell = st.text(
    alphabet=st.one_of(
        st.sampled_from([",", '"', "\n", "\r", ";", " ", "é", "ß", "中", "🙂"]),
        st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
    ),
    max_size=12,
)
rows_strategy = st.lists(st.fixed_dictionaries(dict.fromkeys(COLUMNS, cell)), max_size=8)


@settings(max_examples=100, deadline=None)
@given(rows=rows_strategy)
def test_csv_round_trip_with_physical_line_numbers(
    tmp_path_factory: pytest.TempPathFactory, rows: list[dict[str, str]]
) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    expected: list[tuple[int, dict[str, str]]] = []
    for row in rows:
        # The row starts on the line after everything written so far, counted the way a
        # universal-newline reader counts (\n, \r and \r\n each end a line).
        written = buffer.getvalue()
        line = len(io.StringIO(written, newline="").readlines()) + 1
        writer.writerow([row[c] for c in COLUMNS])
        expected.append((line, row))
    path = tmp_path_factory.mktemp("csv") / "f.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
    assert list(read_rows(path)) == expected


def test_broken_quoting_is_a_file_error_naming_the_line(tmp_path: Path) -> None:
    """A stray quote can shift every later field, so no row after it can be trusted."""
    path = tmp_path / "f.csv"
    good = ",".join(ROW.values())
    path.write_text(f'{",".join(COLUMNS)}\n{good}\n{good}\nA3,"DL"x,{good}\n', encoding="utf-8")
    rows = read_rows(path)
    assert [line for line, _ in (next(rows), next(rows))] == [2, 3]
    with pytest.raises(FileFormatError, match="line 4: not valid CSV"):
        next(rows)
