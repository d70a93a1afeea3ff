"""Search and status inquiries: one person, a purpose, an attributed user, ten answers at most."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from lpx.audit.entries import Action, AuditEvent
from lpx.audit.service import AuditLog
from lpx.auth.permissions import Permission
from lpx.auth.policy import Actor, authorize
from lpx.domain.blocking import LONE_KEY_BLOCK_LIMIT
from lpx.domain.inquiry import Purpose, SearchInquiry
from lpx.domain.linkage import ScoredPair
from lpx.domain.model import MatchModel
from lpx.domain.profile import MatchProfile
from lpx.domain.records import SsnTokens
from lpx.keys.provider import KeyDestroyed
from lpx.services.codec import IdentityCodec
from lpx.services.enumeration import InquiryGuard
from lpx.services.errors import Conflict, NotFound
from lpx.services.matching import probe_keys, score
from lpx.storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Candidate:
    pointer_id: str
    jurisdiction: str
    match_class: str
    weight: float
    probability: float
    evidence: dict[str, str]


@dataclass(frozen=True, slots=True)
class SearchResult:
    inquiry_id: str
    candidates: list[Candidate]


# Purposes at which a state issues a new record and so may carry the SSN tokens of the
# applicant's existing pointer (docs/privacy.md, "Carrying the decoy").
CARRY_PURPOSES = frozenset({Purpose.LICENSE_ISSUANCE, Purpose.ID_CARD_ISSUANCE,
                            Purpose.CHANGE_OF_STATE_OF_RECORD})  # fmt: skip
# Every refusal of a carry reads the same, so the answer says nothing about other
# jurisdictions' or users' inquiries, nor about pointers the inquiry did not show.
_NOT_CARRIED = ("No recent issuance inquiry of yours showed pointer {pointer_id}; carry a "
                "candidate of your own issuance inquiry within the carry window.")  # fmt: skip


@dataclass(frozen=True, slots=True)
class CarryResult:
    inquiry_id: str
    pointer_id: str
    ssn: SsnTokens | None  # None when that pointer carries no SSN tokens


@dataclass(frozen=True, slots=True)
class CardStatus:
    pointer_id: str
    jurisdiction: str
    card_type: str
    real_id: bool
    status: str
    issue_date: date | None
    expiry_date: date | None


class SearchService:
    guard: InquiryGuard | None = None  # rate limits and enumeration (set by bootstrap)

    def __init__(self, uow_factory: Callable[[], UnitOfWork], index_key: bytes,
                 model: MatchModel, audit: AuditLog,
                 candidate_limit: int = 500, *,
                 lone_block_limit: int = LONE_KEY_BLOCK_LIMIT,
                 codec: IdentityCodec | None = None,
                 carry_window: timedelta = timedelta(minutes=30)) -> None:  # fmt: skip
        self._uow = uow_factory
        # Without a codec identities are read as plaintext (the benchmark's peer only).
        self._codec = codec or IdentityCodec(None)
        self._index_key = index_key
        self.model = model
        self._audit = audit
        self._candidate_limit = candidate_limit
        self._lone_block_limit = lone_block_limit
        self._carry_window = carry_window

    def search(self, actor: Actor, inquiry: SearchInquiry) -> SearchResult:
        authorize(actor, Permission.INQUIRY_SEARCH)
        inquiry.validate(datetime.now(UTC).date())
        probe = MatchProfile.of(inquiry.identity)
        keys = probe_keys(self._index_key, probe)
        inquiry_id = str(uuid.uuid4())
        with self._uow() as uow:
            # Fetched with the guard's round trip; a refused inquiry's are never opened.
            candidates = uow.pointers.candidates_ahead(keys, self._candidate_limit,
                                                         self._lone_block_limit)
            if self.guard and (refused := self.guard.before_search(uow.conn, actor, inquiry,
                                                                  probe)):  # fmt: skip
                uow.commit()  # the refused hit still counts
                raise refused
            scored, where = self._score(probe, candidates())
            # An issuance inquiry keeps the ids it shows: a carry names one of them.
            shown = [s.key for s in scored] if inquiry.purpose in CARRY_PURPOSES else None
            uow.inquiries.add(inquiry_id, actor.jurisdiction, actor.user_id,
                              inquiry.purpose.value, len(scored), shown)  # fmt: skip
            self._audit.append(uow.conn, AuditEvent.by(
                actor, Action.INQUIRY_SEARCH, purpose=inquiry.purpose.value,
                pointer_ids=tuple(s.key for s in scored),
                jurisdictions=frozenset(where[s.key] for s in scored),
                refs=(inquiry_id,), result_count=len(scored)))  # fmt: skip
            uow.commit()
        return SearchResult(
            inquiry_id,
            [Candidate(s.key, where[s.key], s.match_class, s.weight, s.probability, s.evidence)
             for s in scored],
        )  # fmt: skip

    def carry(self, actor: Actor, inquiry_id: str, pointer_id: str) -> CarryResult:
        """The SSN tokens of the applicant's existing pointer, for the issuing state to adopt.

        The clerk confirmed candidate ``pointer_id`` of issuance inquiry ``inquiry_id`` as the
        applicant. The hub answers only if that inquiry was made by the same state and user,
        at an issuance purpose, within the carry window, and showed that pointer; every
        refusal is the same 404. The carry is not a new inquiry: it passes no rate limit or
        enumeration guard and writes no inquiry row, since the search it names already did.
        One inquiry carries one pointer: a repeat for the same pointer gets the same answer
        (a retry after a lost response), another pointer gets 409. The state sends this for
        every confirmed applicant, with or without an SSN, and the answer has the same shape
        either way. The read is audited to the pointer's state (``pointer.read``, refs the
        inquiry and ``ssn-carry``).
        """
        authorize(actor, Permission.INQUIRY_SEARCH)
        refused = NotFound(_NOT_CARRIED.format(pointer_id=pointer_id))
        since = datetime.now(UTC) - self._carry_window
        with self._uow() as uow:
            made = uow.inquiries.made_since(inquiry_id, since)
            if (made is None or made.jurisdiction != actor.jurisdiction
                    or made.user_id != actor.user_id
                    or made.purpose not in {p.value for p in CARRY_PURPOSES}
                    or pointer_id not in made.shown):  # fmt: skip
                raise refused
            row = uow.pointers.by_pointer_id(pointer_id)
            if row is None:  # deleted since the search
                raise refused
            try:
                profile = self._codec.profile(row.identity, row.jurisdiction, pointer_id)
            except KeyDestroyed:  # the pointer's state shredded its key since the search
                raise refused from None
            if not uow.inquiries.mark_carried(inquiry_id, pointer_id):
                raise Conflict(f"Inquiry {inquiry_id} already carried another candidate; make "
                               "a new issuance inquiry to carry a different one.")  # fmt: skip
            self._audit.append(uow.conn, AuditEvent.by(
                actor, Action.POINTER_READ, purpose=made.purpose,
                pointer_ids=(pointer_id,), jurisdictions=frozenset({row.jurisdiction}),
                refs=(inquiry_id, "ssn-carry"), result_count=1))  # fmt: skip
            uow.commit()
        tokens = (SsnTokens(profile.ssn_full, profile.ssn_masked)
                  if profile.ssn_full else None)  # fmt: skip
        return CarryResult(inquiry_id, pointer_id, tokens)

    def _match(self, uow: UnitOfWork, probe: MatchProfile,
               keys: Sequence[int]) -> tuple[list[ScoredPair], dict[str, str]]:  # fmt: skip
        """The matcher's part of an inquiry: candidate blocks, decryption, scoring. Private:
        every caller must audit what it shows (``benchmarks/search.py`` times it alone)."""
        rows = uow.pointers.candidates(keys, self._candidate_limit, self._lone_block_limit)
        return self._score(probe, rows)

    def _score(self, probe: MatchProfile, rows: list[tuple[str, str, str]]
               ) -> tuple[list[ScoredPair], dict[str, str]]:  # fmt: skip
        return score(probe, self._opened(rows), self.model), {p: j for p, j, _ in rows}

    def _opened(self, rows: list[tuple[str, str, str]]) -> Iterator[tuple[str, str]]:
        """Decrypt only the candidates; a shredded state's rows are skipped, never shown."""
        for pid, jurisdiction, doc in rows:
            try:
                yield pid, self._codec.open(doc, jurisdiction, pid)
            except KeyDestroyed:
                continue

    def status(self, actor: Actor, pointer_id: str) -> CardStatus:
        authorize(actor, Permission.INQUIRY_STATUS)
        with self._uow() as uow:
            if self.guard and (refused := self.guard.before_status(uow.conn, actor)):
                uow.commit()
                raise refused
            row = uow.pointers.by_pointer_id(pointer_id)
            if row is None:
                raise NotFound(f"No pointer has the id {pointer_id}.")
            self._audit.append(uow.conn, AuditEvent.by(
                actor, Action.INQUIRY_STATUS, pointer_ids=(row.pointer_id,),
                jurisdictions=frozenset({row.jurisdiction}), result_count=1))  # fmt: skip
            uow.commit()
        return CardStatus(row.pointer_id, row.jurisdiction, row.card_type, row.real_id,
                          row.status, row.issue_date, row.expiry_date)  # fmt: skip
