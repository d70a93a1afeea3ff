"""EM recovers known m and u from an unlabelled two-class mixture; TF adjustment; model JSON."""

from __future__ import annotations

import math

import numpy as np

from lpx.domain.estimation import assemble, estimate_u, expectation_maximisation
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
        assert np.allclose(u[f][1:], TRUE_U[f][1:], atol=0.003)
    result = expectation_maximisation(simulate(200_000, 0.3, rng), ("dob", "ssn"), LEVELS,
                                      model, u, iterations=200)  # fmt: skip
    assert abs(result.share - 0.3) < 0.01
    for f in TRUE_M:
        assert np.allclose(result.m[f][1:], TRUE_M[f][1:], atol=0.01)
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
    common = model.weight_for("last_name", "exact", "smith")
    rare = model.weight_for("last_name", "exact", "oyelaran")
    assert common == base.weight("last_name", "exact") + math.log2(u_exact / 0.02)
    assert rare > model.weight_for("last_name", "exact", "lee") > common
    # Only the exact level is adjusted, and only fields with a table.
    assert model.weight_for("last_name", "jw_high", "smith") == base.weight("last_name", "jw_high")
    assert model.weight_for("first_name", "exact", "ann") == base.weight("first_name", "exact")


def test_model_json_round_trips_and_reads_format_1() -> None:
    model = MatchModel(tf={"first_name": {"ann": 0.01}}, tf_floor={"first_name": 0.001},
                       version="v9")  # fmt: skip
    data = model.to_dict()
    assert data["format"] == 2
    assert MatchModel.from_dict(data) == model
    old = {k: v for k, v in data.items() if k not in ("format", "tf")}
    assert MatchModel.from_dict(old).tf == {}
