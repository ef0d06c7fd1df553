"""The marketplace chaincode of the reference implementation.

* :class:`MarketplaceChaincode` (``contract.py``) — every ledger action of the protocol;
* :mod:`.codes` — the chaincode's error codes and their one-to-one map to the protocol's;
* :mod:`.records` — the world-state schema;
* :mod:`.rules` — stake and bond rules (the parameters file and its formula language);
* :mod:`.regions` — the synthesised stake regions per job shape (the regions file);
* :mod:`.evidence` — receipts, transcript openings, one-step re-execution, misuse artefacts;
* :mod:`.payouts` — who gets what when a job ends;
* :mod:`.memory` — an in-memory ledger for unit tests and conformance runners.

Documented in ``docs/reference-chaincode.md``. Imports nothing of the project outside
``reference/``.
"""

from reference.chaincode.codes import (
    MARKET_CODE_OF,
    PROTOCOL_CODE_OF,
    REFERENCE_ONLY_CODES,
    MarketCode,
    protocol_code,
)
from reference.chaincode.contract import CHAINCODE_NAME, EVENT_NAME, MarketplaceChaincode
from reference.chaincode.regions import DEFAULT_REGIONS_PATH, StakeRegions, load_regions
from reference.chaincode.rules import DEFAULT_PARAMS_PATH, StakeRules, least_stakes, load_rules

__all__ = [
    "CHAINCODE_NAME", "DEFAULT_PARAMS_PATH", "DEFAULT_REGIONS_PATH", "EVENT_NAME",
    "MARKET_CODE_OF", "PROTOCOL_CODE_OF", "REFERENCE_ONLY_CODES", "MarketCode", "MarketplaceChaincode",
    "StakeRegions", "StakeRules",
    "least_stakes", "load_regions", "load_rules", "protocol_code",
]
