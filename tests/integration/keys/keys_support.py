"""Builders for the encryption-at-rest tests: pointers written through the real services."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from lpx.auth.permissions import Role
from lpx.auth.policy import Actor
from lpx.bootstrap import Hub
from lpx.domain.inquiry import Purpose, SearchInquiry
from lpx.domain.records import Card, CardType, Identity, PointerRecord, Status
from lpx.storage import tables as t


def actor(code: str, *roles: Role) -> Actor:
    return Actor(code, "tester", frozenset(roles or (Role.RECORDS, Role.CLERK)), 1)


def record(code: str, record_id: str, first: str = "Maria", last: str = "Quintanilla",
           dob: date = date(1980, 3, 5)) -> PointerRecord:  # fmt: skip
    return PointerRecord(code, record_id, Identity(first, last, dob, middle_name="Elena"),
                         Card(CardType.DL, True, Status.ACTIVE, date(2020, 1, 2)))  # fmt: skip


def write(hub: Hub, code: str, *records: PointerRecord) -> None:
    hub.pointers.upsert_batch(actor(code), list(records))


def search(hub: Hub, first: str = "Maria", last: str = "Quintanilla") -> set[str]:
    """The jurisdictions of the candidates a CA clerk finds for the person."""
    inquiry = SearchInquiry(Identity(first, last, date(1980, 3, 5)), Purpose.LICENSE_ISSUANCE)
    return {c.jurisdiction for c in hub.search.search(actor("CA"), inquiry).candidates}


def raw_identities(hub: Hub, code: str) -> dict[str, tuple[str, str]]:
    """record_id -> (pointer_id, stored identity text), read straight from the table."""
    p = t.pointers
    with hub.engine.connect() as conn:
        rows = conn.execute(select(p.c.record_id, p.c.pointer_id, p.c.identity)
                            .where(p.c.jurisdiction == code)).all()  # fmt: skip
    return {r[0]: (r[1], r[2]) for r in rows}
