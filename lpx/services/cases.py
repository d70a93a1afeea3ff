"""Duplicate cases: opened when a pointer write matches other pointers, resolved by the SORs.

Opening runs inside the pointer write's transaction (``CaseOpener.find`` then ``open``), so a
batch and the cases it raises commit together. A pair already in an active case is not raised
again; a pair resolved as different people is remembered by its pointer ids and a
fingerprint of both identity documents, so card-only updates never re-raise it. The
fingerprint is keyed with both states' fingerprint keys (``IdentityCodec.fingerprint_key``),
so once either state's keys are destroyed a backup cannot confirm a guessed identity with it.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lpx.audit.entries import MAX_IDS, Action, AuditEvent
from lpx.audit.service import AuditLog
from lpx.auth.permissions import Permission
from lpx.auth.policy import Actor, authorize
from lpx.domain.blocking import LONE_KEY_BLOCK_LIMIT
from lpx.domain.cases import (
    ACTIVE,
    DEFAULT_MAX_AGE,
    CaseStatus,
    CaseView,
    TransitionRefused,
    check_party,
    check_transition,
    is_overdue,
    is_real_id_conflict,
    overdue_cutoff,
)
from lpx.domain.model import MatchModel
from lpx.domain.profile import ProfileData
from lpx.keys.provider import KeyDestroyed
from lpx.services.codec import IdentityCodec, keyed_pair_fingerprint
from lpx.services.errors import Conflict, InvalidRequest, NotFound
from lpx.services.matching import (
    FoundPair,
    Probe,
    ProbeBatch,
    ProfileOpener,
    best_per_probe,
    match_batch,
    score_hits,
)
from lpx.services.notifications import encode, notify_many
from lpx.storage.uow import UnitOfWork
from lpx.storage.workflow_repositories import CaseEventRow, CaseRow, QueuePosition

MAX_LIST = 500
CURSOR_VERSION = "c1"
_CASE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def pair_key(a: str, b: str) -> str:
    return "|".join(sorted((a, b)))


def _profile_opener(codec: IdentityCodec) -> ProfileOpener:
    """Opens a stored identity into its profile's data; None for a pointer whose state's key
    was destroyed, which is then never matched."""
    def open_profile(stored: str, jurisdiction: str, pointer_id: str) -> ProfileData | None:
        try:
            return codec.profile_data(stored, jurisdiction, pointer_id)
        except KeyDestroyed:
            return None

    return open_profile


def _chunks(ids: Sequence[str]) -> list[tuple[str, ...]]:
    return [tuple(ids[i : i + MAX_IDS]) for i in range(0, len(ids), MAX_IDS)] or [()]


@dataclass(frozen=True, slots=True)
class Findings:
    """What a write found before it took the case-opening lock (:meth:`CaseOpener.find`)."""

    batch: ProbeBatch
    looked: int  # the last committed case-opening epoch before the lookup
    pairs: list[FoundPair]
    written: tuple[Probe, ...]  # every probe, opened or not


class CaseOpener:
    """Finds the matches of freshly written pointers and opens the cases they call for.

    In two steps, so a bulk load's batches overlap: :meth:`find` looks up and scores the
    candidates without any lock, then :meth:`open` takes the hub's case-opening lock, adds
    what other writers committed since the lookup (``MatchLookup.since``), drops candidates
    deleted meanwhile, and opens the cases. The lock is held to commit, so of two writers
    of one person the second always finds the first.
    """

    def __init__(self, index_key: bytes, model: MatchModel, audit: AuditLog,
                 candidate_limit: int = 500,
                 lone_block_limit: int = LONE_KEY_BLOCK_LIMIT) -> None:  # fmt: skip
        self._index_key = index_key
        self._model = model
        self._audit = audit
        self._candidate_limit = candidate_limit
        self._lone_block_limit = lone_block_limit

    def after_write(self, uow: UnitOfWork, actor: Actor, probes: Sequence[Probe],
                    codec: IdentityCodec) -> dict[str, int]:  # fmt: skip
        """:meth:`find` then :meth:`open`, for a write with nothing to do in between."""
        return self.open(uow, actor, self.find(uow, probes, codec), codec)

    def find(self, uow: UnitOfWork, probes: Sequence[Probe],
             codec: IdentityCodec) -> Findings:  # fmt: skip
        """The match and possible pairs of ``probes`` (pointers just written in ``uow``)
        among the pointers committed so far, found without the case-opening lock."""
        if not probes:  # nothing written (an unchanged batch): nothing to look up
            return Findings(ProbeBatch([], {}, []), 0, [], ())
        looked = uow.matches.epoch()  # before the lookup: anything later is caught up
        batch, pairs = match_batch(uow.matches, self._index_key, self._model, probes,
                                   _profile_opener(codec), self._candidate_limit,
                                   self._lone_block_limit)  # fmt: skip
        return Findings(batch, looked, pairs, tuple(probes))

    def open(self, uow: UnitOfWork, actor: Actor, findings: Findings,
             codec: IdentityCodec) -> dict[str, int]:  # fmt: skip
        """Open the cases of ``findings`` under the case-opening lock, with the pairs that
        pointers committed since the lookup add; returns the number opened per counterpart
        state (the state of the other pointer)."""
        if not findings.written:
            return {}
        last = uow.matches.exclusive([p.pk for p in findings.written])
        pairs = self._caught_up(uow, findings, last, _profile_opener(codec))
        best: dict[str, FoundPair] = {}
        for p in pairs:
            key = pair_key(p.probe.pointer_id, p.other.pointer_id)
            if key not in best or p.scored.weight > best[key].scored.weight:
                best[key] = p
        raised = uow.cases.by_pairs(list(best))
        now = datetime.now(UTC)
        new: list[CaseRow] = []
        states = sorted({j for p in best.values() for j in (p.probe.jurisdiction,
                                                             p.other.jurisdiction)})  # fmt: skip
        fp_keys = {j: codec.fingerprint_key(j) or self._index_key for j in states}
        for key, p in sorted(best.items()):
            fp = keyed_pair_fingerprint(p.fingerprint, fp_keys,
                                        (p.probe.jurisdiction, p.other.jurisdiction))  # fmt: skip
            earlier = raised.get(key, [])
            # Cases stored before revision 0010 hold the unkeyed form (p.fingerprint).
            if any(CaseStatus(s) in ACTIVE or f in (fp, p.fingerprint) for s, f in earlier):
                continue
            new.append(self._case(key, fp, p, now))
        if not new:
            return {}
        uow.cases.add_many(new)
        uow.cases.add_events([c.case_id for c in new], None, CaseStatus.OPEN.value,
                             actor.jurisdiction, actor.user_id, now)  # fmt: skip
        self._notify(uow, new)
        for chunk in _chunks([c.case_id for c in new]):
            self._audit.append(uow.conn, AuditEvent.by(
                actor, Action.CASE_TRANSITION, refs=chunk, result_count=len(chunk),
                jurisdictions=frozenset(j for c in new for j in (c.jurisdiction_a,
                                                                 c.jurisdiction_b))))  # fmt: skip
        opened: dict[str, int] = {}
        written = {p.pointer_id for p in findings.written}
        for c in new:
            other = c.jurisdiction_b if c.pointer_a in written else c.jurisdiction_a
            opened[other] = opened.get(other, 0) + 1
        return opened

    def _caught_up(self, uow: UnitOfWork, findings: Findings, last: int,
                   opener: ProfileOpener) -> list[FoundPair]:  # fmt: skip
        """The lookup's pairs brought up to date under the lock: pointers committed since
        (epochs after ``looked``) and candidates rewritten since are scored afresh, and
        deleted ones dropped."""
        batch, matches = findings.batch, uow.matches
        recent = matches.since(findings.looked, last)
        if recent is None:  # more commits since the lookup than are kept: look again
            hits, found = matches.shared(batch.keys, self._lone_block_limit, batch.own)
            return score_hits(batch, hits, found, self._model, opener, self._candidate_limit)
        now = matches.versions([p.other.pk for p in findings.pairs])
        again = set(recent) | {p.other.pk for p in findings.pairs if p.other.pk in now
                               and now[p.other.pk] != p.other.version}
        pairs = [p for p in findings.pairs if p.other.pk in now and p.other.pk not in again]
        if again:
            hits, found = matches.among(batch.keys, sorted(again), self._lone_block_limit)
            pairs = best_per_probe(pairs + score_hits(batch, hits, found, self._model, opener,
                                                      self._candidate_limit))  # fmt: skip
        return pairs

    @staticmethod
    def _case(key: str, fp: str, p: FoundPair, now: datetime) -> CaseRow:
        a, b = p.probe, p.other
        conflict = is_real_id_conflict(a.real_id, a.status, b.real_id, b.status)
        return CaseRow(
            case_id=str(uuid.uuid4()), pair_key=key, identity_fp=fp,
            pointer_a=a.pointer_id, jurisdiction_a=a.jurisdiction, record_id_a=a.record_id,
            pointer_b=b.pointer_id, jurisdiction_b=b.jurisdiction, record_id_b=b.record_id,
            weight=p.scored.weight, match_class=p.scored.match_class,
            evidence=json.dumps(p.scored.evidence, sort_keys=True), real_id_conflict=conflict,
            status=CaseStatus.OPEN.value, opened_at=now, updated_at=now,
        )  # fmt: skip

    @staticmethod
    def _notify(uow: UnitOfWork, cases: Sequence[CaseRow]) -> None:
        per_state: dict[str, list[tuple[str, str, str]]] = {}
        for c in cases:
            states = sorted({c.jurisdiction_a, c.jurisdiction_b})
            body = encode({"case_id": c.case_id, "status": c.status,
                           "real_id_conflict": c.real_id_conflict, "jurisdictions": states})
            for j in states:
                per_state.setdefault(j, []).append(("case.opened", c.case_id, body))
        for j, items in sorted(per_state.items()):
            uow.notifications.add_many(j, items)


@dataclass(frozen=True, slots=True)
class Case:
    row: CaseRow
    overdue: bool
    history: tuple[CaseEventRow, ...] = ()


@dataclass(frozen=True, slots=True)
class CaseQueuePage:
    items: list[Case]
    next_cursor: str | None  # None: this page is the end of the queue


def encode_cursor(row: CaseRow) -> str:
    """The queue position just after ``row``: opaque to clients, URL-safe, and holding only
    what the client has already seen (the conflict flag, opening time and case id)."""
    opened = row.opened_at.astimezone(UTC).isoformat()
    raw = f"{CURSOR_VERSION}|{int(row.real_id_conflict)}|{opened}|{row.case_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> QueuePosition:
    """The position a cursor names; any cursor this hub did not hand out is a 422."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, flag, opened, case_id = raw.split("|")
        at = datetime.fromisoformat(opened)
        if version != CURSOR_VERSION or flag not in ("0", "1") or at.tzinfo is None \
                or not _CASE_ID.fullmatch(case_id):  # fmt: skip
            raise ValueError(cursor)
        return QueuePosition(flag == "1", at.astimezone(UTC), case_id)
    except (ValueError, OverflowError):
        raise InvalidRequest("cursor is not one this hub handed out; start again without "
                             "it and follow next_cursor.") from None


class CaseService:
    def __init__(self, uow_factory: Callable[[], UnitOfWork], audit: AuditLog,
                 max_age: timedelta = DEFAULT_MAX_AGE) -> None:  # fmt: skip
        self._uow = uow_factory
        self._audit = audit
        self.max_age = max_age

    def list_own(self, actor: Actor, statuses: Sequence[CaseStatus] | None = None,
                 older_than: timedelta | None = None, overdue_only: bool = False,
                 limit: int = 100, cursor: str | None = None,
                 now: datetime | None = None) -> CaseQueuePage:  # fmt: skip
        """One page of the actor's state's queue: REAL ID conflicts first, then oldest, then
        by case id. Every filter is applied by the database before the page is cut, so the
        pages of a filtered queue are full and ``next_cursor`` walks it without gaps."""
        authorize(actor, Permission.CASE_READ_OWN, actor.jurisdiction)
        after = decode_cursor(cursor) if cursor is not None else None
        now = now or datetime.now(UTC)
        wanted = [s.value for s in (statuses or sorted(ACTIVE))
                  if not overdue_only or s in ACTIVE]  # fmt: skip
        cutoffs = [now - older_than] if older_than is not None else []
        if overdue_only:
            cutoffs.append(overdue_cutoff(now, self.max_age))
        if not wanted:
            return CaseQueuePage([], None)
        size = max(1, min(limit, MAX_LIST))
        with self._uow() as uow:
            rows = uow.cases.for_jurisdiction(actor.jurisdiction, wanted,
                                              min(cutoffs, default=None), size + 1,
                                              after)  # fmt: skip
        page = [Case(r, is_overdue(_view(r), now, self.max_age)) for r in rows[:size]]
        more = len(rows) > size
        return CaseQueuePage(page, encode_cursor(page[-1].row) if more else None)

    def get(self, actor: Actor, case_id: str, now: datetime | None = None) -> Case:
        authorize(actor, Permission.CASE_READ_OWN, actor.jurisdiction)
        with self._uow() as uow:
            row = self._party_case(uow, actor, case_id, lock=False)
            history = tuple(uow.cases.events(case_id))
        return Case(row, is_overdue(_view(row), now or datetime.now(UTC), self.max_age), history)

    def transition(self, actor: Actor, case_id: str, target: CaseStatus) -> Case:
        """Move a case on; recorded with who and when, audited, and both states notified."""
        authorize(actor, Permission.CASE_RESOLVE, actor.jurisdiction)
        now = datetime.now(UTC)
        with self._uow() as uow:
            row = self._party_case(uow, actor, case_id, lock=True)
            try:
                check_transition(_view(row), target, actor.jurisdiction)
            except TransitionRefused as exc:
                raise Conflict(str(exc)) from None
            uow.cases.set_status(case_id, target.value, now)
            uow.cases.add_events([case_id], row.status, target.value, actor.jurisdiction,
                                 actor.user_id, now)  # fmt: skip
            parties = sorted({row.jurisdiction_a, row.jurisdiction_b})
            detail = {"case_id": case_id, "status": target.value, "jurisdictions": parties}
            for j in parties:
                notify_many(uow, j, [("case.transition", case_id, detail)])
            self._audit.append(uow.conn, AuditEvent.by(
                actor, Action.CASE_TRANSITION, refs=(case_id,), result_count=1,
                pointer_ids=(row.pointer_a, row.pointer_b),
                jurisdictions=frozenset(parties)))  # fmt: skip
            uow.commit()
            updated = uow.cases.get(case_id)
            history = tuple(uow.cases.events(case_id))
        assert updated is not None
        return Case(updated, is_overdue(_view(updated), now, self.max_age), history)

    @staticmethod
    def _party_case(uow: UnitOfWork, actor: Actor, case_id: str, lock: bool) -> CaseRow:
        row = uow.cases.get(case_id, lock=lock)
        if row is None:
            raise NotFound(f"No case has the id {case_id}.")
        try:
            check_party(_view(row), actor.jurisdiction)
        except TransitionRefused:
            # Another pair of states' case: as if it did not exist (no probing of ids).
            raise NotFound(f"No case has the id {case_id}.") from None
        return row


def _view(row: CaseRow) -> CaseView:
    opened = row.opened_at if row.opened_at.tzinfo else row.opened_at.replace(tzinfo=UTC)
    return CaseView(CaseStatus(row.status), row.jurisdiction_a, row.jurisdiction_b, opened,
                    row.real_id_conflict)  # fmt: skip
