"""Merkle trees: RFC 6962 shape and hashing, inclusion proofs that verify and that fail."""

from __future__ import annotations

import hashlib

import pytest

from reference.training.merkle import (
    MerkleProof,
    hash_leaf,
    inclusion_proof,
    merkle_root,
    verify_inclusion,
)

# Certificate Transparency's published RFC 6962 test data (leaves, roots of the first n
# leaves, and audit paths), used here as known-answer vectors.
CT_LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    bytes(range(0x50, 0x58)),
    bytes(range(0x60, 0x70)),
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_AUDIT_PATHS = [
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]


def leaves_of(count: int) -> list[bytes]:
    return [f"leaf-{number}".encode() for number in range(count)]


def test_empty_tree_root_is_hash_of_empty_string() -> None:
    assert merkle_root([]) == hashlib.sha256(b"").digest()


@pytest.mark.parametrize("leaf_count", range(1, 9))
def test_roots_match_rfc6962_known_answers(leaf_count: int) -> None:
    assert merkle_root(CT_LEAVES[:leaf_count]).hex() == CT_ROOTS[leaf_count - 1]


@pytest.mark.parametrize(("index", "leaf_count", "expected_path"), CT_AUDIT_PATHS)
def test_proofs_match_rfc6962_known_audit_paths(
    index: int, leaf_count: int, expected_path: list[str]
) -> None:
    proof = inclusion_proof(CT_LEAVES[:leaf_count], index)
    assert [sibling.hex() for sibling in proof.siblings] == expected_path
    assert verify_inclusion(bytes.fromhex(CT_ROOTS[leaf_count - 1]), CT_LEAVES[index], proof)


@pytest.mark.parametrize("leaf_count", [*range(1, 18), 31, 64, 100])
def test_every_leaf_of_every_tree_verifies(leaf_count: int) -> None:
    leaves = leaves_of(leaf_count)
    root = merkle_root(leaves)
    for index, leaf in enumerate(leaves):
        assert verify_inclusion(root, leaf, inclusion_proof(leaves, index))


@pytest.mark.parametrize("leaf_count", [2, 3, 7, 8, 13, 100])
def test_wrong_leaf_sibling_or_index_fails(leaf_count: int) -> None:
    leaves = leaves_of(leaf_count)
    root = merkle_root(leaves)
    for index, leaf in enumerate(leaves):
        proof = inclusion_proof(leaves, index)
        assert not verify_inclusion(root, leaf + b"!", proof)
        for position in range(len(proof.siblings)):
            flipped = bytearray(proof.siblings[position])
            flipped[position % 32] ^= 0x01
            siblings = (*proof.siblings[:position], bytes(flipped), *proof.siblings[position + 1 :])
            assert not verify_inclusion(root, leaf, MerkleProof(index, leaf_count, siblings))
        for other_index in (index - 1, index + 1):
            if 0 <= other_index < leaf_count:
                assert not verify_inclusion(
                    root, leaf, MerkleProof(other_index, leaf_count, proof.siblings)
                )


def test_truncated_extended_or_resized_proof_fails() -> None:
    leaves = leaves_of(7)
    root = merkle_root(leaves)
    proof = inclusion_proof(leaves, 2)
    assert verify_inclusion(root, leaves[2], proof)
    assert not verify_inclusion(root, leaves[2], MerkleProof(2, 7, proof.siblings[1:]))
    assert not verify_inclusion(
        root, leaves[2], MerkleProof(2, 7, (*proof.siblings, proof.siblings[0]))
    )
    assert not verify_inclusion(root, leaves[2], MerkleProof(2, 4, proof.siblings))
    assert not verify_inclusion(root, leaves[2], MerkleProof(2, 3, proof.siblings))
    assert not verify_inclusion(root, leaves[2], MerkleProof(7, 7, proof.siblings))
    assert not verify_inclusion(root, leaves[2], MerkleProof(-1, 7, proof.siblings))


def test_interior_node_cannot_pose_as_a_leaf() -> None:
    leaves = leaves_of(4)
    root = merkle_root(leaves)
    # The left child of the root is H(0x01 || h0 || h1); presenting its children as a "leaf"
    # with the right child as the only sibling must fail because leaves are hashed with 0x00.
    left_children = hash_leaf(leaves[0]) + hash_leaf(leaves[1])
    right_subtree = merkle_root(leaves[2:])
    assert not verify_inclusion(root, left_children, MerkleProof(0, 2, (right_subtree,)))


def test_no_duplicate_leaf_ambiguity() -> None:
    leaves = leaves_of(3)
    assert merkle_root(leaves) != merkle_root([*leaves, leaves[-1]])


def test_proof_json_round_trip() -> None:
    leaves = leaves_of(9)
    proof = inclusion_proof(leaves, 6)
    assert MerkleProof.from_json_value(proof.to_json_value()) == proof


def test_index_outside_tree_is_refused() -> None:
    with pytest.raises(IndexError):
        inclusion_proof(leaves_of(3), 3)
