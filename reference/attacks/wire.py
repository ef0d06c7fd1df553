"""Wire attacks: replayed and tampered transactions, oversized and fuzzed messages to peers
and the orderer.
"""

from __future__ import annotations

from collections import Counter

from reference.attacks.arena import FUZZ_EXAMPLES, Arena, Verdict, endorsement_code, on_network, verdict_of_refusal
from reference.chaincode.contract import CHAINCODE_NAME
from reference.clients.crypto import canonical_json
from reference.clients.gateway import NetworkGateway, Outcome
from reference.ledger import TxValidationCode
from reference.ledger.block import Block
from reference.ledger.messages import create_signed_proposal
from reference.ledger.testing import tamper_args, tamper_write_value


def _committed_outcome(arena: Arena, gateway: NetworkGateway, envelope: bytes,
                       expected: str) -> None:
    """Broadcast ``envelope``; it must be invalidated with ``expected`` (or refused)."""
    before = arena.world.snapshot()
    peer = arena.network.peers[0]
    height = peer.height
    response = arena.network.orderer.broadcast(envelope)
    if not response.ok:
        raise Verdict("refused", f"BROADCAST_{response.status.name}", response.info[:200])
    arena.network.flush()
    codes = [event.codes[position] for event in peer.block_events(height)
             for position, data in enumerate(event.block.data) if data == envelope]
    if len(codes) != 1:
        raise Verdict("crashed", None, f"the broadcast transaction is in {len(codes)} blocks")
    code = codes[0]
    if code == TxValidationCode.VALID:
        raise Verdict("accepted", None, "a tampered transaction was valid")
    outcome = Outcome(gateway.name, "", {}, 0, code.name)
    verdict_of_refusal(outcome, before, arena.world.snapshot(), expected)


def _endorsed(arena: Arena, gateway, function: str, arguments: dict):
    """A proposal of ``function`` endorsed now, as the setup of a transaction attack (a
    failed endorsement is the attack suite's own failure, reported as crashed)."""
    endorsed = gateway.client.endorse(CHAINCODE_NAME, function, [canonical_json(arguments)],
                                      timestamp=arena.clock.now())
    if endorsed.envelope is None:
        raise Verdict("crashed", None, f"setup failed: {endorsed.failure}")
    return endorsed


def replayed_transaction(arena: Arena) -> None:
    developer = on_network(arena.world.developers["dev2"].gateway)
    endorsed = _endorsed(arena, developer, "register_model",
                         {"model": "model-r", "commitment": "cd" * 32})
    first = developer.client.submit_endorsed(endorsed).result()
    if not first.ok:
        raise Verdict("crashed", None, f"setup failed: {first.code}")
    _committed_outcome(arena, developer, endorsed.envelope,
                       TxValidationCode.DUPLICATE_TXID.name)


def write_set_changed_after_endorsement(arena: Arena) -> None:
    treasury = on_network(arena.world.treasury.gateway)
    endorsed = _endorsed(arena, treasury, "fund", {"recipient": "vendor1", "amount": 1})
    forged = tamper_write_value(endorsed.envelope, treasury.identity, b"1000000000")
    _committed_outcome(arena, treasury, forged,
                       TxValidationCode.ENDORSEMENT_POLICY_FAILURE.name)


def arguments_changed_after_endorsement(arena: Arena) -> None:
    treasury = on_network(arena.world.treasury.gateway)
    endorsed = _endorsed(arena, treasury, "fund", {"recipient": "vendor1", "amount": 1})
    forged = tamper_args(endorsed.envelope, treasury.identity,
                         (canonical_json({"recipient": "vendor1", "amount": 10**9}),))
    _committed_outcome(arena, treasury, forged,
                       TxValidationCode.INVALID_ENDORSER_TRANSACTION.name)


def oversized_message(arena: Arena) -> None:
    limit = arena.network.config.batch.absolute_max_bytes
    response = arena.network.orderer.broadcast(b"\x00" * (limit + 1))
    if response.ok:
        raise Verdict("accepted", None, "the orderer took a message over AbsoluteMaxBytes")
    raise Verdict("refused", f"BROADCAST_{response.status.name}", response.info[:200])


def fuzzed_wire_messages(arena: Arena) -> None:
    """Hypothesis: mutated (bit flips, truncation, extension) signed proposals to a peer
    and envelopes to the orderer, and arbitrary bytes to every decoder; nothing may be
    endorsed or committed as valid, and nothing may raise."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    network = arena.network
    peer = network.peers[0]
    developer = on_network(arena.world.developers["dev2"].gateway)
    _, proposal = create_signed_proposal(developer.identity, network.channel_id, CHAINCODE_NAME,
                                      "register_model",
                                      (canonical_json({"model": "fuzzed",
                                                       "commitment": "ef" * 32}),),
                                      arena.clock.now())
    endorsed = _endorsed(arena, developer, "register_model",
                         {"model": "fuzzed-2", "commitment": "ef" * 32})
    envelope = endorsed.envelope
    problems: list[str] = []
    refusals: Counter[str] = Counter()
    height_before = peer.height

    def mutate(data: bytes, position: int, bit: int, cut: int, extra: bytes) -> bytes:
        changed = bytearray(data)
        changed[position % len(changed)] ^= 1 << bit
        mutated = bytes(changed)
        if cut:
            mutated = mutated[:-cut]
        return mutated + extra

    mutation = st.tuples(st.integers(0, 10**6), st.integers(0, 7), st.integers(0, 40),
                         st.binary(max_size=8))

    @settings(max_examples=FUZZ_EXAMPLES, database=None, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(mutation, mutation, st.binary(max_size=300))
    def probe(proposal_mutation, envelope_mutation, noise: bytes) -> None:
        bad_proposal = mutate(proposal, *proposal_mutation)
        try:
            response = peer.process_proposal(bad_proposal)
        except Exception as exc:  # noqa: BLE001 - a raise is the finding
            problems.append(f"peer raised {type(exc).__name__} on a mutated proposal")
            return
        if response.endorsement is not None:
            problems.append("a mutated proposal was endorsed")
        refusals[endorsement_code(response.response.status)] += 1
        bad_envelope = mutate(envelope, *envelope_mutation)
        try:
            answer = network.orderer.broadcast(bad_envelope)
            network.orderer.broadcast(noise)
        except Exception as exc:  # noqa: BLE001
            problems.append(f"orderer raised {type(exc).__name__}")
            return
        refusals[f"BROADCAST_{answer.status.name}"] += 1
        for decoder in (Block.decode,):
            try:
                decoder(noise)
            except ValueError:
                pass
            except Exception as exc:  # noqa: BLE001
                problems.append(f"{decoder.__qualname__} raised {type(exc).__name__}")

    before = arena.world.snapshot()
    probe()
    network.flush()
    for block in peer.block_events(height_before):
        if any(code == TxValidationCode.VALID for code in block.codes):
            problems.append(f"a mutated envelope was valid in block {block.block_number}")
    if problems:
        raise Verdict("accepted" if any("endorsed" in p or "valid" in p for p in problems)
                      else "crashed", None, f"{len(problems)} problem(s), first: {problems[0]}")
    if arena.world.snapshot() != before:
        raise Verdict("accepted", None, "fuzzing changed the world state")
    code, _ = refusals.most_common(1)[0]
    raise Verdict("refused", code, ", ".join(f"{name} x{count}"
                                             for name, count in refusals.most_common()))
