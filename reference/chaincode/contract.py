"""The marketplace chaincode: every ledger action of the protocol, on a Fabric-style stub.

Each function takes one argument, a JSON object (see :mod:`.arguments`), and answers with
a :class:`~reference.ledger.chaincode_api.Response`:

* accepted: status 200, payload = canonical JSON summary (action, job, status, deadline,
  every verdict of the job, and ``new_verdicts``: those this call pronounced, on a call
  that convicts or ends a job), and a chaincode event ``aimarket`` with the same summary;
* refused: status 400, message ``"<MKT code>: <reason>"``, payload = canonical JSON
  ``{"code", "protocol_code", "reason"}``. Nothing is written.

Checks run in the order the protocol specification documents for each action (the first
failing check decides the code): the signer, then the records the call names, the job's
status, the caller's part in the job, its earlier moves, the deadline, then amounts.
Argument form (``MKT_MALFORMED_ARGS``) is checked before all of them; evidence that the
protocol's abstract calls do not carry (signatures, Merkle openings, the re-executed step)
is checked after them.

Time is the ledger's trusted block time (seconds). A move allowed up to a deadline ``d``
(or a licence expiry) is checked against the transaction's signed timestamp at endorsement
and declares ``require_block_time(until=d)``; ``timeout`` declares ``after=d``; validation
invalidates the transaction if its block's signed time falls outside
(``TIME_BOUND_VIOLATED``). The ledger keeps the signed timestamp, which the summaries
record as ``time`` and new deadlines count from, within the channel's skew of the block
time.

This module registers the functions and dispatches each call (:meth:`MarketplaceChaincode.invoke`).
The transactions live one chapter of the protocol per module, in the order of
``spec/actions.py``, so that chaincode and spec can be read side by side
(:mod:`reference.chaincode.transactions`); the checks they share are in
:mod:`.shared_checks`, the escrow and the ways a job ends in :mod:`.escrow`, the call and its
buffered state view in :mod:`.call`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reference.chaincode.arguments import Arguments, decode_json_object
from reference.chaincode.call import Call, StateView, encode
from reference.chaincode.codes import MarketCode, Rejected, protocol_code
from reference.chaincode.regions import StakeRegions
from reference.chaincode.rules import StakeRules
from reference.chaincode.transactions.accounts import GOVERNING_ORGANISATION, AccountTransactions
from reference.chaincode.transactions.catalogue import CatalogueTransactions
from reference.chaincode.transactions.deadlines import DeadlineTransactions
from reference.chaincode.transactions.developer import DeveloperTransactions
from reference.chaincode.transactions.licences import LicenceTransactions
from reference.chaincode.transactions.misuse import MisuseTransactions
from reference.chaincode.transactions.queries import Queries
from reference.chaincode.transactions.requests import RequestTransactions
from reference.chaincode.transactions.vendors import VendorTransactions
from reference.ledger.chaincode_api import ChaincodeStub, Response, error, success

CHAINCODE_NAME = "aimarket"
EVENT_NAME = "aimarket"
REFUSAL_STATUS = 400


class MarketplaceChaincode(AccountTransactions, CatalogueTransactions, RequestTransactions,
                           LicenceTransactions, VendorTransactions, DeveloperTransactions,
                           MisuseTransactions, DeadlineTransactions, Queries):
    """The marketplace contract. One instance per peer; it keeps no state between calls
    except a cache of parsed stake rules and regions (a pure function of the recorded
    documents)."""

    def __init__(self, governance: str = GOVERNING_ORGANISATION) -> None:
        self.governance = governance
        self._rules_cache: dict[bytes, StakeRules] = {}
        self._regions_cache: dict[bytes, StakeRegions] = {}
        self.transactions: dict[str, Callable[[Call], None]] = {
            "init_market": self.init_market,
            "register_identity": self.register_identity,
            "fund": self.fund,
            "register_dataset": self.register_dataset,
            "register_model": self.register_model,
            "register_vendor": self.register_vendor,
            "request_training": self.request_training,
            "grant_access": self.grant_access,
            "deny_access": self.deny_access,
            "accept_job": self.accept_job,
            "confirm_inputs": self.confirm_inputs,
            "complain_inputs": self.complain_inputs,
            "submit_result": self.submit_result,
            "accept_result": self.accept_result,
            "dispute_result": self.dispute_result,
            "bisect_query": self.bisect_query,
            "bisect_answer": self.bisect_answer,
            "resolve_step": self.resolve_step,
            "convict_shared_step": self.convict_shared_step,
            "report_misuse": self.report_misuse,
            "timeout": self.timeout,
        }
        self.queries: dict[str, Callable[[Call], Any]] = {
            "read": self.read,
            "read_prefix": self.read_prefix,
            "accounts": self.accounts,
        }

    def invoke(self, stub: ChaincodeStub, function: str, args: list[bytes]) -> Response:
        handler = self.transactions.get(function)
        query = self.queries.get(function)
        if handler is None and query is None:
            return refusal(Rejected(MarketCode.UNKNOWN_FUNCTION,
                                    f"{function!r} is not a marketplace function"))
        state = StateView(stub)
        try:
            call = Call(function, stub.get_creator(), stub.get_tx_timestamp(),
                        Arguments(decode_json_object(args)), state)
            if query is not None:
                answer = query(call)
                call.args.done()
                return success(encode(answer))
            assert handler is not None  # a function is a transaction or a query
            handler(call)
        except Rejected as rejection:
            return refusal(rejection)
        state.flush()
        summary = {"action": function, "tx": stub.get_tx_id(), "time": call.now, **call.summary}
        stub.set_event(EVENT_NAME, encode(summary))
        return success(encode(summary))


def refusal(rejection: Rejected) -> Response:
    payload = {"code": rejection.code.value, "protocol_code": protocol_code(rejection.code),
               "reason": rejection.reason}
    return error(f"{rejection.code.value}: {rejection.reason}", REFUSAL_STATUS, encode(payload))
