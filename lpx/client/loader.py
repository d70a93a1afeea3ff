"""Load a state's license file into the hub, batch by batch, reporting bad rows by line.

A batch is ``batch_size`` consecutive rows of the file. The hub writes a batch all-or-nothing,
and the loader keeps the same promise on its side: a batch holding a bad row is not sent at all
(unless ``skip_bad_rows``, when only its good rows are sent), so a file is never half-written in
a way the state did not ask for. The hub's upsert is keyed by record_id, so a rerun of the same
file changes nothing.

With ``resume`` the load is an upload session on the hub (lpx/services/uploads.py), keyed by
the file's fingerprint. Each batch carries ``seq``, the file rows read through its end, and the
loader's counts for the rows since the last committed batch (rejected by field, withheld, held
back); the hub commits them with the batch's pointers. A rerun after a crash asks the hub for
the last committed row and sends only what follows. The rows before it are still parsed
(without sending), so a repeated record_id is caught across the restart and every bad row keeps
its file line. Every row read is counted once: read = sent + rejected + withheld + held back.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from lpx.client.files import FileFormatError, read_rows
from lpx.client.hub import BatchResult, HubError, Upload
from lpx.client.rows import (
    UNNAMED_JURISDICTION,
    InvalidRow,
    PointerIn,
    RowError,
    Withheld,
    parse_row,
)
from lpx.client.ssn import IssuanceOutcome, issuance_tokens
from lpx.domain.policy import UploadPolicy

if TYPE_CHECKING:
    from lpx.client.keys import NetworkKeys

MAX_BATCH = 1000  # the hub's limit per request
_HASH_CHUNK = 1 << 20


class BatchSink(Protocol):
    """What the loader needs of a hub client; :class:`lpx.client.hub.HubClient` is one."""

    def upsert_batch(self, pointers: Sequence[Mapping[str, Any]]) -> BatchResult: ...


class UploadSink(Protocol):
    """What a resumable load needs of a hub client (:class:`lpx.client.hub.HubClient`)."""

    def start_upload(self, fingerprint: str, file_name: str = "") -> Upload: ...

    def upload_batch(self, upload_id: str, pointers: Sequence[Mapping[str, Any]],
                     stats: Mapping[str, Any]) -> BatchResult: ...  # fmt: skip

    def complete_upload(self, upload_id: str, stats: Mapping[str, Any]) -> Upload: ...

    def abort_upload(self, upload_id: str) -> Upload: ...


@dataclass(slots=True)
class LoadReport:
    """What a load did: counts, and every row it could not take, by line.

    For a resumed upload the counts are the whole file's, as the hub recorded them.
    """

    rows_read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[RowError] = field(default_factory=list)
    rejected_rows: int = 0  # rows refused (each counted once, however many fields are bad)
    rejected_reasons: Counter[str] = field(default_factory=Counter)  # errors per field
    batches_sent: int = 0
    batches_rejected: int = 0  # not sent for a bad row, or refused whole by the hub
    rows_held_back: int = 0  # good rows not written because their batch was not
    withheld: int = 0  # valid rows the state's upload policy keeps at home (never sent)
    cases_opened: Counter[str] = field(default_factory=Counter)  # per counterpart state
    upload_id: str | None = None
    status: str = "running"  # of the upload: running, complete, aborted
    resumed_after: int = 0  # file rows the hub had committed before this run

    @property
    def rows_written(self) -> int:
        return self.added + self.updated + self.unchanged

    @property
    def ok(self) -> bool:
        return not self.rejected_rows and not self.rows_held_back

    def adopt(self, upload: Upload) -> None:
        """Take the hub's totals for the upload (the source of truth across runs)."""
        body = upload.body
        self.upload_id, self.status = upload.upload_id, upload.status
        self.rows_read, self.added = int(body["rows_read"]), int(body["added"])
        self.updated, self.unchanged = int(body["updated"]), int(body["unchanged"])
        self.rejected_rows, self.withheld = int(body["rejected"]), int(body["withheld"])
        self.rows_held_back = int(body["held_back"])
        self.rejected_reasons = Counter({str(k): int(v)
                                         for k, v in body["rejected_reasons"].items()})
        self.cases_opened = Counter({str(k): int(v) for k, v in body["cases_opened"].items()})

    def summary(self) -> dict[str, Any]:
        """The summary written next to the file (counts only, no personal data)."""
        return {
            "upload_id": self.upload_id, "status": self.status, "rows_read": self.rows_read,
            "rows_sent": self.rows_written, "added": self.added, "updated": self.updated,
            "unchanged": self.unchanged, "rejected": self.rejected_rows,
            "rejected_reasons": dict(sorted(self.rejected_reasons.items())),
            "withheld": self.withheld, "held_back": self.rows_held_back,
            "cases_opened": dict(sorted(self.cases_opened.items())),
            "resumed_after_row": self.resumed_after,
        }  # fmt: skip


class LoadAborted(Exception):
    """A fatal error (bad file, auth failure, hub unreachable) stopped the load part-way.

    ``report`` covers the batches written before the stop; they stay written, being whole
    batches the hub accepted (and a resumed load starts after them).
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
    withheld: int = 0


@dataclass(slots=True)
class _Pending:
    """Counts of the rows read since the last committed batch; they travel with the next."""

    rows_read: int = 0
    rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    withheld: int = 0
    held_back: int = 0

    def stats(self, seq: int) -> dict[str, Any]:
        return {"seq": seq, "rows_read": self.rows_read, "rejected": self.rejected,
                "rejected_reasons": dict(self.reasons), "withheld": self.withheld,
                "held_back": self.held_back}  # fmt: skip

    def merged(self, later: _Pending) -> _Pending:
        return _Pending(self.rows_read + later.rows_read, self.rejected + later.rejected,
                        self.reasons + later.reasons, self.withheld + later.withheld,
                        self.held_back + later.held_back)  # fmt: skip


@dataclass(slots=True)
class _Sent:
    """A batch on its way to the hub, with the counts it carries (rows since the batch
    before it, its own included)."""

    batch: _Batch
    seq: int
    pending: _Pending
    bad_lines: set[int]
    result: Future[BatchResult]


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


def fingerprint(path: Path) -> str:
    """``sha256:<hex>:<size>``: the same file resumes its upload, a changed one starts anew."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return f"sha256:{digest.hexdigest()}:{size}"


def reason_of(error: RowError) -> str:
    """The field an error names, as the hub's reason key (never the offending value)."""
    key = "".join(c for c in error.field.lower() if c.isalnum() or c == "_")[:40]
    return key or "row"


def load_file(
    path: Path,
    client: BatchSink | UploadSink,
    keys: NetworkKeys,
    batch_size: int = 500,
    skip_bad_rows: bool = False,
    progress: Callable[[int], None] | None = None,
    *,
    fmt: str | None = None,
    jurisdiction: str | None = None,
    policy: UploadPolicy | None = None,
    resume: bool = False,
    carry: Mapping[str, IssuanceOutcome] | None = None,
    in_flight: int = 1,
) -> LoadReport:
    """Stream ``path`` into the hub through ``client``; see the module docstring for batches.

    ``progress`` is called with the number of rows read so far after each batch.
    ``jurisdiction`` only feeds the shared validator: the hub takes it from the API key.
    ``policy`` (the state's upload policy) is applied here, before anything is sent: cards
    it keeps home are counted in ``withheld`` and fields it withholds are left out.
    ``resume`` makes the load an upload session that a rerun continues (needs an UploadSink).
    ``carry`` (the state's carry book, ``lpx.client.carry.read_carry_book``) gives the
    issuance outcome of records issued under the carry protocol: their SSN tokens are made
    by ``issuance_tokens``, so a reload keeps a carried decoy instead of re-deriving it.
    ``in_flight`` batches are sent at once: the hub writes the next batch while it opens
    the cases of the one before, and commits them in file order (a batch waits at the hub
    for the one before it). A batch behind one the hub refused is refused as out of order
    and sent again, with the refused batch's counts, once those before it are settled.
    Raises :class:`LoadAborted` on a fatal error, with the report of what was done before it.
    """
    if not 1 <= batch_size <= MAX_BATCH:
        raise ValueError(f"batch_size must be between 1 and {MAX_BATCH}")
    if in_flight < 1:
        raise ValueError("in_flight must be at least 1")
    loader = _Loader(client, keys, jurisdiction or UNNAMED_JURISDICTION, policy, skip_bad_rows,
                     carry or {}, in_flight)  # fmt: skip
    with ThreadPoolExecutor(in_flight, thread_name_prefix="lpx-load") as pool:
        loader.pool = pool
        try:
            if resume:
                loader.start(path)
            loader.run(path, fmt, batch_size, progress)
        except (HubError, FileFormatError) as exc:
            loader.settle_quietly()
            loader.abort()
            raise LoadAborted(str(exc), loader.report) from exc
    return loader.report


class _Loader:
    def __init__(self, client: BatchSink | UploadSink, keys: NetworkKeys, jurisdiction: str,
                 policy: UploadPolicy | None, skip_bad_rows: bool,
                 carry: Mapping[str, IssuanceOutcome], in_flight: int = 1) -> None:  # fmt: skip
        self.client = client
        self.in_flight = in_flight
        self.pool: ThreadPoolExecutor | None = None
        self.sent: deque[_Sent] = deque()
        # Counts of batches the hub refused, to travel with the next batch it commits.
        self.refused = _Pending()
        self.carry = carry
        self.keys = keys
        self.jurisdiction = jurisdiction
        self.policy = policy
        self.skip_bad_rows = skip_bad_rows
        self.report = LoadReport()
        self.seen = _SeenIds()
        self.pending = _Pending()
        self.upload: Upload | None = None

    def start(self, path: Path) -> None:
        if not path.is_file():
            raise FileFormatError(f"{path}: no such file")
        sink: UploadSink = self.client  # type: ignore[assignment]
        self.upload = sink.start_upload(fingerprint(path), _safe_name(path.name))
        self.report.adopt(self.upload)
        self.report.resumed_after = self.upload.last_seq

    def run(self, path: Path, fmt: str | None, batch_size: int,
            progress: Callable[[int], None] | None) -> None:  # fmt: skip
        skip_until = self.upload.last_seq if self.upload else 0
        rows = 0
        batch = _Batch()
        for line, raw in read_rows(path, fmt):
            rows += 1
            if rows <= skip_until:  # committed by an earlier run: check, do not send
                self._parse(line, raw, _Batch())
                if rows == skip_until and progress is not None:
                    progress(rows)
                continue
            if self.upload is None:
                self.report.rows_read += 1
            batch.size += 1
            self._parse(line, raw, batch)
            if batch.size >= batch_size:
                self._flush(batch, rows)
                batch = _Batch()
                if progress is not None:
                    progress(rows)
        if batch.size:
            self._flush(batch, rows)
        while self.sent:
            self._settle(self.sent.popleft())
        if progress is not None:
            progress(rows)
        if self.upload is not None:
            sink: UploadSink = self.client  # type: ignore[assignment]
            last = self.refused.merged(self.pending)
            self.upload = sink.complete_upload(self.upload.upload_id, last.stats(rows))
            self.report.adopt(self.upload)

    def abort(self) -> None:
        """Tell the hub the upload stopped (best effort: the hub may be what failed)."""
        if self.upload is None:
            return
        sink: UploadSink = self.client  # type: ignore[assignment]
        with contextlib.suppress(HubError):
            self.report.status = sink.abort_upload(self.upload.upload_id).status

    def _parse(self, line: int, raw: dict[str, str], batch: _Batch) -> None:
        """Add one row to ``batch`` (and every error to the report's list)."""
        try:
            pointer = parse_row(line, raw, self.keys, self.jurisdiction, self.policy)
        except InvalidRow as exc:
            batch.errors.extend(exc.errors)
            self.report.rejected.extend(exc.errors)
        except Withheld:
            batch.withheld += 1
        else:
            self._apply_carry(pointer, raw)
            earlier = self.seen.first_line(pointer["record_id"], line)
            if earlier is not None:
                error = RowError(line, "record_id", f"repeats the record_id of line {earlier}")
                batch.errors.append(error)
                self.report.rejected.append(error)
            else:
                batch.lines.append(line)
                batch.pointers.append(pointer)

    def _apply_carry(self, pointer: PointerIn, raw: Mapping[str, str]) -> None:
        """Tokens by the carry protocol for a record in the carry book (SSN field sent)."""
        outcome = self.carry.get(pointer["record_id"])
        if outcome is None or pointer["ssn"] is None:
            return
        tokens = issuance_tokens(
            raw.get("ssn_last5"), pointer["first_name"], pointer["last_name"],
            date.fromisoformat(pointer["dob"]), self.keys, aka_names=pointer["aka_names"],
            record=f"{self.jurisdiction}/{pointer['record_id']}", outcome=outcome,
        )  # fmt: skip
        pointer["ssn"] = {"full": tokens.full, "masked": list(tokens.masked)}

    def _flush(self, batch: _Batch, seq: int) -> None:
        bad_lines = {e.line for e in batch.errors}
        pending, report = self.pending, self.report
        pending.rows_read += batch.size
        pending.withheld += batch.withheld
        pending.rejected += len(bad_lines)
        pending.reasons.update(reason_of(e) for e in batch.errors)
        if batch.errors and not self.skip_bad_rows:
            report.batches_rejected += 1
            pending.held_back += len(batch.pointers)
            self._count_locally(len(batch.pointers), bad_lines, batch, batch.errors)
            return
        if not batch.pointers:
            self._count_locally(0, bad_lines, batch, batch.errors)
            return
        if self.upload is not None and not self.sent:  # counts of refused batches go along
            pending, self.refused = self.refused.merged(pending), _Pending()
        self.pending = _Pending()
        self.sent.append(_Sent(batch, seq, pending, bad_lines,
                               self._submit(batch.pointers, pending.stats(seq))))  # fmt: skip
        while len(self.sent) >= self.in_flight:
            self._settle(self.sent.popleft())

    def _submit(self, pointers: list[PointerIn], stats: dict[str, Any]) -> Future[BatchResult]:
        if self.pool is None or self.in_flight == 1:
            done: Future[BatchResult] = Future()
            try:
                done.set_result(self._send(pointers, stats))
            except HubError as exc:
                done.set_exception(exc)
            return done
        return self.pool.submit(self._send, pointers, stats)

    def _settle(self, sent: _Sent, again: bool = True) -> None:
        """Take a sent batch's outcome, in file order."""
        report = self.report
        try:
            result = sent.result.result()
        except HubError as exc:
            if exc.status == 409 and self.upload is not None and again:
                # Out of order: an earlier batch was refused or had not committed yet.
                pending, self.refused = self.refused.merged(sent.pending), _Pending()
                retry = _Sent(sent.batch, sent.seq, pending, sent.bad_lines,
                              self._submit(sent.batch.pointers, pending.stats(sent.seq)))
                self._settle(retry, again=False)
                return
            if exc.status != 422:
                raise
            self._refused(sent, exc)
            while self.sent:  # those behind it are out of order: settle them now
                self._settle(self.sent.popleft())
            return
        report.batches_sent += 1
        if not self.upload:
            batch = sent.batch
            report.added += result.added
            report.updated += result.updated
            report.unchanged += result.unchanged
            report.cases_opened.update(result.cases_opened)
            report.rejected_rows += len(sent.bad_lines)
            report.rejected_reasons.update(reason_of(e) for e in batch.errors)
            report.withheld += batch.withheld
        else:
            self._count_committed(result, sent.pending)

    def _refused(self, sent: _Sent, exc: HubError) -> None:
        """The hub refused the batch (422): its rows are reported by line and counted
        with the next batch it commits."""
        batch, pending = sent.batch, sent.pending
        errors = _map_hub_errors(exc, batch.lines)
        refused = {e.line for e in errors} & set(batch.lines)
        self.report.batches_rejected += 1
        self.report.rejected.extend(errors)
        pending.rejected += len(refused)
        pending.held_back += len(batch.pointers) - len(refused)
        pending.reasons.update(reason_of(e) for e in errors)
        self._count_locally(len(batch.pointers) - len(refused), sent.bad_lines | refused, batch,
                            batch.errors + errors)  # fmt: skip
        if self.upload is not None:
            self.refused = self.refused.merged(pending)

    def settle_quietly(self) -> None:
        """After a fatal error: count what the batches still in flight committed."""
        while self.sent:
            with contextlib.suppress(HubError):
                self._settle(self.sent.popleft(), again=False)

    def _send(self, pointers: list[PointerIn], stats: dict[str, Any]) -> BatchResult:
        if self.upload is None:
            sink: BatchSink = self.client  # type: ignore[assignment]
            return sink.upsert_batch(pointers)
        upload_sink: UploadSink = self.client  # type: ignore[assignment]
        return upload_sink.upload_batch(self.upload.upload_id, pointers, stats)

    def _count_locally(self, held_back: int, bad_lines: set[int], batch: _Batch,
                       errors: list[RowError]) -> None:  # fmt: skip
        """A batch not written: without an upload the report counts it now; with one, its
        counts travel with the next committed batch and come back from the hub."""
        if self.upload is None:
            self.report.rows_held_back += held_back
            self.report.rejected_rows += len(bad_lines)
            self.report.withheld += batch.withheld
            self.report.rejected_reasons.update(reason_of(e) for e in errors)

    def _count_committed(self, result: BatchResult, p: _Pending) -> None:
        """Mirror what the hub just committed (the hub's totals replace it at the end)."""
        if result.replayed:
            return
        r = self.report
        r.rows_read += p.rows_read
        r.added, r.updated, r.unchanged = (r.added + result.added, r.updated + result.updated,
                                           r.unchanged + result.unchanged)  # fmt: skip
        r.rejected_rows += p.rejected
        r.rejected_reasons.update(p.reasons)
        r.withheld += p.withheld
        r.rows_held_back += p.held_back
        r.cases_opened.update(result.cases_opened)


def _safe_name(name: str) -> str:
    """The file name as the hub accepts it (letters, digits, ``._ -``), for the console."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "._ -") else "_"
                   for c in name)[:200]  # fmt: skip


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
