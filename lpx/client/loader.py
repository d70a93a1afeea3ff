"""Load a state's license file into the hub, batch by batch, reporting bad rows by line.

A batch is ``batch_size`` consecutive rows of the file. The hub writes a batch all-or-nothing,
and the loader keeps the same promise on its side: a batch holding a bad row is not sent at all
(unless ``skip_bad_rows``, when only its good rows are sent), so a file is never half-written in
a way the state did not ask for. The hub's upsert is keyed by record_id, so a rerun of the same
file changes nothing and reports every row as unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from lpx.client.files import FileFormatError, read_rows
from lpx.client.hub import BatchResult, HubError
from lpx.client.rows import (
    UNNAMED_JURISDICTION,
    InvalidRow,
    PointerIn,
    RowError,
    Withheld,
    parse_row,
)
from lpx.domain.policy import UploadPolicy

if TYPE_CHECKING:
    from lpx.client.keys import NetworkKeys

MAX_BATCH = 1000  # the hub's limit per request


class BatchSink(Protocol):
    """What the loader needs of a hub client; :class:`lpx.client.hub.HubClient` is one."""

    def upsert_batch(self, pointers: Sequence[Mapping[str, Any]]) -> BatchResult: ...


@dataclass(slots=True)
class LoadReport:
    """What a load did: counts the hub returned and every row it could not take, by line."""

    rows_read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowError] = field(default_factory=list)
    batches_sent: int = 0
    batches_rejected: int = 0  # not sent for a bad row, or refused whole by the hub
    rows_held_back: int = 0  # good rows not written because their batch was not
    withheld: int = 0  # valid rows the state's upload policy keeps at home (never sent)

    @property
    def rows_written(self) -> int:
        return self.added + self.updated + self.unchanged

    @property
    def rejected_lines(self) -> int:
        return len({e.line for e in self.rejected})

    @property
    def ok(self) -> bool:
        return not self.rejected and not self.rows_held_back


class LoadAborted(Exception):
    """A fatal error (bad file, auth failure, hub unreachable) stopped the load part-way.

    ``report`` covers the batches written before the stop; they stay written, being whole
    batches the hub accepted.
    """

    def __init__(self, message: str, report: LoadReport) -> None:
        self.report = report
        super().__init__(message)


@dataclass(slots=True)
class _Batch:
    lines: list[int] = field(default_factory=list)  # file line of each good pointer
    pointers: list[PointerIn] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    size: int = 0  # rows of the file in this batch, good or bad


class _SeenIds:
    """record_ids already read, as 64-bit digests so memory stays small for millions of rows."""

    def __init__(self) -> None:
        self._first_line: dict[int, int] = {}

    def first_line(self, record_id: str, line: int) -> int | None:
        """The line of an earlier row with this record_id, else remember this one and say None."""
        digest = hashlib.blake2b(record_id.encode(), digest_size=8).digest()
        key = int.from_bytes(digest, "big")
        earlier = self._first_line.get(key)
        if earlier is None:
            self._first_line[key] = line
        return earlier


def load_file(
    path: Path,
    client: BatchSink,
    keys: NetworkKeys,
    batch_size: int = 500,
    skip_bad_rows: bool = False,
    progress: Callable[[int], None] | None = None,
    *,
    fmt: str | None = None,
    jurisdiction: str | None = None,
    policy: UploadPolicy | None = None,
) -> LoadReport:
    """Stream ``path`` into the hub through ``client``; see the module docstring for batches.

    ``progress`` is called with the number of rows read so far after each batch.
    ``jurisdiction`` only feeds the shared validator: the hub takes it from the API key.
    ``policy`` (the state's upload policy) is applied here, before anything is sent: cards
    it keeps home are counted in ``withheld`` and fields it withholds are left out.
    Raises :class:`LoadAborted` on a fatal error, with the report of what was done before it.
    """
    if not 1 <= batch_size <= MAX_BATCH:
        raise ValueError(f"batch_size must be between 1 and {MAX_BATCH}")
    report = LoadReport()
    seen = _SeenIds()
    batch = _Batch()
    code = jurisdiction or UNNAMED_JURISDICTION
    try:
        for line, raw in read_rows(path, fmt):
            report.rows_read += 1
            batch.size += 1
            try:
                pointer = parse_row(line, raw, keys, code, policy)
            except InvalidRow as exc:
                batch.errors.extend(exc.errors)
            except Withheld:
                report.withheld += 1
            else:
                earlier = seen.first_line(pointer["record_id"], line)
                if earlier is not None:
                    batch.errors.append(
                        RowError(line, "record_id", f"repeats the record_id of line {earlier}")
                    )
                else:
                    batch.lines.append(line)
                    batch.pointers.append(pointer)
            if batch.size >= batch_size:
                _flush(batch, client, report, skip_bad_rows)
                batch = _Batch()
                if progress is not None:
                    progress(report.rows_read)
        if batch.size:
            _flush(batch, client, report, skip_bad_rows)
            if progress is not None:
                progress(report.rows_read)
    except HubError as exc:
        raise LoadAborted(str(exc), report) from exc
    except FileFormatError as exc:
        raise LoadAborted(str(exc), report) from exc
    return report


def _flush(batch: _Batch, client: BatchSink, report: LoadReport, skip_bad_rows: bool) -> None:
    report.rejected.extend(batch.errors)
    if batch.errors and not skip_bad_rows:
        report.batches_rejected += 1
        report.rows_held_back += len(batch.pointers)
        return
    if not batch.pointers:
        return
    try:
        result = client.upsert_batch(batch.pointers)
    except HubError as exc:
        if exc.status != 422:
            raise
        report.batches_rejected += 1
        report.rows_held_back += len(batch.pointers)
        report.rejected.extend(_map_hub_errors(exc, batch.lines))
        return
    report.batches_sent += 1
    report.added += result.added
    report.updated += result.updated
    report.unchanged += result.unchanged


def _map_hub_errors(exc: HubError, lines: list[int]) -> list[RowError]:
    """The hub names items by their index in the batch; the clerk needs file lines."""
    mapped: list[RowError] = []
    for err in exc.errors:
        index = err.get("index")
        line = lines[index] if isinstance(index, int) and 0 <= index < len(lines) else lines[0]
        mapped.append(
            RowError(line, str(err.get("field") or "row"), str(err.get("message") or exc.title))
        )
    if not mapped:  # a rejection without item detail: charge it to the batch's first line
        mapped.append(RowError(lines[0], "batch", exc.detail or exc.title))
    return mapped
