"""EM recovers known m and u from an unlabelled two-class mixture; TF adjustment; model JSON."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpx.domain.estimation import (
    FIXED_FIELDS,
    M_FLOOR,
    _distinct_vectors,
    assemble,
    estimate_u,
    expectation_maximisation,
)
from lpx.domain.frequency import frequency_table
from lpx.domain.model import FIELDS, MatchModel
from lpx.domain.vectorized import LEVELS

# Known truth for two fields; every other field is null (no evidence) in the simulation.
TRUE_M = {"dob": [0.0, 0.85, 0.05, 0.05, 0.03, 0.02], "ssn": [0.0, 0.9, 0.05, 0.05]}
TRUE_U = {"dob": [0.0, 0.001, 0.0005, 0.01, 0.1, 0.8885], "ssn": [0.0, 0.001, 0.01, 0.989]}


def simulate(n: int, share: float, rng: np.random.Generator) -> dict[str, np.ndarray]:
    is_match = rng.random(n) < share
    out = {f: np.zeros(n, dtype=np.int8) for f in FIELDS}  # level 0: null / "same"
    for f in TRUE_M:
        m = rng.choice(len(TRUE_M[f]), n, p=TRUE_M[f])
        u = rng.choice(len(TRUE_U[f]), n, p=TRUE_U[f])
        out[f] = np.where(is_match, m, u).astype(np.int8)
    return out


def test_u_from_random_pairs_and_m_by_em_recover_the_truth() -> None:
    rng = np.random.default_rng(7)
    model = MatchModel()
    u = estimate_u(simulate(400_000, 0.0, rng), LEVELS, model)
    for f in TRUE_U:
        assert np.allclose(u[f][1 : len(TRUE_U[f])], TRUE_U[f][1:], atol=0.003)
    # A level read in context (SSN conflict) takes the u of the level it refines.
    assert u["ssn"][LEVELS["ssn"].index("conflict")] == u["ssn"][LEVELS["ssn"].index("else")]
    result = expectation_maximisation(simulate(200_000, 0.3, rng), ("dob", "ssn"), LEVELS,
                                      model, u, iterations=200)  # fmt: skip
    assert abs(result.share - 0.3) < 0.01
    for f in TRUE_M:
        assert np.allclose(result.m[f][1 : len(TRUE_M[f])], TRUE_M[f][1:], atol=0.01)
    trained = assemble(model, LEVELS, u, [(("dob", "ssn"), result)], 1e-5, "t1")
    assert trained.version == "t1"
    assert abs(trained.weight("dob", "exact") - math.log2(0.85 / 0.001)) < 0.2
    # Untrained fields keep their starting m; null levels stay weightless.
    assert trained.mu["sex"]["exact"][0] == model.mu["sex"]["exact"][0]
    assert trained.weight("dob", "null") == 0.0


def test_frequency_table_hides_rare_values_behind_a_floor() -> None:
    table, floor = frequency_table(["smith"] * 90 + ["oyelaran"] * 2 + ["lee"] * 8, min_count=5)
    assert table == {"smith": 0.9, "lee": 0.08}
    assert floor == 0.05


def test_tf_adjustment_makes_a_rare_name_count_more() -> None:
    base = MatchModel()
    model = MatchModel(tf={"last_name": {"smith": 0.02, "lee": 0.001}},
                       tf_floor={"last_name": 0.0001})  # fmt: skip
    u_exact = base.mu["last_name"]["exact"][1]
    common = model.tf_bits("last_name", "smith")
    rare = model.tf_bits("last_name", "oyelaran")  # below the table's floor
    assert common == math.log2(u_exact / 0.02) < 0
    assert rare == math.log2(u_exact / 0.0001) > model.tf_bits("last_name", "lee") > common
    assert model.tf_bits("first_name", "ann") == 0.0  # a field without a table


def test_a_model_made_by_replace_weighs_with_its_own_tables() -> None:
    """The bits are worked out when a model is made; training makes its models with
    ``dataclasses.replace``, which must not carry the old model's bits over."""
    model = MatchModel(tf={"last_name": {"smith": 0.02}}, tf_floor={"last_name": 0.0001})
    mu = {**model.mu, "dob": {**model.mu["dob"], "exact": (0.5, 0.25)}}
    trained = dataclasses.replace(model, mu=mu, tf={"last_name": {"smith": 0.04}})
    u_exact = model.mu["last_name"]["exact"][1]
    assert trained.weight("dob", "exact") == 1.0
    assert trained.tf_bits("last_name", "smith") == math.log2(u_exact / 0.04)
    assert trained.tf_bits("last_name", "lee") == math.log2(u_exact / 0.0001)
    assert list(trained.tf_adjustments("last_name", ["smith", "lee"])) == [
        trained.tf_bits("last_name", "smith"), trained.tf_bits("last_name", "lee")]  # fmt: skip


def test_model_json_round_trips_and_reads_format_1() -> None:
    model = MatchModel(tf={"first_name": {"ann": 0.01}}, tf_floor={"first_name": 0.001},
                       version="v9")  # fmt: skip
    data = model.to_dict()
    assert data["format"] == 2
    assert MatchModel.from_dict(data) == model
    old = {k: v for k, v in data.items() if k not in ("format", "tf")}
    assert MatchModel.from_dict(old).tf == {}


def test_a_level_the_matches_never_show_keeps_a_floor_not_zero() -> None:
    """EM alone drives m of an unseen level to 0 (weight -inf: proof against a match);
    the floor keeps it at ``M_FLOOR`` x its starting share, a bounded penalty."""
    rng = np.random.default_rng(11)
    model = MatchModel()
    never = dict(TRUE_M, dob=[0.0, 0.9, 0.0, 0.05, 0.03, 0.02])  # no day/month swaps
    is_match = rng.random(100_000) < 0.3
    lv = {f: np.zeros(100_000, dtype=np.int8) for f in FIELDS}
    for f in TRUE_M:
        m = rng.choice(len(never[f]), 100_000, p=never[f])
        u = rng.choice(len(TRUE_U[f]), 100_000, p=TRUE_U[f])
        lv[f] = np.where(is_match, m, u).astype(np.int8)
    u = {f: np.array([1.0, *TRUE_U[f][1:]]) if f in TRUE_U else np.ones(len(LEVELS[f]))
         for f in FIELDS}  # fmt: skip
    result = expectation_maximisation(lv, ("dob", "ssn"), LEVELS, model, u, iterations=200)
    start = np.array([model.mu["dob"][lv_][0] for lv_ in LEVELS["dob"][1:]])
    floor = M_FLOOR * start[1] / start.sum()
    assert result.m["dob"][2] >= floor * (1 - 1e-9)
    assert result.m["dob"][2] < 2 * floor
    assert abs(result.m["dob"][1] - 0.9) < 0.02  # the levels the data shows are still fitted


def test_name_order_keeps_its_starting_m_and_u() -> None:
    """The order level qualifies the name levels; counting it alone (random pairs pick the
    swapped reading whenever it ranks higher) made a swap a bonus of several bits."""
    rng = np.random.default_rng(3)
    model = MatchModel()
    lv = {f: rng.integers(0, len(LEVELS[f]), 20_000).astype(np.int8) for f in FIELDS}
    u = estimate_u(lv, LEVELS, model)
    start_u = [model.mu["name_order"][x][1] for x in LEVELS["name_order"]]
    assert "name_order" in FIXED_FIELDS
    assert np.allclose(u["name_order"], start_u)
    result = expectation_maximisation(lv, ("name_order", "dob"), LEVELS, model, u)
    assert np.allclose(result.m["name_order"],
                       [model.mu["name_order"][x][0] for x in LEVELS["name_order"]])  # fmt: skip


def test_em_keeps_the_ssn_conflict_share_it_cannot_learn() -> None:
    """Namesakes sit in the name block with DOB exact and SSN conflict: EM would call them
    matches. The conflict level keeps its starting share; the other levels are fitted."""
    rng = np.random.default_rng(5)
    model = MatchModel()
    n = 50_000
    conflict = LEVELS["ssn"].index("conflict")
    lv = {f: np.zeros(n, dtype=np.int8) for f in FIELDS}
    lv["dob"] = np.full(n, LEVELS["dob"].index("exact"), dtype=np.int8)
    lv["ssn"] = np.where(rng.random(n) < 0.3, conflict, LEVELS["ssn"].index("exact"))
    u = {f: np.array([1.0, *TRUE_U[f][1:]]) if f in TRUE_U else np.ones(len(LEVELS[f]))
         for f in FIELDS}  # fmt: skip
    u["ssn"] = np.append(u["ssn"], u["ssn"][3])
    result = expectation_maximisation(lv, ("dob", "ssn"), LEVELS, model, u)
    start = np.array([model.mu["ssn"][x][0] for x in LEVELS["ssn"][1:]])
    assert result.m["ssn"][conflict] == pytest.approx(start[conflict - 1] / start.sum())
    assert result.m["ssn"][1:].sum() == pytest.approx(1.0)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(2, 7), min_size=1, max_size=8), st.integers(0, 400), st.integers(0))
def test_distinct_vectors_are_numpys_unique_rows(radix: list[int], rows: int, seed: int) -> None:
    """The mixed-radix coding gives exactly ``np.unique(axis=0)``: same rows, order, counts."""
    rng = np.random.default_rng(seed)
    columns = [rng.integers(0, r, rows).astype(np.int8) for r in radix]
    vectors, counts = _distinct_vectors(columns, radix)
    expected, expected_counts = np.unique(
        np.stack([c.astype(np.int64) for c in columns], axis=1), axis=0, return_counts=True
    )
    assert np.array_equal(vectors, expected.reshape(-1, len(radix)))
    assert np.array_equal(counts, expected_counts)
