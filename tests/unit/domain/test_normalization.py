"""Name normalization: one comparison spelling per name, whatever the state typed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lpx.domain.names import (
    NormalizedName,
    compact,
    fold,
    nickname_equivalent,
    normalize_suffix,
    phonetic,
    surname_parts,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("José", "jose"),
        ("MÜLLER", "muller"),
        ("Nguyễn", "nguyen"),
        ("O'Brien", "obrien"),
        ("Garcia-Lopez", "garcia lopez"),
        ("  Mary   Ann ", "mary ann"),
        ("Александр", "aleksandr"),
        ("St. John", "st john"),
    ],
)
def test_fold(raw: str, expected: str) -> None:
    assert fold(raw) == expected


def test_hyphen_space_and_case_agree() -> None:
    assert compact("Garcia-Lopez") == compact("garcia lopez") == compact("GARCIA LOPEZ")


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        ("De la Cruz", ("cruz",)),
        ("Garcia Lopez", ("garcia", "lopez")),
        ("van der Berg", ("berg",)),
        ("De", ("de",)),  # a surname that is only a particle keeps it
    ],
)
def test_surname_parts_drop_particles(raw: str, parts: tuple[str, ...]) -> None:
    assert surname_parts(raw) == parts


@pytest.mark.parametrize(
    ("raw", "expected"), [("jr.", "JR"), ("Junior", "JR"), ("III", "III"), ("3rd", "III")]
)
def test_suffix(raw: str, expected: str) -> None:
    assert normalize_suffix(raw) == expected


def test_phonetic_absorbs_spelling() -> None:
    assert phonetic("Smith") == phonetic("Smyth")
    assert phonetic("") == ""


def test_nicknames_come_from_the_data_package() -> None:
    def same(a: str, b: str) -> bool:
        return nickname_equivalent(NormalizedName.of(a, "").first, NormalizedName.of(b, "").first)

    assert same("Bill", "William")
    assert same("Peggy", "Margaret")
    assert not same("Bill", "Margaret")
    assert not same("", "William")


def test_normalized_name_keeps_parts_and_keys() -> None:
    n = NormalizedName.of("José", "De la Cruz-García", "Ana", "jr.")
    assert (n.first, n.middle, n.last, n.last_parts, n.suffix) == (
        "jose", "ana", "cruzgarcia", ("cruz", "garcia"), "JR",
    )  # fmt: skip
    assert n.last_phonetic == phonetic("cruzgarcia")


names = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=40)


@given(names)
def test_fold_is_ascii_lowercase_and_idempotent(raw: str) -> None:
    folded = fold(raw)
    assert folded.isascii()
    assert folded == folded.lower()
    assert fold(folded) == folded
    assert "  " not in folded


@given(names)
def test_compact_ignores_case_punctuation_and_spacing(raw: str) -> None:
    assert compact(raw.upper()) == compact(raw.lower()) or not raw.isascii()
    assert compact(raw.replace(" ", "-")) == compact(raw)
    assert " " not in compact(raw)


@given(names, names)
def test_normalized_name_never_fails(first: str, last: str) -> None:
    n = NormalizedName.of(first, last)
    assert n.last == "".join(n.last_parts)
