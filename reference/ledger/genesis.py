"""The genesis block as a peer commits it: trusted (not validated), checked for form only.

Both the peer (at join) and the offline verifier (replaying a store) start from here.
"""

from __future__ import annotations

from reference.ledger import crypto, wire
from reference.ledger.block import Block, compute_data_hash
from reference.ledger.codes import TxValidationCode
from reference.ledger.ordering import config_from_genesis
from reference.ledger.store import BlockUpdates


class BlockRejected(Exception):
    """A delivered block failed the peer's block checks (number, hash chain, signature)."""


def genesis_commit(genesis_block: Block) -> tuple[Block, BlockUpdates]:
    """The genesis block as committed (trusted, not validated) and its store updates."""
    config = config_from_genesis(genesis_block)
    if genesis_block.header.previous_hash != b"" or (
            genesis_block.header.data_hash != compute_data_hash(genesis_block.data)):
        raise BlockRejected("malformed genesis block")
    codes = bytes([TxValidationCode.VALID])
    commit_hash = crypto.sha256(wire.dumps([b"", 0, codes, []]))
    return (genesis_block.with_validation(codes, commit_hash),
            BlockUpdates(config=config.encode()))
