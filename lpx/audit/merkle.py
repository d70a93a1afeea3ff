"""RFC 6962 / RFC 9162 Merkle tree hashing, proofs, and their verification.

Written here rather than taken from a library: pymerkle 7.0.0 hashes the same tree but its
proofs are its own format (a ``rule`` bit list with the leaf hash inside the path, 1-based
indices), not the RFC's audit and consistency paths that any RFC 9162 verifier (Go's
transparency-dev/merkle, a state's own tooling) understands; it is GPL-3.0 in an Apache-2.0
project and untyped. The RFC algorithms are short and are tested here against the
certificate-transparency reference vectors.

Proof *structure* depends only on (index, size), so generation is split in two: the ranges
a proof needs (pure arithmetic), and the hashes of those ranges, which the caller resolves
from any :class:`HashSource` (stored perfect-subtree nodes, or leaf hashes in memory).
A range ``[start, end)`` here is always an RFC subtree: ``start`` is a multiple of the
largest power of two not above its size, so it decomposes into aligned perfect subtrees.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

HASH_SIZE = 32
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = hashlib.sha256(b"").digest()

# A perfect subtree: (level, index) covers leaves [index * 2**level, (index + 1) * 2**level).
Node = tuple[int, int]
Range = tuple[int, int]


class ProofError(ValueError):
    """A proof does not verify; the message says which check failed."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n >= 2): RFC 9162's k."""
    return 1 << ((n - 1).bit_length() - 1)


def range_nodes(start: int, end: int) -> list[Node]:
    """The aligned perfect subtrees, left to right, whose fold is MTH(D[start:end])."""
    nodes: list[Node] = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start % (1 << level):
            raise ValueError(f"[{start}, {end}) is not an RFC 6962 subtree")
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """MTH of a range from its perfect subtrees (left to right): they nest to the right."""
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for h in reversed(hashes[:-1]):
        result = node_hash(h, result)
    return result


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose hashes form PATH(index, D[0:size]), leaf side first (RFC 9162 2.1.3.1)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    ranges: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[Range]:
    """The ranges whose hashes form PROOF(m, D[0:n]) (RFC 9162 2.1.4.1), leaf side first."""
    if not 0 <= old_size <= new_size:
        raise ValueError(f"no consistency proof from size {old_size} to {new_size}")
    if old_size in (0, new_size):
        return []
    ranges: list[Range] = []
    m, start, end, whole = old_size, 0, new_size, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            m, start, whole = m - k, start + k, False
    if not whole:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


class HashSource(Protocol):
    """Where proof generation reads perfect-subtree hashes from."""

    def node_hashes(self, nodes: Iterable[Node]) -> Mapping[Node, bytes]: ...


def needed_nodes(ranges: Iterable[Range]) -> set[Node]:
    return {n for start, end in ranges for n in range_nodes(start, end)}


def resolve(ranges: Sequence[Range], hashes: Mapping[Node, bytes]) -> list[bytes]:
    """Turn proof ranges into hashes, given every node that ``needed_nodes`` named."""
    return [fold([hashes[n] for n in range_nodes(s, e)]) for s, e in ranges]


def prove_inclusion(index: int, size: int, source: HashSource) -> list[bytes]:
    ranges = inclusion_ranges(index, size)
    return resolve(ranges, source.node_hashes(needed_nodes(ranges)))


def prove_consistency(old_size: int, new_size: int, source: HashSource) -> list[bytes]:
    ranges = consistency_ranges(old_size, new_size)
    return resolve(ranges, source.node_hashes(needed_nodes(ranges)))


def root_of(size: int, source: HashSource) -> bytes:
    nodes = range_nodes(0, size)
    found = source.node_hashes(nodes)
    return fold([found[n] for n in nodes])


class MemoryTree:
    """A tree over leaf hashes held in memory, every perfect subtree precomputed (O(n))."""

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        for h in leaf_hashes:
            self.append(h)

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append(self, leaf: bytes) -> None:
        self.levels[0].append(leaf)
        level = 0
        while len(self.levels[level]) % 2 == 0:
            row = self.levels[level]
            if level + 1 == len(self.levels):
                self.levels.append([])
            self.levels[level + 1].append(node_hash(row[-2], row[-1]))
            level += 1

    def node_hashes(self, nodes: Iterable[Node]) -> dict[Node, bytes]:
        return {(lvl, i): self.levels[lvl][i] for lvl, i in nodes}

    def root(self, size: int | None = None) -> bytes:
        return root_of(self.size if size is None else size, self)


def _same(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)


def _check_hashes(*hashes: bytes) -> None:
    if any(len(h) != HASH_SIZE for h in hashes):
        raise ProofError(f"every hash must be {HASH_SIZE} bytes")


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """RFC 9162 2.1.3.2: the root an inclusion proof leads to, or ProofError if malformed."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    _check_hashes(leaf, *proof)
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is too short")
    return r


def verify_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes],
                     root: bytes) -> None:  # fmt: skip
    """Raise ProofError unless ``leaf`` is at ``index`` in the tree of ``size`` with ``root``."""
    if not _same(root_from_inclusion(index, size, leaf, proof), root):
        raise ProofError(f"leaf {index} is not in the tree of size {size} with this root")


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> None:  # fmt: skip
    """RFC 9162 2.1.4.2: raise ProofError unless the old tree is a prefix of the new one."""
    _check_hashes(old_root, new_root, *proof)
    if not 0 <= old_size <= new_size:
        raise ProofError(f"size {old_size} cannot precede size {new_size}")
    if old_size == new_size or old_size == 0:
        if proof:
            raise ProofError("consistency proof must be empty for these sizes")
        if old_size == new_size and not _same(old_root, new_root):
            raise ProofError(f"two different roots for the same size {new_size}")
        if old_size == 0 and not _same(old_root, EMPTY_ROOT):
            raise ProofError("the root of the empty tree is wrong")
        return
    if not proof:
        raise ProofError("consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    if not _same(fr, old_root):
        raise ProofError(f"the proof does not lead to the old root (size {old_size})")
    if not _same(sr, new_root):
        raise ProofError(f"the proof does not lead to the new root (size {new_size})")
