"""Service results turned into what a page shows: labels, badges and ages. Templates only
print these; every decision about data or access was made by the services."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from lpx.domain.cases import TRANSITIONS, CaseStatus
from lpx.domain.inquiry import Purpose
from lpx.domain.transfers import TRANSITIONS as TRANSFER_TRANSITIONS
from lpx.domain.transfers import TransferStatus
from lpx.services.cases import Case
from lpx.services.codec import parse_identity
from lpx.services.search import Candidate
from lpx.services.transfers import Transfer
from lpx.storage.repositories import PointerRow

FIELD_LABELS = {"first_name": "First name", "last_name": "Last name",
                "name_order": "Name order", "middle_name": "Middle name", "suffix": "Suffix",
                "dob": "Date of birth", "sex": "Sex", "ssn": "SSN-5"}  # fmt: skip
AGREED = frozenset({"exact", "same"})
NOT_COMPARED = frozenset({"null", "one_missing"})
DISAGREED = frozenset({"else"})
CASE_ACTIONS = {CaseStatus.SAME_PERSON: "Same person",
                CaseStatus.DIFFERENT_PEOPLE: "Different people",
                CaseStatus.UNDER_INVESTIGATION: "Under investigation",
                CaseStatus.CLOSED: "Close (follow-up done)"}  # fmt: skip


def purpose_label(value: str | None) -> str:
    return (value or "").replace("_", " ").capitalize()


PURPOSES = [(p.value, purpose_label(p.value)) for p in Purpose]


@dataclass(frozen=True, slots=True)
class Badge:
    field: str
    kind: str  # agreed, close, disagreed, not-compared (the CSS class)
    text: str  # what the badge says, so colour is never the only signal
    level: str  # the comparison level behind it, for the title


def agreement(field: str, level: str) -> Badge:
    label = FIELD_LABELS.get(field, field.replace("_", " ").capitalize())
    if level in AGREED:
        kind, text = "agreed", "agreed"
    elif level in NOT_COMPARED:
        kind, text = "not-compared", "not compared"
    elif level in DISAGREED:
        kind, text = "disagreed", "disagreed"
    else:
        kind, text = "close", "close"
    return Badge(label, kind, text, level.replace("_", " "))


def badges(evidence: dict[str, str]) -> list[Badge]:
    order = list(FIELD_LABELS)
    fields = sorted(evidence, key=lambda f: (order.index(f) if f in order else len(order), f))
    return [agreement(f, evidence[f]) for f in fields]


@dataclass(frozen=True, slots=True)
class CandidateView:
    pointer_id: str
    jurisdiction: str
    match_class: str
    probability: str
    badges: list[Badge]
    other_state: bool  # another state's pointer: one the actor's state may take over


def candidate(c: Candidate, own: str) -> CandidateView:
    return CandidateView(c.pointer_id, c.jurisdiction, c.match_class, f"{c.probability:.1%}",
                         badges(c.evidence), c.jurisdiction != own)  # fmt: skip


def _aware(d: datetime) -> datetime:
    return d if d.tzinfo else d.replace(tzinfo=UTC)


def age(since: datetime, now: datetime | None = None) -> str:
    days = ((now or datetime.now(UTC)) - _aware(since)).days
    return "less than a day" if days < 1 else f"{days} day{'s' if days != 1 else ''}"


@dataclass(frozen=True, slots=True)
class Side:
    jurisdiction: str
    record_id: str
    pointer_id: str
    own: bool


@dataclass(frozen=True, slots=True)
class CaseView:
    case_id: str
    status: str
    status_label: str
    match_class: str
    weight: str
    real_id_conflict: bool
    overdue: bool
    age: str
    opened_at: str
    ours: Side
    theirs: Side
    badges: list[Badge]
    actions: list[tuple[str, str]]  # (status value, button label) the rules allow next


def case(c: Case, own: str) -> CaseView:
    r = c.row
    a = Side(r.jurisdiction_a, r.record_id_a, r.pointer_a, r.jurisdiction_a == own)
    b = Side(r.jurisdiction_b, r.record_id_b, r.pointer_b, r.jurisdiction_b == own)
    ours, theirs = (a, b) if a.own else (b, a)
    status = CaseStatus(r.status)
    evidence = {str(k): str(v) for k, v in json.loads(r.evidence).items()}
    actions = [(t.value, CASE_ACTIONS[t]) for t in CASE_ACTIONS if t in TRANSITIONS[status]]
    return CaseView(r.case_id, status.value, purpose_label(status.value), r.match_class,
                    f"{r.weight:.1f}", r.real_id_conflict, c.overdue, age(r.opened_at),
                    _aware(r.opened_at).strftime("%Y-%m-%d"), ours, theirs, badges(evidence),
                    actions)  # fmt: skip


@dataclass(frozen=True, slots=True)
class TransferView:
    transfer_id: str
    pointer_id: str
    from_jurisdiction: str
    from_record_id: str
    to_jurisdiction: str
    to_record_id: str
    status: str
    overdue: bool
    age: str
    ours_to_answer: bool  # the actor's state is the former SOR, which confirms or disputes
    answers: list[tuple[str, str]]  # (answer value, button label) the rules allow next


TRANSFER_ANSWERS = {TransferStatus.CONFIRMED: "Confirm: our card is cancelled",
                    TransferStatus.DISPUTED: "Dispute"}  # fmt: skip


def transfer(t: Transfer, own: str) -> TransferView:
    r = t.row
    allowed = TRANSFER_TRANSITIONS[TransferStatus(r.status)]
    answers = [(s.value, label) for s, label in TRANSFER_ANSWERS.items() if s in allowed]
    return TransferView(r.transfer_id, r.pointer_id, r.from_jurisdiction, r.from_record_id,
                        r.to_jurisdiction, r.to_record_id, purpose_label(r.status), t.overdue,
                        age(r.requested_at), r.from_jurisdiction == own, answers)  # fmt: skip


@dataclass(frozen=True, slots=True)
class RecordView:
    """The actor's own record, as its records office knows it."""

    name: str
    dob: str
    sex: str
    card: str
    expires: str


def own_record(row: PointerRow) -> RecordView:
    identity, _ = parse_identity(row.identity)
    name = " ".join(p for p in (identity.first_name, identity.middle_name, identity.last_name,
                                identity.suffix) if p)  # fmt: skip
    card = f"{row.card_type}{' (REAL ID)' if row.real_id else ''}, {row.status}"
    return RecordView(name, identity.dob.isoformat(), identity.sex or "—", card,
                      row.expiry_date.isoformat() if row.expiry_date else "—")  # fmt: skip


def when(d: datetime | None) -> str:
    return _aware(d).strftime("%Y-%m-%d %H:%M UTC") if d else ""
