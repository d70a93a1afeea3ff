"""``lpx model train --from-hub``: the model is re-estimated from the loaded (sealed) pointers,
written as versioned JSON, and is the model a hub started with ``LPX_MODEL_FILE`` uses."""

from __future__ import annotations

import json
from datetime import date, timedelta
from functools import partial
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lpx.audit.entries import Action, AuditEntry
from lpx.audit.repository import AuditRepository
from lpx.auth.permissions import Role
from lpx.auth.policy import Actor
from lpx.bootstrap import Hub, build_hub
from lpx.cli.main import app
from lpx.config import Settings
from lpx.domain.model import MatchModel
from lpx.domain.records import Card, CardType, Identity, PointerRecord, Status
from lpx.services.codec import IdentityCodec
from lpx.services.model_training import ModelTrainingService, TooFewPointers
from lpx.storage.uow import UnitOfWork

FIRST = ("William", "Maria", "James", "Ana", "Robert", "Linda", "Jose", "Mei", "Omar", "Zoe")
LAST = ("Garcia", "Smith", "Nguyen", "Johnson", "Lopez", "Kim", "Brown", "Patel", "Okafor")


def _person(i: int) -> Identity:
    return Identity(first_name=FIRST[i % 10], last_name=LAST[(i * 7) % 9],
                    dob=date(1950, 1, 1) + timedelta(days=i * 37))  # fmt: skip


def _load(hub: Hub, jurisdiction: str, people: list[Identity]) -> None:
    actor = Actor(jurisdiction, "loader", frozenset({Role.RECORDS}), 0)
    records = [PointerRecord(jurisdiction, f"D{i:07d}", p, Card(CardType.DL, True, Status.ACTIVE))
               for i, p in enumerate(people)]  # fmt: skip
    hub.pointers.upsert_batch(actor, records)


def _loaded(hub: Hub) -> tuple[int, int]:
    """300 people in CA; NY holds 100 of them again, a third with a misspelt first name."""
    people = [_person(i) for i in range(300)]
    _load(hub, "CA", people)
    again = [Identity(p.first_name + ("e" if i % 3 == 0 else ""), p.last_name, p.dob)
             for i, p in enumerate(people[:100])]  # fmt: skip
    _load(hub, "NY", again)
    return 300, 100


def _service(hub: Hub) -> ModelTrainingService:
    return ModelTrainingService(partial(UnitOfWork, hub.engine), IdentityCodec(hub.keys.ring),
                                hub.audit.log)  # fmt: skip


def test_training_reads_every_sealed_pointer_and_learns_from_them(hub: Hub) -> None:
    ca, ny = _loaded(hub)
    steps: list[tuple[str, int, int | None]] = []
    trained = _service(hub).train(user="op-1", random_pairs=5000, version="t-hub",
                                  progress=lambda *s: steps.append(s))  # fmt: skip
    assert (trained.pointers, trained.skipped) == (ca + ny, 0)
    model = trained.model
    assert model.version == "t-hub"
    assert (model.match_threshold, model.possible_threshold) == (20.0, 10.0)
    # The name frequencies come from the opened identities (10 first names over 400 rows).
    assert set(model.tf["first_name"]) >= {"william", "maria", "zoe"}
    assert model.mu != MatchModel().mu  # u and m were re-estimated
    assert model.weight("dob", "exact") > 0 > model.weight("dob", "else")
    assert ("Reading pointers", ca + ny, ca + ny) in steps
    assert steps[-1][0] == "Estimating"


def test_each_state_read_for_training_gets_an_audit_entry(hub: Hub) -> None:
    ca, _ = _loaded(hub)
    hub.keys.destroy("NY", "operator")  # NY's identities cannot be opened: nothing to record
    _service(hub).train(user="op-1", random_pairs=5000)

    def trained(state: str) -> list[tuple[str, int]]:
        with hub.engine.connect() as conn:
            stored = AuditRepository(conn).feed(state, 0, 2**62, 10_000)
        events = [AuditEntry.from_leaf(s.leaf_data).event for s in stored]
        return [(e.user_id, e.result_count) for e in events if e.action == Action.MODEL_TRAIN]

    assert trained("CA") == [("operator:op-1", ca)]
    assert trained("NY") == []


def test_a_large_hub_is_sampled_evenly(hub: Hub) -> None:
    ca, ny = _loaded(hub)
    profiles, skipped = _service(hub).profiles(sample=100, user="op-1")
    assert skipped == 0
    assert 80 <= len(profiles) <= 100 < ca + ny


def test_a_destroyed_state_is_skipped_never_read(hub: Hub) -> None:
    ca, ny = _loaded(hub)
    hub.keys.destroy("NY", "operator")
    trained = _service(hub).train(user="op-1", random_pairs=5000)
    assert (trained.pointers, trained.skipped) == (ca, ny)


def test_an_empty_hub_refuses_to_train(hub: Hub) -> None:
    with pytest.raises(TooFewPointers):
        _service(hub).train(user="op-1", random_pairs=5000)


def test_cli_writes_the_model_file_the_hub_loads(hub: Hub, settings: Settings,
                                                 tmp_path: Path) -> None:  # fmt: skip
    _loaded(hub)
    target = tmp_path / "model" / "match.json"
    env = {"LPX_DATABASE_URL": settings.database_url, "LPX_DATA_DIR": str(settings.data_dir),
           "LPX_MODEL_FILE": str(target)}  # fmt: skip
    result = CliRunner().invoke(app, ["model", "train", "--from-hub", "--random-pairs", "5000"],
                                env=env)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "400 pointers" in result.output
    data = json.loads(target.read_text())
    assert data["version"].startswith("trained-")
    restarted = build_hub(settings.model_copy(update={"model_file": target}), engine=hub.engine)
    assert restarted.search.model == MatchModel.from_dict(data)


def test_cli_needs_one_source_and_a_target(hub: Hub, settings: Settings) -> None:
    env = {"LPX_DATABASE_URL": settings.database_url, "LPX_DATA_DIR": str(settings.data_dir)}
    both = CliRunner().invoke(app, ["model", "train", "--from-hub", "x.csv"],
                              env=env)  # fmt: skip
    assert both.exit_code != 0
    no_target = CliRunner().invoke(app, ["model", "train", "--from-hub"], env=env)
    assert no_target.exit_code != 0
    assert "LPX_MODEL_FILE" in no_target.output
