"""The batch fast paths give exactly what the plain paths give: coded levels and weights
equal the string engine's on every pair, the pyarrow CSV reader reads what the row reader
reads, and sampled block pairs are the ones the full list would have given."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpx.client.files import COLUMNS
from lpx.client.keys import NetworkKeys
from lpx.domain.model import FIELDS, MatchModel
from lpx.domain.training import MAX_GROUP, _block_pairs
from lpx.domain.vectorized import ProfileArrays, levels, weight_table, weights
from lpx.linkage import columns, read_columns, read_records
from lpx.linkage.coded import CodedWeights
from lpx.linkage.coded import levels as coded_levels
from lpx.linkage.training import block_pairs

KEYS = NetworkKeys(b"t" * 32, b"d" * 32)
# Pools where exact, nickname, swapped, one-of-two, long and AKA readings all turn up.
FIRSTS = ["William", "Bill", "Will", "Wiliam", "Margaret", "Peggy", "J", "John", "Jon", "",
          "Mary", "Garcia", "Cruz", "Ann", "Anne", "De", "José"]  # fmt: skip
LASTS = ["Garcia Lopez", "Garcia", "Lopez", "Garcya", "De la Cruz", "Cruz", "Smith", "Smyth",
         "William", "", "Philips", "A B C D", "de la Cruz Garcia Lopez Perez", "Van Der Berg",
         "Ann", "O'Neil-Smith", "Perez"]  # fmt: skip
AKAS = ["", "Maria Lopez", "Smith", "Bill Garcia;Cruz", "William O'Neil", "Peggy A B C D E"]
DOBS = ["1980-03-05", "1980-05-03", "1980-03-06", "1981-03-05", "1908-03-05", "", "1980-02-31"]
SSNS = ["12345", "12346", "02345", "54321", "", "99999", "1234"]

rows = st.fixed_dictionaries({
    "first_name": st.sampled_from(FIRSTS), "last_name": st.sampled_from(LASTS),
    "middle_name": st.sampled_from(["", "A", "Ann", "Beth", "B"]),
    "suffix": st.sampled_from(["", "Jr", "Sr", "III"]), "aka_names": st.sampled_from(AKAS),
    "dob": st.sampled_from(DOBS), "sex": st.sampled_from(["", "F", "M", "X"]),
    "ssn_last5": st.sampled_from(SSNS),
})  # fmt: skip
TF_MODEL = MatchModel(tf={"first_name": {"william": 0.02, "mary": 0.05, "cruz": 0.01},
                          "last_name": {"garcia": 0.03, "smith": 0.04, "william": 0.02}},
                      possible_threshold=-40.0)  # fmt: skip


def _write(path: Path, records: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, COLUMNS, lineterminator="\n")
        writer.writeheader()
        for i, row in enumerate(records):
            writer.writerow(dict.fromkeys(COLUMNS, "") | row | {"record_id": f"R{i}"})
    return path


@settings(max_examples=40, deadline=None)
@given(st.lists(rows, min_size=2, max_size=25))
def test_coded_levels_and_weights_are_the_string_engines(records: list[dict[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp) / "S.csv", records)
        cols, table = read_columns([path], KEYS), read_records([path], KEYS)
    n = len(records)
    a, b = (x.ravel() for x in np.meshgrid(np.arange(n), np.arange(n)))
    hub = ProfileArrays.of(table.profiles)
    # The string engine on the batch's own columns (they carry the keyed DOB digits).
    hub = ProfileArrays(hub.profiles, hub.name, hub.swapped, hub.middle, hub.suffix, hub.sex,
                        cols.arrays.dob, hub.ssn, hub.masked, hub.has_aka)  # fmt: skip
    want, got = levels(hub.take(a), hub.take(b)), coded_levels(cols.codes, a, b)
    for f in FIELDS:
        assert np.array_equal(want[f], got[f]), f
    for model in (MatchModel(), TF_MODEL):
        direct = weights(want, model, hub.take(b), weight_table(model))
        assert np.array_equal(direct, CodedWeights(model, cols.codes)(got, cols.codes, b))


def test_pyarrow_reader_reads_what_the_row_reader_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A byte-order mark, padded header names, quoted commas and line breaks, blank lines:
    the columns are those of the row reader; a ragged file goes the row reader's way."""
    plain = tmp_path / "A.csv"
    header = ",".join(f" {c} " if c == "first_name" else c for c in COLUMNS)
    values = {"record_id": "A1", "first_name": '" Ann, Marie "', "last_name": '"Lee\nSmith"',
              "dob": "1980-02-13", "ssn_last5": " 12345", "aka_names": '"Ann Lee; Bo"',
              "sex": "F"}  # fmt: skip
    row = ",".join(values.get(c, "") for c in COLUMNS)
    second = ",".join({"record_id": "A2", "first_name": "Bo", "dob": "1980-31-02"}.get(c, "")
                      for c in COLUMNS)  # fmt: skip
    plain.write_text("\ufeff" + header + "\n" + row + "\n\n" + second + "\n", encoding="utf-8")
    ragged = tmp_path / "B.csv"
    ragged.write_text(",".join(COLUMNS) + "\nB1,DL\n" + second.replace("A2", "B2") + "\n",
                      encoding="utf-8")  # fmt: skip
    assert columns._arrow_csv(plain) is not None
    assert columns._arrow_csv(ragged) is None
    fast = read_columns([plain, ragged], KEYS)
    monkeypatch.setattr(columns, "_arrow_csv", lambda _path: None)
    slow = read_columns([plain, ragged], KEYS)
    assert fast.record_ids == slow.record_ids == ["A1", "A2", "B1", "B2"]
    assert [fast.profile(i) for i in range(4)] == [slow.profile(i) for i in range(4)]
    assert fast.profile(0).name.first == "annmarie"
    assert fast.profile(0).aka
    assert fast.dob_missing == slow.dob_missing == [False, True, True, True]
    assert np.array_equal(fast.arrays.dob, slow.arrays.dob)
    assert np.array_equal(fast.ssn_value, slow.ssn_value)


@pytest.mark.parametrize(("groups", "cap"), [(40, 100), (40, 10**6), (3, 50), (500, 2000)])
def test_sampled_block_pairs_are_the_full_lists(groups: int, cap: int) -> None:
    """Groups of every size up to and past ``MAX_GROUP``, capped or not."""
    rng = np.random.default_rng(groups)
    keys = rng.integers(-1, groups, 40 * groups)
    keys[: MAX_GROUP + 1] = groups  # one group just past the limit
    keys[MAX_GROUP + 1 : 2 * MAX_GROUP + 1] = groups + 1  # one at the limit
    want = _block_pairs([None if k < 0 else int(k) for k in keys], cap,
                        np.random.default_rng(9))  # fmt: skip
    got = block_pairs(keys, cap, np.random.default_rng(9))
    assert len(got[0]) == min(cap, len(want[0])) > 0
    assert np.array_equal(want[0], got[0])
    assert np.array_equal(want[1], got[1])
