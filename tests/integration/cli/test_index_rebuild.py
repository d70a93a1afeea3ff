"""``lpx index rebuild``: every pointer gets the keys of every current blocking rule back
from its sealed identity, old keys go, shredded states stay unkeyed, each state read is
audited once; on SQLite and PostgreSQL (the ``hub`` fixture)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from functools import partial

from sqlalchemy import delete, select
from typer.testing import CliRunner

from lpx.audit.entries import Action, AuditEntry
from lpx.audit.repository import AuditRepository
from lpx.auth.permissions import Role
from lpx.auth.policy import Actor
from lpx.bootstrap import Hub
from lpx.cli.main import app
from lpx.config import Settings
from lpx.domain.blocking import hash_key, pointer_keys
from lpx.domain.records import (
    MASKED_TOKEN_COUNT,
    Card,
    CardType,
    Identity,
    PointerRecord,
    SsnTokens,
    Status,
)
from lpx.services.codec import IdentityCodec
from lpx.services.reindex import ReindexService
from lpx.storage import tables as t
from lpx.storage.uow import UnitOfWork

FIRST = ("William", "Maria", "James", "Ana", "Robert", "Linda", "Jose")
LAST = ("Garcia", "Smith", "Nguyen", "Johnson", "Lopez", "Kim")


def _person(i: int) -> Identity:
    ssn = SsnTokens(f"{i:032x}", tuple(f"{i:031x}{d}" for d in range(MASKED_TOKEN_COUNT)))
    return Identity(first_name=FIRST[i % 7], last_name=LAST[(i * 5) % 6],
                    dob=date(1950, 1, 1) + timedelta(days=i * 41), ssn=ssn)  # fmt: skip


def _load(hub: Hub, jurisdiction: str, count: int) -> None:
    actor = Actor(jurisdiction, "loader", frozenset({Role.RECORDS}), 0)
    records = [PointerRecord(jurisdiction, f"D{i:07d}", _person(i),
                             Card(CardType.DL, True, Status.ACTIVE)) for i in range(count)]
    hub.pointers.upsert_batch(actor, records)


def _service(hub: Hub) -> ReindexService:
    return ReindexService(partial(UnitOfWork, hub.engine), IdentityCodec(hub.keys.ring),
                          hub.settings.index_key(), hub.audit.log)  # fmt: skip


def _expected(hub: Hub) -> dict[int, dict[str, set[int]]]:
    """pk -> rule letter -> the hashed keys the current rules give the pointer."""
    codec, key = IdentityCodec(hub.keys.ring), hub.settings.index_key()
    out: dict[int, dict[str, set[int]]] = {}
    with hub.engine.connect() as conn:
        rows = conn.execute(select(t.pointers.c.pk, t.pointers.c.pointer_id,
                                   t.pointers.c.jurisdiction, t.pointers.c.identity)).all()
    for pk, pointer_id, jurisdiction, identity in rows:
        rules: dict[str, set[int]] = defaultdict(set)
        for k in pointer_keys(codec.profile(identity, jurisdiction, pointer_id)):
            rules[k.split("|", 1)[0]].add(hash_key(key, k))
        out[pk] = dict(rules)
    return out


def _stored(hub: Hub) -> dict[int, set[int]]:
    out: dict[int, set[int]] = defaultdict(set)
    with hub.engine.connect() as conn:
        for block_key, pk in conn.execute(select(t.pointer_blocks.c.block_key,
                                                 t.pointer_blocks.c.pointer_pk)):
            out[pk].add(block_key)
    return dict(out)


def _age_index(hub: Hub, expected: dict[int, dict[str, set[int]]], rules: set[str]) -> None:
    """Make the hub look like one written before ``rules`` existed, with a retired key."""
    gone = [k for by_rule in expected.values() for r in rules for k in by_rule.get(r, ())]
    with hub.engine.begin() as conn:
        conn.execute(delete(t.pointer_blocks).where(t.pointer_blocks.c.block_key.in_(gone)))
        conn.execute(t.pointer_blocks.insert(), [{"block_key": -pk, "pointer_pk": pk}
                                                 for pk in expected])  # fmt: skip


def _rebuilds(hub: Hub) -> list[tuple[str, str, int]]:
    found = []
    for state in ("CA", "NY", "TX"):
        with hub.engine.connect() as conn:
            stored = AuditRepository(conn).feed(state, 0, 2**62, 10_000)
        found += [(state, e.user_id, e.result_count)
                  for e in (AuditEntry.from_leaf(s.leaf_data).event for s in stored)
                  if e.action == Action.INDEX_REBUILD]  # fmt: skip
    return found


def test_every_rule_has_its_keys_after_a_rebuild(hub: Hub) -> None:
    _load(hub, "CA", 40)
    _load(hub, "NY", 25)
    expected = _expected(hub)
    rules = {r for by_rule in expected.values() for r in by_rule}
    assert {"F", "L", "N", "P", "S", "G", "Q0"} <= rules  # the pointers exercise the rules
    _age_index(hub, expected, {"P", "A", "G", "K"})
    assert not any(expected[pk]["P"] <= keys for pk, keys in _stored(hub).items())

    done = _service(hub).rebuild(user="op-1", page=7)

    stored = _stored(hub)
    for pk, by_rule in expected.items():
        for rule, keys in by_rule.items():
            assert keys <= stored[pk], f"rule {rule} keys missing for pointer {pk}"
        assert stored[pk] == set().union(*by_rule.values())  # the retired key is gone
    assert (done.pointers, done.skipped, done.by_state) == (65, 0, {"CA": 40, "NY": 25})
    assert done.keys == sum(len(keys) for keys in stored.values())


def test_a_second_rebuild_changes_nothing(hub: Hub) -> None:
    _load(hub, "CA", 30)
    _service(hub).rebuild(user="op-1")
    first = _stored(hub)
    again = _service(hub).rebuild(user="op-1", page=4)
    assert _stored(hub) == first
    assert again.keys == sum(len(keys) for keys in first.values())


def test_shredded_states_are_skipped_and_each_state_read_is_audited(hub: Hub) -> None:
    _load(hub, "CA", 20)
    _load(hub, "NY", 10)
    ny = {pk for pk, in hub.engine.connect().execute(
        select(t.pointers.c.pk).where(t.pointers.c.jurisdiction == "NY"))}  # fmt: skip
    hub.keys.destroy("NY", "operator")  # drops NY's keys; they must not come back
    done = _service(hub).rebuild(user="op-1")
    assert (done.pointers, done.skipped) == (20, 10)
    assert not ny & set(_stored(hub))
    assert _rebuilds(hub) == [("CA", "operator:op-1", 20)]


def test_cli_rebuilds_and_reports_counts(hub: Hub, settings: Settings) -> None:
    _load(hub, "TX", 12)
    expected = _expected(hub)
    _age_index(hub, expected, {"L"})
    env = {"LPX_DATABASE_URL": settings.database_url, "LPX_DATA_DIR": str(settings.data_dir)}
    result = CliRunner().invoke(app, ["index", "rebuild", "--user", "op-2", "--page", "5"],
                                env=env)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "12 pointers re-keyed" in result.output
    stored = _stored(hub)
    assert all(expected[pk]["L"] <= stored[pk] for pk in expected)
    assert _rebuilds(hub) == [("TX", "operator:op-2", 12)]
