"""The bulk write path stores exactly what it promises, on SQLite and PostgreSQL (where
pointers, blocking keys, cases, case events and notifications go by COPY): every pointer's
blocking rows are the keyed hashes of its keys, and a batch's cases come with their opening
event and one notification per involved state."""

from __future__ import annotations

from sqlalchemy import func, select

from lpx.api.schemas import PointerIn
from lpx.auth.permissions import Role
from lpx.auth.policy import Actor
from lpx.bootstrap import Hub
from lpx.client.keys import generate as generate_keys
from lpx.client.rows import parse_row
from lpx.domain.blocking import hash_key, pointer_keys
from lpx.domain.profile import MatchProfile
from lpx.storage import tables as t
from lpx.storage import workflow_tables as w
from lpx.synth import generate

STATES = ("CA", "NY", "TX")


def _load(hub: Hub, count: int) -> dict[str, int]:
    keys = generate_keys()
    batches: dict[str, list[PointerIn]] = {s: [] for s in STATES}
    for line, rec in enumerate(generate(count, STATES, seed=11), start=2):
        batches[rec.state].append(PointerIn.model_validate(
            parse_row(line, rec.row, keys, rec.state)))  # fmt: skip
    opened: dict[str, int] = {}
    for state, pointers in batches.items():
        actor = Actor(state, "loader", frozenset({Role.RECORDS}), 0)
        result = hub.pointers.upsert_batch(actor, [p.to_domain(state) for p in pointers])
        for other, n in result.cases_opened.items():
            opened[other] = opened.get(other, 0) + n
    return opened


def test_blocking_rows_are_the_keyed_hashes_of_each_pointers_keys(hub: Hub) -> None:
    _load(hub, 120)
    index_key = hub.settings.index_key()
    with hub.engine.connect() as conn:
        stored: dict[int, set[int]] = {}
        for key, pk in conn.execute(select(t.pointer_blocks.c.block_key,
                                           t.pointer_blocks.c.pointer_pk)):  # fmt: skip
            stored.setdefault(pk, set()).add(key)
        rows = conn.execute(select(t.pointers.c.pk, t.pointers.c.pointer_id,
                                   t.pointers.c.jurisdiction, t.pointers.c.identity)).all()
    assert len(rows) == 120
    for pk, pointer_id, jurisdiction, identity in rows:
        profile: MatchProfile = hub.pointers.codec.profile(identity, jurisdiction, pointer_id)
        expected = {hash_key(index_key, k) for k in pointer_keys(profile)}
        assert stored[pk] == expected


def test_a_batchs_cases_have_their_events_and_notifications(hub: Hub) -> None:
    opened = _load(hub, 300)
    with hub.engine.connect() as conn:
        cases = conn.execute(select(w.cases.c.case_id, w.cases.c.jurisdiction_a,
                                    w.cases.c.jurisdiction_b, w.cases.c.real_id_conflict,
                                    w.cases.c.evidence)).all()  # fmt: skip
        events = conn.execute(select(w.case_events.c.case_id, w.case_events.c.from_status,
                                     w.case_events.c.to_status)).all()  # fmt: skip
        notes = conn.execute(select(w.notifications.c.jurisdiction, w.notifications.c.ref,
                                    w.notifications.c.kind)).all()  # fmt: skip
        seqs = conn.execute(select(w.notifications.c.jurisdiction, func.min(w.notifications.c.seq),
                                   func.max(w.notifications.c.seq), func.count())
                            .group_by(w.notifications.c.jurisdiction)).all()  # fmt: skip
    assert cases
    assert sum(opened.values()) == len(cases)
    assert sorted((c, f, s) for c, f, s in events) == sorted(
        (c.case_id, None, "open") for c in cases)
    expected = sorted((j, c.case_id, "case.opened") for c in cases
                      for j in {c.jurisdiction_a, c.jurisdiction_b})  # fmt: skip
    assert sorted((j, r, k) for j, r, k in notes) == expected
    assert all(lo == 1 and hi == n for _, lo, hi, n in seqs)  # gapless per state
    assert all(isinstance(c.real_id_conflict, bool) and c.evidence.startswith("{")
               for c in cases)  # fmt: skip
