"""canonical_first: one root per family of common English given names, stable and idempotent."""

from __future__ import annotations

import pytest

from lpx.domain.names import canonical_first

FAMILIES = [
    ("bill", "will", "billy", "william", "willie", "willy"),
    ("mike", "michael", "mick", "micky", "mikey"),
    ("bob", "robert", "rob", "bobby", "robby"),
    ("peggy", "peg", "margaret", "maggie", "marge"),
    ("liz", "beth", "elizabeth", "betty", "betsy", "lizzie", "eliza"),
    ("jim", "james", "jimmy"),
    ("alex", "alexander", "alec"),
    ("tom", "thomas", "tommy"),
    ("dick", "richard", "rich", "richie"),
    ("dave", "david"),
    ("joe", "joseph"),
    ("ed", "edward", "eddie", "ted", "ned"),
    ("tony", "anthony"),
    ("nick", "nicholas"),
    ("greg", "gregory"),
    ("jeff", "jeffrey"),
    ("larry", "lawrence"),
    ("ray", "raymond"),
    ("phil", "philip"),
    ("tim", "timothy"),
    ("patty", "patricia", "pat"),
    ("debbie", "deborah"),
]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f[0])
def test_family_shares_one_root(family: tuple[str, ...]) -> None:
    roots = {name: canonical_first(name) for name in family}
    assert len(set(roots.values())) == 1, roots


@pytest.mark.parametrize(
    ("name", "root"),
    [("Bill", "william"), ("Mike", "michael"), ("Bob", "robert"), ("Peggy", "margaret"),
     ("Liz", "elizabeth"), ("Jim", "james"), ("Alex", "alexander")],
)  # fmt: skip
def test_root_is_the_full_name(name: str, root: str) -> None:
    assert canonical_first(name) == root


def test_distinct_families_stay_apart() -> None:
    roots = [canonical_first(f[1]) for f in FAMILIES]
    assert len(set(roots)) == len(roots)


@pytest.mark.parametrize("name", ["William", "ROBERT", "José", "Mary-Kate", "Zyxwv", "Nguyen"])
def test_root_is_idempotent(name: str) -> None:
    root = canonical_first(name)
    assert canonical_first(root) == root


def test_unknown_and_empty_names() -> None:
    assert canonical_first("Zyxwv") == "zyxwv"
    assert canonical_first("") == ""
    assert canonical_first(" Bill ") == canonical_first("BILL") == "william"


def test_every_recorded_name_reaches_a_root_quickly() -> None:
    """The walk only moves to strictly heavier names, so it ends; check the whole data set."""
    from nicknames import NickNamer

    lookup = NickNamer().nickname_lookup
    names = set(lookup) | {n for v in lookup.values() for n in v}
    for name in names:
        root = canonical_first(name)
        assert canonical_first(root) == root, (name, root)
