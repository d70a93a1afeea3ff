"""State-style license numbers."""

from __future__ import annotations

from random import Random

import pytest

from lpx.domain.records import RECORD_ID_RE
from lpx.synth.ids import IdMaker


def test_ids_are_unique_valid_and_state_shaped() -> None:
    for state, shape in (("CA", "A1234567"), ("NY", "123456789"), ("WA", "A12345678")):
        maker = IdMaker(state, Random(state))
        ids = [maker.next("Smith") for _ in range(50_000)]
        assert len(set(ids)) == len(ids)
        for x in ids:
            assert RECORD_ID_RE.match(x)
            assert len(x) == len(shape)
            assert x[0].isalpha() == shape[0].isalpha()


def test_florida_and_illinois_start_with_the_surname_initial() -> None:
    fl, il = IdMaker("FL", Random(1)), IdMaker("IL", Random(1))
    assert fl.next("Müller").startswith("M")
    assert il.next("Ōta").startswith("O")
    assert fl.next("'t Hooft")[0] == "X"
    assert RECORD_ID_RE.match(il.next("Lee"))


def test_small_id_space_is_exhausted_loudly() -> None:
    maker = IdMaker("TX", Random(1))
    maker.n = maker.mod
    with pytest.raises(ValueError, match="exhausted"):
        maker.next("Lee")
