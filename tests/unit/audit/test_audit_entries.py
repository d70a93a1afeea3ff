"""Audit entries: canonical leaf bytes, strict parsing, and no room for personal data."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from lpx.audit.entries import Action, AuditEntry, AuditEvent, InvalidEntry
from lpx.auth.permissions import Role
from lpx.auth.policy import Actor

POINTER = "0b8a7f1e-3c2d-4e5f-8a9b-0c1d2e3f4a5b"
EVENT = AuditEvent("CA", "clerk-7", ("clerk",), Action.INQUIRY_SEARCH, "license_issuance",
                   (POINTER,), frozenset({"CA", "NY"}), ("inq-1",), 1)  # fmt: skip
ENTRY = AuditEntry(41, 1_700_000_000_123_456, EVENT, {"CA": 3, "NY": 0})


def test_leaf_is_canonical_json_that_round_trips() -> None:
    leaf = ENTRY.leaf()
    doc = json.loads(leaf)
    assert leaf == json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
    assert doc["seq"] == 41
    assert doc["jurisdictions"] == {"CA": 3, "NY": 0}
    assert AuditEntry.from_leaf(leaf) == ENTRY
    assert ENTRY.time.isoformat() == "2023-11-14T22:13:20.123456+00:00"


def test_a_reformatted_leaf_is_refused() -> None:
    pretty = json.dumps(json.loads(ENTRY.leaf()), indent=1).encode()
    with pytest.raises(InvalidEntry, match="canonical"):
        AuditEntry.from_leaf(pretty)


@pytest.mark.parametrize("data", [b"", b"[]", b'{"v": 2}', b'{"v": 1}', b"\xff"])
def test_garbage_is_refused(data: bytes) -> None:
    with pytest.raises(InvalidEntry):
        AuditEntry.from_leaf(data)


@pytest.mark.parametrize("change", [
    {"pointer_ids": ("Maria Lopez",)}, {"pointer_ids": ("1980-03-05",)},
    {"refs": ("Maria Lopez 1980",)}, {"jurisdictions": frozenset({"California"})},
    {"actor_jurisdiction": "ca"}, {"user_id": ""}, {"purpose": "Because I said so"},
    {"result_count": -1}, {"roles": ("Clerk Smith",)},
    {"pointer_ids": (POINTER,) * 1001},
])  # fmt: skip
def test_personal_data_and_bad_fields_are_refused(change: dict[str, object]) -> None:
    with pytest.raises(InvalidEntry):
        replace(EVENT, **change).validate()  # type: ignore[arg-type]


def test_the_event_names_the_actor_and_the_states_touched() -> None:
    actor = Actor("TX", "clerk-1", frozenset({Role.CLERK, Role.RECORDS}), 5)
    event = AuditEvent.by(actor, Action.CANDIDATE_SHOWN, jurisdictions=frozenset({"CA"}))
    assert event.roles == ("clerk", "records")
    assert event.touched() == ("CA", "TX")
    event.validate()
