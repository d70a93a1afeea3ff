"""Upload sessions: a state's file load that resumes where it stopped, with its progress.

A state starts an upload with the file's fingerprint (``sha256:<hex>:<size>``); starting the
same file again returns the same upload, so a rerun resumes. Batches carry ``seq``, the number
of file rows read through the end of the batch, and the state's own counts for the rows since
the last committed batch (read, rejected by reason, withheld, held back). Each batch's counts
move with its pointer writes in one transaction (:class:`PointerService` calls the recorder
inside its unit of work), so ``last_seq`` is exactly the last committed row and a replayed
batch is acknowledged without being written again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lpx.auth.permissions import Permission
from lpx.auth.policy import Actor, authorize
from lpx.domain.records import PointerRecord
from lpx.services.errors import Conflict, InvalidRequest, NotFound
from lpx.services.pointers import BatchResult, PointerService
from lpx.storage.uow import UnitOfWork
from lpx.storage.upload_tables import UploadDelta, UploadRepository, UploadRow

# What the console shows of an upload: counts only, never a record.
UploadProgress = UploadRow
RUNNING, COMPLETE, ABORTED = "running", "complete", "aborted"
LIST_LIMIT = 100


@dataclass(frozen=True, slots=True)
class BatchStats:
    """The state's counts for the file rows since the last committed batch, through ``seq``."""

    seq: int  # file rows read through the end of this batch (strictly increasing)
    rows_read: int
    rejected: int = 0  # rows refused (bad fields, repeated record_id, refused by the hub)
    rejected_reasons: dict[str, int] = field(default_factory=dict)  # errors per field
    withheld: int = 0  # rows the state's upload policy keeps at home
    held_back: int = 0  # good rows not sent because their batch was not

    def check(self, sent: int) -> None:
        """Every row read is accounted for exactly once, so the summary adds up."""
        accounted = sent + self.rejected + self.withheld + self.held_back
        if self.rows_read != accounted:
            raise InvalidRequest(
                f"rows_read ({self.rows_read}) must equal the pointers sent ({sent}) plus "
                f"rejected, withheld and held_back ({accounted - sent})."
            )
        if self.rows_read > self.seq:
            raise InvalidRequest("rows_read cannot exceed seq, the rows read through this batch.")

    def delta(self, result: BatchResult | None = None) -> UploadDelta:
        sent = (result.added + result.updated + result.unchanged) if result else 0
        return UploadDelta(
            seq=self.seq, rows_read=self.rows_read, rows_sent=sent,
            added=result.added if result else 0, updated=result.updated if result else 0,
            unchanged=result.unchanged if result else 0, rejected=self.rejected,
            withheld=self.withheld, held_back=self.held_back,
            rejected_reasons=self.rejected_reasons,
            cases_opened=result.cases_opened if result else None,
        )  # fmt: skip


def _follows(row: UploadRow, stats: BatchStats) -> None:
    """The counts must cover exactly the rows after the last committed batch."""
    if stats.seq - stats.rows_read != row.last_seq:
        raise Conflict(
            f"This upload's last committed row is {row.last_seq}, but the batch counts rows "
            f"{stats.seq - stats.rows_read + 1}-{stats.seq}. Another load of the file may be "
            "running; run the load again to resume from the last committed batch."
        )


class _Recorder:
    """The :class:`lpx.services.pointers.BatchProgress` of one upload batch."""

    def __init__(self, jurisdiction: str, upload_id: str, stats: BatchStats) -> None:
        self._jurisdiction = jurisdiction
        self._upload_id = upload_id
        self._stats = stats
        self._row: UploadRow | None = None

    def begin(self, uow: UnitOfWork) -> None:
        UploadRepository(uow.conn).in_flight(self._jurisdiction, self._upload_id,
                                             self._stats.seq)  # fmt: skip

    def claim(self, uow: UnitOfWork) -> bool:
        repo = UploadRepository(uow.conn)
        # Two batches in flight: the later one can get here first, while the earlier one
        # still looks up its candidates. It waits for that one to end rather than find its
        # rows missing and be refused as out of order.
        if (start := self._stats.seq - self._stats.rows_read) > 0:
            repo.after_batch(self._jurisdiction, self._upload_id, start)
        row = repo.lock(self._jurisdiction, self._upload_id, datetime.now(UTC))
        if row is None:
            raise NotFound(f"{self._jurisdiction} has no upload {self._upload_id}.")
        if self._stats.seq <= row.last_seq:
            return False
        if row.status == COMPLETE:
            raise Conflict("This upload is complete; a changed file starts a new upload.")
        _follows(row, self._stats)
        self._row = row
        return True

    def record(self, uow: UnitOfWork, result: BatchResult) -> None:
        assert self._row is not None, "claim() comes first"
        UploadRepository(uow.conn).advance(self._row, self._stats.delta(result), RUNNING,
                                           datetime.now(UTC))  # fmt: skip


class UploadService:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], pointers: PointerService) -> None:
        self._uow = uow_factory
        self._pointers = pointers

    def start(self, actor: Actor, fingerprint: str, file_name: str = "") -> tuple[UploadRow, bool]:
        """The state's upload of this file: a new one (True), or the earlier one to resume
        (False); an aborted upload is running again."""
        authorize(actor, Permission.POINTER_WRITE, actor.jurisdiction)
        now = datetime.now(UTC)
        with self._uow() as uow:
            repo = UploadRepository(uow.conn)
            created = repo.create(str(uuid.uuid4()), actor.jurisdiction, fingerprint,
                                  file_name, actor.user_id, now)  # fmt: skip
            row = repo.by_fingerprint(actor.jurisdiction, fingerprint)
            assert row is not None, "created above or by a concurrent start"
            if row.status == ABORTED:
                repo.set_status(row.upload_id, RUNNING, now)
                row = repo.get(actor.jurisdiction, row.upload_id) or row
            uow.commit()
        return row, created

    def progress(self, actor: Actor, upload_id: str) -> UploadProgress:
        """One of the actor's state's uploads; another state's is not found."""
        authorize(actor, Permission.POINTER_READ_OWN, actor.jurisdiction)
        with self._uow() as uow:
            row = UploadRepository(uow.conn).get(actor.jurisdiction, upload_id)
        if row is None:
            raise NotFound(f"{actor.jurisdiction} has no upload {upload_id}.")
        return row

    def list_own(self, actor: Actor, limit: int = LIST_LIMIT) -> list[UploadProgress]:
        """The actor's state's uploads, newest first."""
        authorize(actor, Permission.POINTER_READ_OWN, actor.jurisdiction)
        with self._uow() as uow:
            return UploadRepository(uow.conn).own(actor.jurisdiction,
                                                  max(1, min(limit, LIST_LIMIT)))  # fmt: skip

    def write_batch(self, actor: Actor, upload_id: str, stats: BatchStats,
                    records: Sequence[PointerRecord]) -> BatchResult:  # fmt: skip
        """Upsert the batch and record it in the upload, in one transaction."""
        authorize(actor, Permission.POINTER_WRITE, actor.jurisdiction)
        stats.check(len(records))
        recorder = _Recorder(actor.jurisdiction, upload_id, stats)
        return self._pointers.upsert_batch(actor, records, progress=recorder)

    def complete(self, actor: Actor, upload_id: str, stats: BatchStats) -> UploadRow:
        """Close the upload with the counts of the rows after its last batch (if any);
        completing twice changes nothing."""
        authorize(actor, Permission.POINTER_WRITE, actor.jurisdiction)
        stats.check(0)
        now = datetime.now(UTC)
        with self._uow() as uow:
            repo = UploadRepository(uow.conn)
            row = self._locked(repo, actor, upload_id, now)
            if row.status == COMPLETE:
                return row
            if stats.seq > row.last_seq:
                _follows(row, stats)
                repo.advance(row, stats.delta(), COMPLETE, now)
            else:
                repo.set_status(upload_id, COMPLETE, now)
            row = repo.get(actor.jurisdiction, upload_id) or row
            uow.commit()
        return row

    def abort(self, actor: Actor, upload_id: str) -> UploadRow:
        """Mark a load that stopped; starting the same file again resumes it."""
        authorize(actor, Permission.POINTER_WRITE, actor.jurisdiction)
        now = datetime.now(UTC)
        with self._uow() as uow:
            repo = UploadRepository(uow.conn)
            row = self._locked(repo, actor, upload_id, now)
            if row.status == COMPLETE:
                raise Conflict("This upload is complete; there is nothing to abort.")
            repo.set_status(upload_id, ABORTED, now)
            row = repo.get(actor.jurisdiction, upload_id) or row
            uow.commit()
        return row

    @staticmethod
    def _locked(repo: UploadRepository, actor: Actor, upload_id: str,
                now: datetime) -> UploadRow:  # fmt: skip
        row = repo.lock(actor.jurisdiction, upload_id, now)
        if row is None:
            raise NotFound(f"{actor.jurisdiction} has no upload {upload_id}.")
        return row
