"""The attack catalogue: every attack an adversary may try on the reference, played against
a fresh ledger, each with the outcome it met.

An attacker here is a developer, a vendor, a data owner, an organisation's admin, or
someone holding a copy of a ledger directory. Each attack is played for real on a new
embedded network (four organisations, four peers, the marketplace chaincode, a market set
up with identities, money, datasets, offers and models) and reports one of

* ``refused`` — the ledger or the chaincode refused it, with the code it answered (an
  ``MKT_…`` code, an endorsement refusal such as ``ENDORSEMENT_TIMESTAMP_SKEW``, a broadcast
  status, or the validation code of the block it was invalidated in), and nothing changed;
* ``detected`` — it changed something an attacker can change (a file on disk), and the
  check meant to catch it (``verify_ledger``, the peer's integrity check at start) did;
* ``accepted`` — it worked: a hole;
* ``crashed`` — playing it raised (a bug in the reference or in the attack).

Categories: ``time`` (forged timestamps, late broadcasts), ``governance`` (who may create
the market, mint, change chaincode definitions), ``identity`` (certificates and names),
``arguments`` (hostile chaincode arguments, fuzzed with Hypothesis), ``wire`` (hostile
messages to peers and the orderer, fuzzed, and the transaction attacks: replay, tampering,
oversize), ``tamper`` (a ledger directory edited offline, checked with ``verify_ledger``
and trust anchors) and ``restart`` (peers reopened on a tampered store).

``run_attacks(directory)`` (:mod:`.catalogue`) plays the whole catalogue; ``aimarket attacks``
prints it. The arena is :mod:`.arena`; each category has a module of its own
(:mod:`.timing`, :mod:`.governance`, :mod:`.identity`, :mod:`.arguments`, :mod:`.wire`,
:mod:`.tamper` with the restart attacks).
"""

CATEGORIES = ("time", "governance", "identity", "arguments", "wire", "tamper", "restart")
