"""SSN-5 tokens and decoys: determinism, one-digit-off structure, decoy shape and stability."""

from __future__ import annotations

import json
import os
import stat
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpx.client import keys as keys_mod
from lpx.client.keys import InsecureKeyFileError, KeyFileError, NetworkKeys
from lpx.client.ssn import (
    CARRY_TYPO_RATE,
    TYPO_RATE,
    IssuanceOutcome,
    decoy_value,
    has_ssn,
    issuance_tokens,
    ssn_tokens_for,
    tokenize,
    value_of_tokens,
)
from lpx.domain.records import MASKED_TOKEN_COUNT, SsnTokens

KEYS = NetworkKeys(bytes(range(32)), bytes(range(32, 64)))
OTHER_KEYS = NetworkKeys(bytes(range(1, 33)), bytes(range(33, 65)))
DOB = date(1990, 3, 7)
ssn5s = st.text("0123456789", min_size=5, max_size=5).filter(lambda s: s != "99999")


def _valid_decoy(value: str) -> bool:
    return len(value) == 5 and value.isdigit() and value[1:] != "0000" and value != "99999"


# --- tokens ---------------------------------------------------------------------------------


def test_tokens_are_deterministic_and_well_formed() -> None:
    a, b = tokenize("12345", KEYS), tokenize("12345", KEYS)
    assert a == b
    assert a.validate() == []
    assert len(set(a.masked) | {a.full}) == MASKED_TOKEN_COUNT + 1


def test_tokens_depend_on_the_key() -> None:
    assert tokenize("12345", KEYS).full != tokenize("12345", OTHER_KEYS).full


@settings(max_examples=200, deadline=None)
@given(ssn5s, st.integers(0, 4), st.integers(1, 9))
def test_one_digit_slip_shares_its_masked_token(value: str, pos: int, delta: int) -> None:
    digit = str((int(value[pos]) + delta) % 10)
    other = value[:pos] + digit + value[pos + 1 :]
    if other == "99999":
        return
    a, b = tokenize(value, KEYS), tokenize(other, KEYS)
    assert a.full != b.full
    shared = [i for i in range(MASKED_TOKEN_COUNT) if a.masked[i] == b.masked[i]]
    # The last digit has no mask: a slip there reads as "different", like a sibling's number.
    assert shared == ([pos] if pos < MASKED_TOKEN_COUNT else [])
    # Masked tokens of different positions never coincide, so position is not confusable.
    others = {b.masked[i] for i in range(MASKED_TOKEN_COUNT) if i != pos}
    assert not set(a.masked) & ({b.full} | others)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 9), st.integers(1, 9998))
def test_consecutive_numbers_share_no_token(group: int, serial: int) -> None:
    """Twins are often enumerated together (consecutive serials); decoys cannot know a twin,
    so consecutive real numbers must look as unrelated as a decoy and a real number."""
    a, b = f"{group}{serial:04d}", f"{group}{serial + 1:04d}"
    if "99999" in (a, b):
        return
    ta, tb = tokenize(a, KEYS), tokenize(b, KEYS)
    assert not ({ta.full, *ta.masked} & {tb.full, *tb.masked})


@settings(max_examples=200, deadline=None)
@given(ssn5s, ssn5s)
def test_different_values_share_no_full_token(a: str, b: str) -> None:
    ta, tb = tokenize(a, KEYS), tokenize(b, KEYS)
    assert (ta.full == tb.full) == (a == b)
    differing = sum(x != y for x, y in zip(a, b, strict=True))
    shared = sum(x == y for x, y in zip(ta.masked, tb.masked, strict=True))
    last_only = differing == 1 and a[-1] != b[-1]
    expected = {0: MASKED_TOKEN_COUNT, 1: 0 if last_only else 1}.get(differing, 0)
    assert shared == expected


@pytest.mark.parametrize("bad", ["", "1234", "123456", "12a45", "١٢٣٤٥", "12 45"])
def test_tokenize_rejects_malformed_input(bad: str) -> None:
    with pytest.raises(ValueError, match="exactly 5 digits"):
        tokenize(bad, KEYS)


def test_tokenize_refuses_the_sentinel_and_never_echoes_digits() -> None:
    with pytest.raises(ValueError, match="decoy"):
        tokenize("99999", KEYS)
    with pytest.raises(ValueError) as info:
        tokenize("8675309", KEYS)
    assert "8675309" not in str(info.value)


# --- decoys ---------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", [None, "", "  ", "99999"])
def test_no_ssn_gets_decoy_tokens_identical_to_a_real_value(missing: str | None) -> None:
    tokens = ssn_tokens_for(missing, "Ana", "Ruiz", DOB, KEYS)
    decoy = decoy_value("Ana", "Ruiz", DOB, KEYS)
    assert tokens == tokenize(decoy, KEYS)
    assert not has_ssn(missing)


def test_real_ssn_gets_real_tokens() -> None:
    assert ssn_tokens_for("12345", "Ana", "Ruiz", DOB, KEYS) == tokenize("12345", KEYS)
    with pytest.raises(ValueError, match="exactly 5 digits"):
        ssn_tokens_for("1234", "Ana", "Ruiz", DOB, KEYS)


def test_decoy_is_the_same_in_every_state() -> None:
    """States share the network keys and nothing else; a fresh key object gives the same value."""
    state_a = NetworkKeys(bytes(KEYS.token_key), bytes(KEYS.decoy_key))
    state_b = NetworkKeys(bytes(KEYS.token_key), bytes(KEYS.decoy_key))
    assert decoy_value("María", "García", DOB, state_a) == decoy_value(
        "Maria", "GARCIA", DOB, state_b
    )
    assert decoy_value("Ana", "Ruiz", DOB, KEYS) != decoy_value("Ana", "Ruiz", DOB, OTHER_KEYS)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("Bill", "Smith", DOB), ("William", "Smith", DOB)),
        (("Mike", "Jones", DOB), ("Michael", "Jones", DOB)),
        (("JOSÉ", "PEÑA", DOB), ("jose", "pena", DOB)),
        (("Ana", "Garcia-Lopez", DOB), ("Ana", "Garcia Lopez", DOB)),
        (("Ana", "Garcia Lopez", DOB), ("Ana", "Garcia", DOB)),
        (("Ana", "De la Cruz", DOB), ("Ana", "Cruz", DOB)),
        (("Ana", "Smith", DOB), ("Ana", "Smyth", DOB)),
        (("Michael", "Ruiz", DOB), ("Micheal", "Ruiz", DOB)),
        (("Ana", "Ruiz", date(1990, 3, 7)), ("Ana", "Ruiz", date(1990, 7, 3))),
        (("Wei", "Zhang", DOB), ("Zhang", "Wei", DOB)),
    ],
)
def test_name_variants_the_key_absorbs_share_a_decoy(
    a: tuple[str, str, date], b: tuple[str, str, date]
) -> None:
    assert decoy_value(*a, KEYS) == decoy_value(*b, KEYS)


@pytest.mark.parametrize(
    "other",
    [("Ana", "Ruiz", date(1990, 3, 8)), ("Ana", "Ruiz", date(1991, 3, 7)),
     ("Rosa", "Ruiz", DOB), ("Ana", "Torres", DOB)],
)  # fmt: skip
def test_different_identities_get_different_decoys(other: tuple[str, str, date]) -> None:
    assert decoy_value("Ana", "Ruiz", DOB, KEYS) != decoy_value(*other, KEYS)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=20), st.text(max_size=20), st.dates(date(1900, 1, 1), date(2030, 1, 1)))
def test_decoy_is_always_a_valid_ssn5(first: str, last: str, dob: date) -> None:
    value = decoy_value(first, last, dob, KEYS)
    assert _valid_decoy(value)
    assert isinstance(ssn_tokens_for(None, first, last, dob, KEYS), SsnTokens)


def test_decoy_digits_are_uniform() -> None:
    """Chi-square per digit position over 20k identities; serial 0000 and 99999 never occur."""
    from lpx.client.ssn import decoy_key_parts

    rng = np.random.default_rng(7)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    seen: set[tuple[str, ...]] = set()
    values = []
    while len(values) < 20_000:
        first, last = ("".join(rng.choice(letters, size=7)) for _ in range(2))
        dob = date(1940 + int(rng.integers(0, 65)), int(rng.integers(1, 13)), 1 + len(values) % 28)
        key = decoy_key_parts(first, last, dob)
        if key not in seen:  # distinct identities, so every draw is independent
            seen.add(key)
            values.append(decoy_value(first, last, dob, KEYS))
    assert all(_valid_decoy(v) for v in values)
    digits = np.array([[int(c) for c in v] for v in values])
    # 9 degrees of freedom; the 99.9% quantile of chi2(9) is 27.88. The serial digits are
    # very slightly non-uniform by construction (0000 excluded), far below this bound.
    for pos in range(5):
        counts = np.bincount(digits[:, pos], minlength=10)
        expected = len(values) / 10
        chi2 = float(((counts - expected) ** 2 / expected).sum())
        assert chi2 < 27.88, (pos, counts)
    assert len(set(values)) > 0.85 * len(values)  # ~18.1k distinct expected at 100k values


def test_maiden_name_aka_keeps_the_maiden_decoy() -> None:
    """A married-name card carrying the maiden name as AKA gets the maiden-name card's decoy."""
    maiden = decoy_value("Ana", "Ruiz", DOB, KEYS)
    assert decoy_value("Ana", "Smith", DOB, KEYS, aka_names=("Ana Ruiz",)) == maiden
    nickname = decoy_value("Bill", "Smith", DOB, KEYS, aka_names=("WILLIAM RUIZ",))
    assert nickname == decoy_value("William", "Ruiz", DOB, KEYS)
    assert decoy_value("Ana", "Smith", DOB, KEYS) != maiden
    # AKAs in any order give the same choice.
    both = ("Ana Ruiz", "Ana Lopez")
    assert decoy_value("Ana", "Smith", DOB, KEYS, aka_names=both) == decoy_value(
        "Ana", "Smith", DOB, KEYS, aka_names=both[::-1]
    )


@pytest.mark.parametrize("aka", [("Ruiz",), ("Ann",), ("Rosa Ruiz",), ("",)])
def test_akas_that_are_not_the_same_given_name_are_ignored(aka: tuple[str, ...]) -> None:
    """A bare word or another person's given name is not a maiden name."""
    assert decoy_value("Ana", "Smith", DOB, KEYS, aka_names=aka) == decoy_value(
        "Ana", "Smith", DOB, KEYS
    )


def test_stored_decoys_mimic_typos_at_the_documented_rate() -> None:
    """A keyed few stored records carry a one-digit slip; inquiries and reloads never change."""
    rng = np.random.default_rng(3)
    slipped, total = 0, 6000
    for n in range(total):
        first = "".join(rng.choice(list("abcdefghij"), size=6))
        base = decoy_value(first, "Ruiz", DOB, KEYS)
        stored = decoy_value(first, "Ruiz", DOB, KEYS, record=f"CA/D{n:07d}")
        assert stored == decoy_value(first, "Ruiz", DOB, KEYS, record=f"CA/D{n:07d}")
        assert _valid_decoy(stored)
        differing = sum(x != y for x, y in zip(base, stored, strict=True))
        assert differing in (0, 1)
        slipped += differing
    # Binomial(6000, 0.014): mean 84, sd 9.1; +-4 sd.
    assert abs(slipped - TYPO_RATE * total) < 4 * (TYPO_RATE * total) ** 0.5


def test_inquiry_decoy_is_the_unperturbed_value() -> None:
    tokens = ssn_tokens_for(None, "Ana", "Ruiz", DOB, KEYS)
    assert tokens == tokenize(decoy_value("Ana", "Ruiz", DOB, KEYS), KEYS)


# --- keys -----------------------------------------------------------------------------------


def test_keys_never_show_in_repr_or_str() -> None:
    keys = NetworkKeys.generate()
    for text in (repr(keys), str(keys), f"{keys}", repr([keys])):
        assert keys.token_key.hex() not in text
        assert keys.decoy_key.hex() not in text
        assert repr(keys.token_key) not in text
        assert "redacted" in text


def test_keys_round_trip_with_private_mode(tmp_path: Path) -> None:
    keys = NetworkKeys.generate()
    path = tmp_path / "network-keys.json"
    keys.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert NetworkKeys.load(path) == keys
    assert keys_mod.load(path) == keys


def test_save_tightens_an_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text("{}")
    path.chmod(0o644)
    keys_mod.save(keys_mod.generate(), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_load_refuses_a_world_readable_file(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    NetworkKeys.generate().save(path)
    path.chmod(0o644)
    with pytest.raises(InsecureKeyFileError, match="chmod 600"):
        NetworkKeys.load(path)


def test_load_accepts_base64(tmp_path: Path) -> None:
    import base64

    keys = NetworkKeys.generate()
    path = tmp_path / "keys.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(
        fd,
        json.dumps(
            {
                "token_key": base64.b64encode(keys.token_key).decode(),
                "decoy_key": base64.b64encode(keys.decoy_key).decode(),
            }
        ).encode(),
    )
    os.close(fd)
    assert NetworkKeys.load(path) == keys


@pytest.mark.parametrize(
    "content",
    ["not json", "[]", '{"token_key": "00"}', '{"token_key": "' + "0" * 64 + '"}',
     '{"token_key": "' + "0" * 64 + '", "decoy_key": "' + "0" * 64 + '"}',
     '{"token_key": "' + "zz" * 32 + '", "decoy_key": "' + "1" * 64 + '"}'],
)  # fmt: skip
def test_load_rejects_bad_files(tmp_path: Path, content: str) -> None:
    path = tmp_path / "keys.json"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, content.encode())
    os.close(fd)
    with pytest.raises(KeyFileError):
        NetworkKeys.load(path)


def test_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LPX_NETWORK_KEYS", raising=False)
    with pytest.raises(KeyFileError, match="LPX_NETWORK_KEYS"):
        NetworkKeys.from_env()
    with pytest.raises(KeyFileError, match="cannot read"):
        NetworkKeys.load(tmp_path / "missing.json")
    keys = NetworkKeys.generate()
    keys.save(tmp_path / "k.json")
    monkeypatch.setenv("LPX_NETWORK_KEYS", str(tmp_path / "k.json"))
    assert keys_mod.from_env() == keys


def test_keys_must_be_32_distinct_bytes() -> None:
    with pytest.raises(KeyFileError, match="32 bytes"):
        NetworkKeys(b"short", bytes(32))
    with pytest.raises(KeyFileError, match="differ"):
        NetworkKeys(bytes(32), bytes(32))


# --- the carry protocol (issuance_tokens) ----------------------------------------------------


@given(ssn5s)
@settings(max_examples=50, deadline=None)
def test_a_token_set_gives_back_its_value(ssn5: str) -> None:
    assert value_of_tokens(tokenize(ssn5, KEYS), KEYS) == (
        ssn5 if ssn5[1:] != "0000" else None)  # 0000 serials are never issued, never listed
    assert value_of_tokens(tokenize(ssn5, KEYS), OTHER_KEYS) is None


def test_the_counter_picks_another_decoy_and_zero_is_the_plain_one() -> None:
    plain = decoy_value("Ann", "Lee", DOB, KEYS)
    assert decoy_value("Ann", "Lee", DOB, KEYS, counter=0) == plain
    values = {decoy_value("Ann", "Lee", DOB, KEYS, counter=k) for k in range(5)}
    assert len(values) == 5
    assert all(_valid_decoy(v) for v in values)


def test_an_ssn_holder_keeps_the_real_tokens_whatever_the_outcome() -> None:
    other = tokenize("55555", KEYS)
    for outcome in (IssuanceOutcome(), IssuanceOutcome(other, 0), IssuanceOutcome(None, 3)):
        got = issuance_tokens("12345", "Ann", "Lee", DOB, KEYS, record="CA/1", outcome=outcome)
        assert got == tokenize("12345", KEYS)


def test_without_an_ssn_a_confirmed_pointer_s_value_is_adopted() -> None:
    """Nearly always exactly; one digit off at the rate a copied real SSN is."""
    carried = tokenize("31415", KEYS)
    typed = 0
    for n in range(4000):
        got = issuance_tokens(None, "Ann", "Zed", DOB, KEYS, record=f"TX/{n}",
                              outcome=IssuanceOutcome(carried, 2))  # fmt: skip
        value = value_of_tokens(got, KEYS)
        assert value is not None
        diff = sum(a != b for a, b in zip(value, "31415", strict=True))
        assert diff <= 1
        typed += diff
    assert 0.5 * CARRY_TYPO_RATE < typed / 4000 < 1.5 * CARRY_TYPO_RATE


def test_without_an_ssn_and_nothing_confirmed_the_namesake_counter_applies() -> None:
    for namesakes in (0, 1, 2):
        got = issuance_tokens(None, "Ann", "Lee", DOB, KEYS, record="NY/9",
                              outcome=IssuanceOutcome(None, namesakes))  # fmt: skip
        assert value_of_tokens(got, KEYS) == decoy_value(
            "Ann", "Lee", DOB, KEYS, record="NY/9", counter=namesakes)
    # Not a valid value's token: derive instead.
    unknown = SsnTokens("0" * 32, ("0" * 32,) * MASKED_TOKEN_COUNT)
    got = issuance_tokens(None, "Ann", "Lee", DOB, KEYS, record="NY/9",
                          outcome=IssuanceOutcome(unknown, 0))  # fmt: skip
    assert value_of_tokens(got, KEYS) == decoy_value("Ann", "Lee", DOB, KEYS, record="NY/9")
