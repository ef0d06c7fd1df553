"""Queries (no writes): ``read``, ``read_prefix``, ``accounts`` (the chapter of the same
name in ``spec/actions.py``).
"""

from __future__ import annotations

import json
from typing import Any

from reference.chaincode.call import Call
from reference.chaincode.records import (
    prefix_range,
)


class Queries:
    """Queries (no writes): ``read``, ``read_prefix``, ``accounts``."""

    def read(self, call: Call) -> Any:
        key = call.args.text("key")
        return {"key": key, "value": call.state.get_json(key)}

    def read_prefix(self, call: Call) -> Any:
        prefix = call.args.text("prefix")
        start, end = prefix_range(prefix)
        return {key: json.loads(value) for key, value in call.state.stub.get_state_by_range(start, end)}

    def accounts(self, call: Call) -> Any:
        """Every balance, escrow and minted total, and whether tokens are conserved."""
        stub = call.state.stub
        balances = {key.split("/", 1)[1]: json.loads(value)
                    for key, value in stub.get_state_by_range(*prefix_range("balance/"))}
        escrows = {key.split("/", 1)[1]: json.loads(value)
                   for key, value in stub.get_state_by_range(*prefix_range("escrow/"))}
        minted = sum(json.loads(value) for _, value in stub.get_state_by_range(*prefix_range("minted/")))
        held = sum(balances.values()) + sum(escrows.values())
        return {"balances": balances, "escrows": escrows, "minted": minted, "held": held,
                "conserved": held == minted,
                "no_negative": all(amount >= 0 for amount in [*balances.values(), *escrows.values()])}
