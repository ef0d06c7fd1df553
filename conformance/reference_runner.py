"""The reference implementation as a runner: real signed transactions on the real ledger.

Every vector runs on an embedded Fabric-style network (``reference/ledger``: endorsement,
ordering, validation with MVCC, SQLite per peer) with the marketplace chaincode
(``reference/chaincode``). One network serves the whole corpus; each vector gets a fresh
chaincode namespace (installed by a config transaction) and its own ``init_market``, so it
starts from an empty market with the vector's dispute cost and audit probability.

How a vector's calls become transactions:

* **identities** — each actor name is a certificate of the ``PartiesOrg`` organisation
  (the treasury's of ``MarketOrg``), enrolled by the organisation's CA; ``register_identity``
  sends the certificate's organisation (the spec's ``organisation`` string is not
  projected). A call whose meaning says ``forges`` is signed with the actual signer's key
  under the forged identity's certificate; the ledger refuses it at endorsement, which is
  the protocol's ``UNKNOWN_ACTOR`` (the signer is not a registered identity).
* **time** — a tick is one second; the vector's tick ``t`` is the transaction timestamp
  ``t0 + t`` (t0: the network time the vector's market starts at); deadlines and licence
  expiries are projected back by subtracting ``t0``.
* **datasets** — a ``"fresh"`` commitment is a real one: eight training rows of the
  breast-cancer data set (chosen by the dataset's name) encrypted with AES-GCM, committed
  by the SHA-256 of the envelope, with the Merkle root of the rows.
* **models** — a recipe (logistic regression, batch of eight rows, seed from the model's
  name) committed by the SHA-256 of its canonical JSON.
* **grants** — the data key is wrapped to every vendor of the job (X25519 + HKDF) and a
  receipt signed; a ``"committed"`` delivery is the registered envelope, ``"other"`` a
  re-encryption of the same data (another ciphertext, another digest).
* **transcripts** — each job is trained for real (``reference/training``); in a context
  the ``honest`` digest after step ``i`` is the digest of the honest state, ``wrong`` that
  of the honest state with its bias moved by one unit, ``other:N`` by ``1 + N`` units. The
  call carries the Merkle root of the digests and opens the final one; bisection moves
  open the committed digest at the midpoint with a Merkle proof (a digest that is not the
  committed one cannot be opened); ``resolve_step`` opens the agreed pre-state, the recipe
  and the step's rows with their proofs.
* **misuse** — ``misuse_data`` (off-chain) has the vendor sign a data-use statement for a
  purpose its licence does not allow; the runner's environment keeps it only when the
  signer is a registered vendor of a job holding the data, signing with its registered
  key; ``report_misuse`` hands it to the chaincode, which checks it.
* **pairs in one block** — both transactions are endorsed against the same committed
  state and ordered in one block; a transaction refused at endorsement or invalidated by
  the ledger's MVCC check is then resubmitted, as a client does.

The projection reads the world state through the chaincode's query functions; the labels
of transcripts are found from the roots on the ledger (the runner knows which labels each
root it built stands for); data holders are the vendors that received and decrypted key
material from owners, who hand it over only while the ledger shows the job staked; model
holders come from the job's ``model_delivered`` flag.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from conformance.projection import (
    AbstractState,
)
from conformance.reference_fixtures import MARKET_ORG, PARTIES_ORG, T0
from conformance.reference_market import Market
from conformance.reference_projection import project
from conformance.runner import Runner
from conformance.vectors import Genesis, VectorCall
from mutation.patching import Patch
from reference.chaincode import MarketplaceChaincode
from reference.chaincode.codes import MarketCode
from reference.ledger import FakeClock, Network

# ---------------------------------------------------------------------------------------
# The runner
# ---------------------------------------------------------------------------------------

class ReferenceRunner(Runner):
    """The reference on an embedded network (two peers, one per organisation, MAJORITY
    endorsement: every transaction is endorsed by both)."""

    name = "reference"

    def __init__(self, directory: str | Path | None = None, peers: int = 2):
        self._temporary = None
        if directory is None:
            self._temporary = tempfile.TemporaryDirectory(prefix="aimarket-conform-")
            directory = self._temporary.name
        self.network = Network.create(Path(directory) / "network", peers=peers,
                                      orgs=[MARKET_ORG, PARTIES_ORG], clock=FakeClock(T0),
                                      workers=1, synchronous="OFF")
        self.markets = 0
        self.market: Market | None = None

    @property
    def mutants(self):
        return REFERENCE_MUTANTS

    def init(self, genesis: Genesis) -> None:
        self.markets += 1
        chaincode = f"aimarket-{self.markets}"
        self.network.install_chaincode(chaincode, MarketplaceChaincode)
        self.market = Market(self.network, chaincode, genesis)

    @property
    def current(self) -> Market:
        """The market of the vector being run."""
        if self.market is None:
            raise RuntimeError("init() starts a market before the vector's calls")
        return self.market

    def step(self, call: VectorCall) -> str:
        outcome = self.current.submit(call)
        self.current.hand_over()
        return outcome

    def step_concurrently(self, first: VectorCall, second: VectorCall) -> tuple[str, str]:
        outcomes = self.current.submit_together(first, second)
        self.current.hand_over()
        return outcomes

    def project(self) -> AbstractState:
        return project(self.current)

    def close(self) -> None:
        self.network.close()
        if self._temporary is not None:
            self._temporary.cleanup()


# ---------------------------------------------------------------------------------------
# Faults injected into the reference
# ---------------------------------------------------------------------------------------

def _delivered_pays_fees_to_developer():
    import reference.chaincode.payouts as payout_rules
    original = payout_rules.pay_settlement

    def mutated(job, *args, **kwargs):
        paid = original(job, *args, **kwargs)
        moved = []
        for account, amount in paid:
            fee = job.fees.get(account)
            if fee is not None and amount >= fee:
                moved += [(account, amount - fee), (job.developer, fee)]
            else:
                moved.append((account, amount))
        return moved
    return (Patch(payout_rules, "pay_settlement", mutated),)


def _deadline_not_checked():
    from reference.chaincode.shared_checks import SharedChecks
    return (Patch(SharedChecks, "require_on_time", staticmethod(lambda call, job: None)),)


def _status_as_wrong_party():
    from reference.chaincode.codes import Rejected
    from reference.chaincode.shared_checks import SharedChecks

    def require_status(job, *statuses):
        if job.status not in statuses:
            raise Rejected(MarketCode.NOT_JOB_PARTY, f"job {job.job_id} is {job.status}")
    return (Patch(SharedChecks, "require_status", staticmethod(require_status)),)


def _mvcc_off():
    import reference.ledger.validation as validation
    return (Patch(validation, "_mvcc_conflict", lambda *args, **kwargs: None),)


def _signatures_not_verified():
    import reference.ledger.crypto as ledger_crypto
    return (Patch(ledger_crypto, "verify", lambda *args, **kwargs: True),)


def _reference_mutants():
    from conformance.mutants import fault
    return (
        fault("settlement-pays-fees-to-developer", "pays the wrong party",
              "the chaincode's settlement pays the vendors' fees to the developer",
              _delivered_pays_fees_to_developer),
        fault("deadline-not-checked", "skips a guard",
              "the chaincode never checks a phase's deadline (require_on_time)",
              _deadline_not_checked),
        fault("wrong-status-as-not-job-party", "returns the wrong rejection code",
              "a move in the wrong status is refused with MKT_NOT_JOB_PARTY",
              _status_as_wrong_party),
        fault("mvcc-off", "MVCC check off",
              "the ledger's validation never finds a read conflict",
              _mvcc_off),
        fault("signatures-not-verified", "accepts a bad signature",
              "the ledger accepts every signature (endorsement and validation)",
              _signatures_not_verified),
    )


REFERENCE_MUTANTS = _reference_mutants()
