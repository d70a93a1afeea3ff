"""RFC 6962 / 9162 Merkle proofs against the certificate-transparency reference vectors.

The vectors come from the CT project's C++ reference tests (cpp/merkletree/merkletree_test.cc,
also in google/trillian's merkle tests): eight leaves, the root at every size, and audit and
consistency paths. Their path vectors number leaves from 1; ours number from 0.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lpx.audit.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    ProofError,
    consistency_ranges,
    inclusion_ranges,
    leaf_hash,
    node_hash,
    prove_consistency,
    prove_inclusion,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
)]  # fmt: skip
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index from 0, tree size, audit path)
INCLUSION = [
    (0, 1, []),
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
CONSISTENCY = [
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip


def tree(n: int) -> MemoryTree:
    return MemoryTree(leaf_hash(x) for x in LEAVES[:n])


def reference_root(leaves: list[bytes]) -> bytes:
    """RFC 9162's recursive MTH, as written in the RFC, to check the iterative code against."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


@pytest.mark.parametrize("size", range(9))
def test_root_at_every_size_matches_the_reference(size: int) -> None:
    assert tree(size).root().hex() == ROOTS[size]
    assert reference_root(LEAVES[:size]).hex() == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_proof_matches_the_reference(index: int, size: int, path: list[str]) -> None:
    proof = prove_inclusion(index, size, tree(8))
    assert [p.hex() for p in proof] == path
    verify_inclusion(index, size, leaf_hash(LEAVES[index]), proof, bytes.fromhex(ROOTS[size]))


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY)
def test_consistency_proof_matches_the_reference(old: int, new: int, path: list[str]) -> None:
    proof = prove_consistency(old, new, tree(8))
    assert [p.hex() for p in proof] == path
    verify_consistency(old, new, bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new]), proof)


def test_reference_proof_for_the_wrong_leaf_or_root_fails() -> None:
    index, size, path = INCLUSION[2]
    proof = [bytes.fromhex(p) for p in path]
    root = bytes.fromhex(ROOTS[size])
    with pytest.raises(ProofError):
        verify_inclusion(index, size, leaf_hash(LEAVES[index - 1]), proof, root)
    with pytest.raises(ProofError):
        verify_inclusion(index - 1, size, leaf_hash(LEAVES[index]), proof, root)
    with pytest.raises(ProofError):
        verify_inclusion(index, size, leaf_hash(LEAVES[index]), proof, bytes.fromhex(ROOTS[7]))


def test_consistency_edge_cases() -> None:
    r3, r5 = bytes.fromhex(ROOTS[3]), bytes.fromhex(ROOTS[5])
    verify_consistency(0, 5, EMPTY_ROOT, r5, [])
    verify_consistency(3, 3, r3, r3, [])
    with pytest.raises(ProofError, match="same size"):
        verify_consistency(3, 3, r3, r5, [])
    with pytest.raises(ProofError, match="empty"):
        verify_consistency(3, 5, r3, r5, [])
    with pytest.raises(ProofError):
        verify_consistency(5, 3, r5, r3, [])
    with pytest.raises(ProofError):
        verify_consistency(3, 3, r3, r3, [r3])


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="not in a tree"):
        inclusion_ranges(3, 3)
    with pytest.raises(ValueError, match="no consistency proof"):
        consistency_ranges(4, 3)
    with pytest.raises(ProofError, match="outside"):
        verify_inclusion(8, 8, leaf_hash(b""), [], EMPTY_ROOT)
    with pytest.raises(ProofError, match="32 bytes"):
        verify_inclusion(0, 2, leaf_hash(b""), [b"short"], EMPTY_ROOT)


@st.composite
def trees(draw: st.DrawFn, max_size: int = 70) -> tuple[list[bytes], MemoryTree]:
    leaves = draw(st.lists(st.binary(max_size=8), min_size=1, max_size=max_size))
    return leaves, MemoryTree(leaf_hash(x) for x in leaves)


@settings(max_examples=60, deadline=None)
@given(trees())
def test_every_inclusion_proof_verifies(data: tuple[list[bytes], MemoryTree]) -> None:
    leaves, t = data
    for size in range(1, t.size + 1):
        root = t.root(size)
        assert root == reference_root(leaves[:size])
        for index in range(size):
            verify_inclusion(index, size, leaf_hash(leaves[index]),
                             prove_inclusion(index, size, t), root)  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(trees())
def test_every_consistency_proof_verifies(data: tuple[list[bytes], MemoryTree]) -> None:
    _, t = data
    for new in range(t.size + 1):
        for old in range(new + 1):
            proof = prove_consistency(old, new, t)
            verify_consistency(old, new, t.root(old), t.root(new), proof)


@settings(max_examples=200, deadline=None)
@given(trees(max_size=40), st.data())
def test_tampering_any_proof_byte_fails(data: tuple[list[bytes], MemoryTree],
                                       pick: st.DataObject) -> None:  # fmt: skip
    leaves, t = data
    size = pick.draw(st.integers(2, t.size)) if t.size >= 2 else 1
    index = pick.draw(st.integers(0, size - 1))
    proof = prove_inclusion(index, size, t)
    if proof:
        i = pick.draw(st.integers(0, len(proof) - 1))
        b = pick.draw(st.integers(0, 31))
        bad = bytearray(proof[i])
        bad[b] ^= pick.draw(st.integers(1, 255))
        tampered = [*proof[:i], bytes(bad), *proof[i + 1 :]]
        with pytest.raises(ProofError):
            verify_inclusion(index, size, leaf_hash(leaves[index]), tampered, t.root(size))
        with pytest.raises(ProofError):  # a shortened proof fails too
            verify_inclusion(index, size, leaf_hash(leaves[index]), proof[:-1], t.root(size))
    old = pick.draw(st.integers(1, size))
    cproof = prove_consistency(old, size, t)
    if cproof:
        i = pick.draw(st.integers(0, len(cproof) - 1))
        bad = bytearray(cproof[i])
        bad[pick.draw(st.integers(0, 31))] ^= 0x01
        tampered = [*cproof[:i], bytes(bad), *cproof[i + 1 :]]
        with pytest.raises(ProofError):
            verify_consistency(old, size, t.root(old), t.root(size), tampered)
        with pytest.raises(ProofError):
            verify_consistency(old, size, t.root(old), t.root(size), [*cproof, cproof[0]])


@settings(max_examples=60, deadline=None)
@given(trees(max_size=40), st.data())
def test_a_changed_leaf_breaks_consistency_with_the_old_root(
    data: tuple[list[bytes], MemoryTree], pick: st.DataObject
) -> None:
    leaves, t = data
    new = pick.draw(st.integers(1, t.size))
    old = pick.draw(st.integers(1, new))
    i = pick.draw(st.integers(0, old - 1))
    forked = MemoryTree(leaf_hash(x + b"!" if j == i else x) for j, x in enumerate(leaves))
    if old == new:
        return
    with pytest.raises(ProofError):
        verify_consistency(old, new, t.root(old), forked.root(new),
                           prove_consistency(old, new, forked))  # fmt: skip
