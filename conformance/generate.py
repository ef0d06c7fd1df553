"""Generating the corpus from the spec: coverage-directed runs, random walks, seeded sequences.

Every vector is a run of the spec from genesis (:func:`build_vector`): each call is
described (:func:`conformance.semantics.describe_call`), stepped
(:func:`spec.machine.step`) and the market projected (:func:`conformance.projection.project`).
Four kinds:

* **prelude** — the setups that many vectors start with (the world of
  :mod:`spec.examples`, of the walks, of the sequences), written once; a vector that
  starts with a prelude's calls names it instead of repeating them
  (:meth:`conformance.vectors.Vector.with_prelude`).
* **coverage** — first the worked examples of :mod:`spec.examples` (every action accepted
  once, and refused once with each of its codes, :func:`example_vectors`): the examples'
  stories extend one another, and each story that no other extends gives one vector, the
  refused examples of every story on its way inserted as probes where that story ends (a
  refused call changes nothing); each refusal of an unregistered signer is probed a second
  time with forged credentials. Then :func:`scenarios`: runs that reach the job edges and
  endings the examples do not, and pairs of calls submitted in one block.
* **walk** — :func:`walks.walk.random_walk` with a fixed seed, several jobs open at
  once, some consecutive moves on a job marked as submitted in one block.
* **sequence** — sequences over several concurrent jobs whose choices are drawn by the
  corpus's own seeded generator (:func:`sequence_choices`, Python's ``random.Random``,
  whose output for a given seed the language keeps stable), never by a test library, so
  no release of a dependency can change the corpus.

Every vector is replayed by the remapped runner
(:class:`conformance.spec_runner.RemappedSpecRunner`), which knows only the meanings of the
abstract values: a coverage vector must replay in full; a walk or a sequence is cut before
the first step its meanings cannot reproduce (a random call can chain "other" digests in a
way only the spec's own arithmetic would), and says so in its description.

Everything is deterministic: :func:`build_corpus` with the same seed and spec gives
byte-identical files, whatever the versions of the installed libraries.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction

from traces.itf import ACCEPTED
from conformance.projection import project
from conformance.semantics import DigestLabeller, describe_call
from conformance.vectors import Genesis, Vector, VectorCall, VectorStep
from spec import examples as worked
from spec.actions import CATALOGUE, ANYONE, ENVIRONMENT, Call, call
from spec.machine import step
from spec.rejections import Rejection
from spec.world import Instance, make_instance, setup_calls
from spec.state import TREASURY, Market, genesis
from spec.transcript import divergent_transcript, honest_transcript
from walks.moves import adversarial_moves, protocol_moves
from walks.walk import random_walk

DEFAULT_SEED = 20240601
WALK_COUNT = 3
WALK_STEPS = 80
SEQUENCES = 5
SEQUENCE_LENGTH = (20, 40)


@dataclass(frozen=True)
class Planned:
    """A call to put in a vector: who forges whose credentials, and whether it shares a
    block with the call before it."""

    call: Call
    forges: str | None = None
    concurrent: bool = False


def build_vector(name: str, kind: str, description: str, parameters: Genesis,
                 planned: Sequence[Planned], seed: int | None = None) -> Vector:
    """Run ``planned`` through the spec from genesis and record every step."""
    market = genesis(parameters.dispute_cost, parameters.audit_probability)
    labeller = DigestLabeller()
    initial = project(market, labeller)
    steps: list[VectorStep] = []
    for index, item in enumerate(planned):
        concurrent = item.concurrent and index > 0 and not steps[-1].concurrent
        meaning = describe_call(market, item.call, labeller, item.forges)
        result = step(market, item.call)
        market = result.market
        outcome = ACCEPTED if result.rejection is None else result.rejection.value
        steps.append(VectorStep(VectorCall.from_spec(item.call, meaning), outcome,
                                project(market, labeller), concurrent))
    return Vector(name, kind, description, parameters, initial, steps, seed)


def planned_of(vector: Vector) -> list[Planned]:
    """The calls of a vector, as :func:`build_vector` takes them."""
    return [Planned(item.call.spec_call(), item.call.forges, item.concurrent)
            for item in vector.steps]


def market_after(parameters: Genesis, calls: Sequence[Call]) -> Market:
    market = genesis(parameters.dispute_cost, parameters.audit_probability)
    for made in calls:
        market = step(market, made).market
    return market


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


# ---------------------------------------------------------------------------------------
# Coverage: the worked examples
# ---------------------------------------------------------------------------------------

WORLD_GENESIS = Genesis(worked.WORLD.dispute_cost, Fraction(worked.WORLD.audit_probability))


def story_names() -> dict[tuple[Call, ...], str]:
    """The stories :mod:`spec.examples` names (``SETUP``, ``DELIVERED_LAZY``...)."""
    names: dict[tuple[Call, ...], str] = {}
    for name, value in vars(worked).items():
        if isinstance(value, worked.Story) and name.isupper():
            names.setdefault(value.calls, slug(name))
    return names


def forged_identity(market: Market, made: Call) -> str | None:
    """A registered identity that may make ``made``, whose credentials a forger presents."""
    role = CATALOGUE[made.action].actor
    candidates = [name for name, identity in market.identities.items()
                  if identity.role.value == role or (role == ANYONE and name != TREASURY)]
    job = market.jobs.get(made.args.get("job")) if isinstance(made.args.get("job"), str) else None
    if job is not None:
        parties = [job.developer, *job.vendors,
                   *(market.datasets[dataset].owner for dataset in job.datasets)]
        preferred = [name for name in candidates if name in parties]
        candidates = preferred or candidates
    return candidates[0] if candidates else None


def example_vectors() -> list[Vector]:
    """The worked examples as few runs as possible (see the module docstring).

    The examples' stories extend one another (the setup, then a request, then grants...).
    Each story that no other story extends is a *leaf*, and gives one vector: its calls,
    with the refused examples of every story on the way inserted as probes right where
    that story ends (a refused call changes nothing, so the run goes on as before). The
    accepted examples of a story are covered where the leaf's next call is that very call;
    the others follow their story in vectors of their own, one after the other as long as
    each is still accepted where it lands.
    """
    names = story_names()
    groups: dict[tuple[Call, ...], list[worked.Example]] = {}
    for example in worked.examples():
        groups.setdefault(example.calls[:-1], []).append(example)
    stories = list(groups)

    def extends(longer: tuple[Call, ...], shorter: tuple[Call, ...]) -> bool:
        return len(longer) > len(shorter) and longer[:len(shorter)] == shorter

    leaves = [story for story in stories if not any(extends(other, story) for other in stories)]
    owner = {story: next(leaf for leaf in leaves if leaf == story or extends(leaf, story))
             for story in stories}
    vectors: list[Vector] = []
    separate: list[tuple[tuple[Call, ...], list[worked.Example]]] = []
    used: dict[str, int] = {}

    def name_for(story: tuple[Call, ...]) -> str:
        base = names.get(story) or f"after-{slug(story[-1].action) if story else 'genesis'}"
        used[base] = used.get(base, 0) + 1
        return base if used[base] == 1 else f"{base}-{used[base]}"

    for leaf in leaves:
        planned: list[Planned] = []
        covered: list[str] = []
        for position in range(len(leaf) + 1):
            prefix = leaf[:position]
            if prefix in groups and owner[prefix] == leaf:
                market = market_after(WORLD_GENESIS, prefix)
                for example in groups[prefix]:
                    last = example.calls[-1]
                    if example.expected is not None:
                        planned.append(Planned(last))
                        if example.expected == Rejection.UNKNOWN_ACTOR:
                            planned.append(Planned(last, forges=forged_identity(market, last)))
                        covered.append(example.name)
                    elif position < len(leaf) and leaf[position] == last:
                        covered.append(example.name)
                    elif prefix != leaf:
                        separate.append((prefix, [example]))
                if prefix == leaf:
                    accepted = [example for example in groups[leaf] if example.expected is None]
                    if accepted:
                        separate.insert(0, (leaf, accepted))
            if position < len(leaf):
                planned.append(Planned(leaf[position]))
        # the leaf's own accepted examples are appended to its vector when they fit
        pending = next((examples for story, examples in separate if story == leaf), [])
        if pending:
            separate.remove((leaf, pending))
            market = market_after(WORLD_GENESIS, [item.call for item in planned])
            while pending and step(market, pending[0].calls[-1]).accepted:
                example = pending.pop(0)
                market = step(market, example.calls[-1]).market
                planned.append(Planned(example.calls[-1]))
                covered.append(example.name)
            if pending:
                separate.append((leaf, pending))
        vectors.append(build_vector(f"coverage/examples/{name_for(leaf)}", "coverage",
                                    "Worked examples: " + "; ".join(covered), WORLD_GENESIS,
                                    planned))
    merged: dict[tuple[Call, ...], list[worked.Example]] = {}
    for story, examples in separate:
        merged.setdefault(story, []).extend(examples)
    for story, pending in merged.items():
        while pending:
            planned = [Planned(made) for made in story]
            covered = []
            market = market_after(WORLD_GENESIS, story)
            while pending and (not covered or step(market, pending[0].calls[-1]).accepted):
                example = pending.pop(0)
                market = step(market, example.calls[-1]).market
                planned.append(Planned(example.calls[-1]))
                covered.append(example.name)
            vectors.append(build_vector(f"coverage/examples/{name_for(story)}", "coverage",
                                        "Worked examples: " + "; ".join(covered), WORLD_GENESIS,
                                        planned))
    check_examples(vectors)
    return vectors


def check_examples(vectors: list[Vector]) -> None:
    """Every worked example appears in ``vectors`` with its documented outcome: a refused
    one right after its story (refused probes aside), an accepted one after its story and
    possibly other accepted examples of the same story."""
    found: list[tuple[tuple[Call, ...], Call, str]] = []
    for vector in vectors:
        before: list[Call] = []
        for item in vector.steps:
            made = item.call.spec_call()
            found.append((tuple(before), made, item.outcome))
            if item.accepted:
                before.append(made)
    for example in worked.examples():
        story, last = example.calls[:-1], example.calls[-1]
        if example.expected is not None:
            present = (story, last, example.expected.value) in found
        else:
            present = any(made == last and outcome == ACCEPTED and before[:len(story)] == story
                          for before, made, outcome in found)
        if not present:
            raise AssertionError(f"worked example {example.name!r} is not in the corpus "
                                 "with its documented outcome")


# ---------------------------------------------------------------------------------------
# Coverage: scenarios beyond the examples
# ---------------------------------------------------------------------------------------

TICK = worked.TICK
DEV, V1, V2 = "dev1", "vendor1", "vendor2"


def job_call(action: str, actor: str, **args) -> Call:
    return call(action, actor, job="job1", **args)


def single_step_world() -> tuple[list[Call], Callable[[str], tuple[int, ...]]]:
    """The examples' world with a one-step job: a dispute goes straight to ``resolve``."""
    story = list(worked.SETUP.calls)
    request = worked.REQUEST
    story.append(Call(request.action, request.actor, request.args.with_item("steps", 1)))
    story += [worked.grant("data1"), worked.grant("data2"), worked.ACCEPT[V1], worked.ACCEPT[V2],
              worked.CONFIRM[V1], worked.CONFIRM[V2]]

    def honest_of(vendor: str) -> tuple[int, ...]:
        return honest_transcript(worked.start(vendor), 1)
    return story, honest_of


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    calls: tuple[Planned, ...]


def scenarios() -> list[Scenario]:
    """Runs that reach what the examples do not: every job edge and ending, and pairs of
    calls in one block."""
    plain = worked
    found: list[Scenario] = []

    def add(name: str, description: str, *calls: Call | Planned) -> None:
        found.append(Scenario(name, description, tuple(
            item if isinstance(item, Planned) else Planned(item) for item in calls)))

    timeout = job_call("timeout", "owner1")
    add("expired-after-licensing", "A licensed job nobody accepts expires; every deposit is refunded",
        *plain.LICENSED.calls, TICK, TICK, timeout)
    add("expired-before-licensing", "A requested job nobody licenses expires",
        *plain.REQUESTED.calls, TICK, TICK, timeout)
    add("cancelled", "A data owner denies access; the job is cancelled and refunded",
        *plain.REQUESTED.calls, plain.grant("data1"), job_call("deny_access", "owner2", dataset="data2"))
    add("settled-by-silence", "The developer stays silent after delivery: the job settles",
        *plain.DELIVERED.calls, TICK, TICK, timeout)
    add("settled", "The developer accepts an honest delivery",
        *plain.DELIVERED.calls, job_call("accept_result", DEV))
    add("defective-inputs", "A vendor complains about a defective delivery: the owner is convicted",
        *plain.LICENSED_DEFECTIVE.calls, plain.ACCEPT[V1], plain.ACCEPT[V2],
        job_call("complain_inputs", V2, dataset="data1"))
    add("wrong-computation", "A lazy vendor loses the bisection game; the job ends with the "
        "one re-execution it allows, and a later acceptance is refused",
        *plain.NARROWED.calls, job_call("resolve_step", "owner2"),
        job_call("accept_result", DEV))
    add("claimant-silent", "The developer falls silent during the bisection and is convicted",
        *plain.QUERIED.calls, plain.ANSWER, TICK, TICK, timeout)
    add("respondent-silent", "The disputed vendor falls silent: its committed digest is opened "
        "for it and the bisection goes on to a conviction, which ends the job",
        *plain.QUERIED.calls, TICK, TICK, timeout,
        job_call("bisect_query", DEV, digest=plain.honest(V1)[2]),
        job_call("bisect_answer", V1, digest=plain.lazy(V1)[2]),
        job_call("resolve_step", "owner1"))
    add("silent-vendor", "One vendor confirms and submits, the other stays silent",
        *plain.RUNNING.calls, plain.CONFIRM[V1],
        plain.submit(V1, plain.honest(V1)), TICK, TICK, timeout)
    silent_vendor = (*plain.CONFIRMED.calls, plain.submit(V1, plain.honest(V1)), TICK, TICK, timeout)
    add("silent-vendor-accepted", "A vendor stayed silent and was convicted; the developer "
        "accepts the other's result: resolved, the silent vendor forfeits",
        *silent_vendor, job_call("accept_result", DEV))
    add("silent-vendor-then-silence", "A vendor stayed silent and was convicted; the developer "
        "stays silent too: its silence accepts, resolved", *silent_vendor, TICK, TICK, timeout)
    add("misuse-while-delivered", "A vendor misuses the data after delivery; an owner reports it",
        *plain.DELIVERED.calls, job_call("misuse_data", V2),
        job_call("report_misuse", "owner2", vendor=V2))
    add("misuse-while-disputed", "A vendor misuses the data during a dispute; an owner reports it",
        *plain.DISPUTED.calls, job_call("misuse_data", V1),
        job_call("report_misuse", "owner1", vendor=V1))
    add("misuse-while-running", "A vendor misuses the data while running; an owner reports it",
        *plain.CONFIRMED.calls, job_call("misuse_data", V2),
        job_call("report_misuse", "owner2", vendor=V2))
    lazy_at_one = plain.lazy(V1, 1)
    add("false-dispute", "The developer disputes an honest vendor with a transcript wrong from "
        "step 1 and loses", *plain.FALSE_DISPUTE.calls,
        job_call("bisect_query", DEV, digest=lazy_at_one[1]),
        job_call("bisect_answer", V1, digest=plain.honest(V1)[1]),
        job_call("bisect_query", DEV, digest=lazy_at_one[0]),
        job_call("bisect_answer", V1, digest=plain.honest(V1)[0]),
        job_call("resolve_step", V2))
    one_step, honest_of = single_step_world()
    wrong_one = divergent_transcript(worked.start(V1), 1, 1)
    add("one-step-dispute", "A one-step job: the dispute is resolved at once, no bisection",
        *one_step, plain.submit(V1, wrong_one), plain.submit(V2, honest_of(V2)),
        job_call("dispute_result", DEV, vendor=V1, transcript=honest_of(V1)),
        job_call("bisect_query", DEV, digest=honest_of(V1)[0]),
        job_call("resolve_step", DEV))
    # pairs in one block: every pair below touches the same job record
    together = [
        ("grants", plain.REQUESTED.calls, (plain.grant("data1"), plain.grant("data2"))),
        ("accepts", plain.LICENSED.calls, (plain.ACCEPT[V1], plain.ACCEPT[V2])),
        ("confirms", plain.RUNNING.calls, (plain.CONFIRM[V1], plain.CONFIRM[V2])),
        ("submits", plain.CONFIRMED.calls, (plain.submit(V1, plain.honest(V1)),
                                           plain.submit(V2, plain.honest(V2)))),
        ("double-accept", plain.LICENSED.calls, (plain.ACCEPT[V1], plain.ACCEPT[V1])),
        ("submit-before-confirm", plain.RUNNING.calls,
         (plain.CONFIRM[V1], plain.submit(V1, plain.honest(V1)))),
    ]
    for name, story, (first, second) in together:
        add(f"one-block-{name}", f"Two calls in one block ({first.action}, {second.action}): "
            "the outcome is that of one after the other", *story, first,
            Planned(second, concurrent=True))
    return found


def scenario_vectors() -> list[Vector]:
    return [build_vector(f"coverage/scenarios/{item.name}", "coverage", item.description,
                         WORLD_GENESIS, item.calls) for item in scenarios()]


# ---------------------------------------------------------------------------------------
# Random walks and seeded sequences
# ---------------------------------------------------------------------------------------

WALK_INSTANCE = Instance(data_owners=3, developers=2, vendors=3, steps=3, window=2,
                         licence_uses=10**6, licence_expiry=10**6, vendor_capacity=2)
"""Three owners, two developers, three vendors, three-step jobs (an odd bisection)."""

SEQUENCE_INSTANCE = make_instance(data_owners=3, developers=2, vendors=3, jobs=3,
                                  datasets_per_job=2, vendors_per_job=2, steps=3, window=2,
                                  vendor_capacity=2, licence_uses=10**6, licence_expiry=10**6)
"""Three job templates over shared owners and vendors, all open at once."""


def mark_pairs(calls: Sequence[Call], rng: random.Random, rate: float = 0.3) -> list[Planned]:
    """Mark some consecutive ledger calls on the same job as sharing a block."""
    planned: list[Planned] = []
    for made in calls:
        previous = planned[-1] if planned else None
        pair = (previous is not None and not previous.concurrent
                and made.args.get("job") is not None
                and previous.call.args.get("job") == made.args.get("job")
                and CATALOGUE[made.action].kind == "ledger"
                and CATALOGUE[previous.call.action].kind == "ledger"
                and rng.random() < rate)
        planned.append(Planned(made, concurrent=pair))
    return planned


def genesis_of(instance: Instance) -> Genesis:
    return Genesis(instance.dispute_cost, Fraction(instance.audit_probability))


def expressible(vector: Vector) -> Vector:
    """``vector`` cut before the first step the remapped runner cannot reproduce."""
    from conformance.conform import run_vector
    from conformance.spec_runner import RemappedSpecRunner

    result = run_vector(RemappedSpecRunner(), vector)
    if result.passed or result.failed_step is None:
        return vector
    keep = result.failed_step - 1
    if keep >= 1 and vector.steps[keep - 1].concurrent:
        keep -= 1
    return build_vector(vector.name, vector.kind, vector.description + f" (cut at step {keep})",
                        vector.genesis, planned_of(vector)[:keep], vector.seed)


def walk_vectors(seed: int) -> list[Vector]:
    vectors = []
    for number in range(1, WALK_COUNT + 1):
        walk_seed = seed + number
        calls = [result.call for result in
                 random_walk(WALK_INSTANCE, random.Random(walk_seed), WALK_STEPS, concurrency=3)]
        planned = mark_pairs(calls, random.Random(walk_seed * 7 + 1))
        vector = build_vector(
            f"walks/walk-{number}", "walk",
            f"walks.walk.random_walk(seed={walk_seed}, steps={WALK_STEPS}, concurrency=3) on "
            "three owners, two developers, three vendors, three-step jobs", genesis_of(WALK_INSTANCE),
            planned, walk_seed)
        vectors.append(expressible(vector))
    return vectors


def sequence_calls(choices: Sequence[int], instance: Instance) -> list[Call]:
    """The setup of ``instance``, then one move per choice: a protocol move of the current
    market (``choice`` indexes them), or — when the choice is a multiple of five — a
    malformed variant drawn with ``choice`` as the seed."""
    market = genesis(instance.dispute_cost, instance.audit_probability)
    calls = list(setup_calls(instance))
    for made in calls:
        market = step(market, made).market
    for choice in choices:
        if choice % 5 == 0:
            made = adversarial_moves(market, instance, random.Random(choice), count=1)[0]
        else:
            moves = protocol_moves(market, instance) or [call("tick", ENVIRONMENT)]
            made = moves[(choice // 5) % len(moves)]
        calls.append(made)
        market = step(market, made).market
    return calls


CHOICE_BITS = 14


def sequence_choices(seed: int, number: int) -> list[int]:
    """The choices of sequence ``number``: a length in :data:`SEQUENCE_LENGTH`, then one
    :data:`CHOICE_BITS`-bit choice per move, from ``random.Random`` seeded with
    :func:`sequence_seed` (``randint`` and ``getrandbits`` give the same values for the
    same seed on every Python version and platform)."""
    rng = random.Random(sequence_seed(seed, number))
    low, high = SEQUENCE_LENGTH
    return [rng.getrandbits(CHOICE_BITS) for _ in range(rng.randint(low, high))]


def sequence_seed(seed: int, number: int) -> int:
    """The seed of sequence ``number`` of the corpus drawn with ``seed``."""
    return seed * 1000 + 500 + number


def sequence_vectors(seed: int) -> list[Vector]:
    vectors = []
    for number in range(1, SEQUENCES + 1):
        choices = sequence_choices(seed, number)
        calls = sequence_calls(choices, SEQUENCE_INSTANCE)
        planned = mark_pairs(calls, random.Random(number))
        vector = build_vector(
            f"sequences/sequence-{number}", "sequence",
            f"Seeded choices (seed {sequence_seed(seed, number)}) over three concurrent job "
            f"templates: {choices}", genesis_of(SEQUENCE_INSTANCE), planned,
            sequence_seed(seed, number))
        vectors.append(expressible(vector))
    return vectors


# ---------------------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------------------

@dataclass
class GeneratedCorpus:
    seed: int
    vectors: list[Vector] = field(default_factory=list)


def prelude_vectors() -> list[Vector]:
    """The setups several vectors start with, written once (see :class:`Vector.prelude`)."""
    walk_setup = setup_calls(replace(WALK_INSTANCE, jobs=()))
    return [
        build_vector("preludes/examples-world", "prelude",
                     "The world of spec/examples.py: owners, developers, vendors, datasets, "
                     "models and offers registered and funded", WORLD_GENESIS,
                     [Planned(made) for made in worked.SETUP.calls]),
        build_vector("preludes/walk-world", "prelude",
                     "The world of the random walks, registered (funding comes per job)",
                     genesis_of(WALK_INSTANCE), [Planned(made) for made in walk_setup]),
        build_vector("preludes/sequence-world", "prelude",
                     "The world of the seeded sequences: three job templates, funded",
                     genesis_of(SEQUENCE_INSTANCE),
                     [Planned(made) for made in setup_calls(SEQUENCE_INSTANCE)]),
    ]


def continue_preludes(vectors: list[Vector], preludes: list[Vector]) -> list[Vector]:
    """Each vector that starts with a prelude's calls, marked as its continuation."""
    marked = []
    for vector in vectors:
        for prelude in sorted(preludes, key=lambda item: -len(item.steps)):
            try:
                vector = vector.with_prelude(prelude)
                break
            except ValueError:
                continue
        marked.append(vector)
    return marked


def build_corpus(seed: int = DEFAULT_SEED) -> GeneratedCorpus:
    """Every vector of the corpus, in a fixed order."""
    preludes = prelude_vectors()
    vectors = example_vectors() + scenario_vectors()
    for vector in vectors:
        checked = expressible(vector)
        if checked is not vector:
            raise AssertionError(f"{vector.name}: not reproducible from its meanings "
                                 f"(cut at step {len(checked.steps)})")
    vectors += walk_vectors(seed) + sequence_vectors(seed)
    return GeneratedCorpus(seed, preludes + continue_preludes(vectors, preludes))


__all__ = ["DEFAULT_SEED", "GeneratedCorpus", "Planned", "build_corpus", "build_vector",
           "planned_of"]
