"""Binary Merkle tree over byte-string leaves, with inclusion proofs.

The tree shape and hashing follow the Merkle Tree Hash of RFC 6962 / RFC 9162 §2.1:

* leaf hash ``H(0x00 || leaf)``, interior node hash ``H(0x01 || left || right)``, H = SHA-256;
  the distinct prefixes keep a leaf from ever being mistaken for an interior node;
* a list of ``n > 1`` leaves is split at ``k``, the largest power of two below ``n``: the
  left subtree holds the first ``k`` leaves, the right subtree the rest (no leaf is ever
  duplicated, so two different lists never share a root);
* the root of the empty list is ``H(b"")``.

An inclusion proof for leaf ``index`` of ``leaf_count`` leaves lists the sibling subtree
hashes from the leaf up to the root. Verification recomputes the root from the leaf and the
siblings, using ``index`` and ``leaf_count`` to decide at each level whether the sibling is
on the left or the right; the proof must have exactly the length that the shape implies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"


def hash_leaf(leaf: bytes) -> bytes:
    return hashlib.sha256(LEAF_PREFIX + leaf).digest()


def hash_node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _largest_power_of_two_below(count: int) -> int:
    power = 1
    while power * 2 < count:
        power *= 2
    return power


def _subtree_root(leaf_hashes: Sequence[bytes]) -> bytes:
    if len(leaf_hashes) == 1:
        return leaf_hashes[0]
    split = _largest_power_of_two_below(len(leaf_hashes))
    return hash_node(_subtree_root(leaf_hashes[:split]), _subtree_root(leaf_hashes[split:]))


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """Root of the tree over ``leaves`` (the leaves themselves, not their hashes)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    return _subtree_root([hash_leaf(leaf) for leaf in leaves])


@dataclass(frozen=True)
class MerkleProof:
    """Inclusion proof: the leaf's position, the tree size and the sibling hashes leaf→root."""

    index: int
    leaf_count: int
    siblings: tuple[bytes, ...]

    def to_json_value(self) -> dict[str, object]:
        return {
            "index": self.index,
            "leaf_count": self.leaf_count,
            "siblings": [sibling.hex() for sibling in self.siblings],
        }

    @classmethod
    def from_json_value(cls, value: dict[str, object]) -> MerkleProof:
        index, leaf_count, siblings = (
            value.get("index"),
            value.get("leaf_count"),
            value.get("siblings"),
        )
        if not isinstance(index, int) or not isinstance(leaf_count, int):
            raise ValueError("index and leaf_count: must be integers")
        if not isinstance(siblings, list) or not all(
            isinstance(sibling, str) for sibling in siblings
        ):
            raise ValueError("siblings: must be a list of hex strings")
        return cls(
            index=index,
            leaf_count=leaf_count,
            siblings=tuple(bytes.fromhex(sibling) for sibling in siblings),
        )


def _collect_siblings(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    if len(leaf_hashes) == 1:
        return []
    split = _largest_power_of_two_below(len(leaf_hashes))
    if index < split:
        return [*_collect_siblings(leaf_hashes[:split], index), _subtree_root(leaf_hashes[split:])]
    return [
        *_collect_siblings(leaf_hashes[split:], index - split),
        _subtree_root(leaf_hashes[:split]),
    ]


def inclusion_proof(leaves: Sequence[bytes], index: int) -> MerkleProof:
    """Proof that ``leaves[index]`` is in the tree whose root is ``merkle_root(leaves)``."""
    if not 0 <= index < len(leaves):
        raise IndexError(f"index {index} outside a tree of {len(leaves)} leaves")
    siblings = _collect_siblings([hash_leaf(leaf) for leaf in leaves], index)
    return MerkleProof(index=index, leaf_count=len(leaves), siblings=tuple(siblings))


def _root_from_path(
    index: int, leaf_count: int, leaf_hash: bytes, siblings: Sequence[bytes]
) -> bytes | None:
    if leaf_count == 1:
        return leaf_hash if not siblings else None
    if not siblings:
        return None
    split = _largest_power_of_two_below(leaf_count)
    top_sibling = siblings[-1]
    if index < split:
        left = _root_from_path(index, split, leaf_hash, siblings[:-1])
        return None if left is None else hash_node(left, top_sibling)
    right = _root_from_path(index - split, leaf_count - split, leaf_hash, siblings[:-1])
    return None if right is None else hash_node(top_sibling, right)


def verify_inclusion(root: bytes, leaf: bytes, proof: MerkleProof) -> bool:
    """True exactly when ``proof`` shows ``leaf`` at ``proof.index`` under ``root``."""
    if not 0 <= proof.index < proof.leaf_count:
        return False
    recomputed = _root_from_path(proof.index, proof.leaf_count, hash_leaf(leaf), proof.siblings)
    return recomputed is not None and recomputed == root
