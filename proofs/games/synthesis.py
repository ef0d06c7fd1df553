"""Parameter synthesis: the exact region of parameter values on which a property holds.

:func:`synthesise` covers the constraint set C with cells, as the checking engine does, but
does not stop at the first counterexample: a point where the property fails contributes the
path condition of the decision there (a region on which the decision procedure takes the
same steps, hence fails too); a point where it holds contributes the witness profile's
region. When no point of C is left uncovered,

    region = union of the witness regions            (C ∧ region ⇒ property,
                                                      C ∧ ¬region ⇒ ¬property).

When the game is small enough for the independent encoding Φ(σ, x) of
:mod:`proofs.games.encodings` (the usual case), the points are asked of Z3 as "some profile
satisfies Φ here, and no case found so far covers it", so no failing cells are needed at all
and the final "unsatisfiable" is the proof that the property fails everywhere outside the
region. The region is then

* made independent of the infinitesimals when the game has any: the weakest precondition
  over the constants is ``∀ infinitesimals. C ⇒ region``, computed with Z3's quantifier
  elimination (``qe``, then ``qe2``; when neither eliminates them the region keeps them and
  says so);
* simplified: atoms implied by the constraints and the other atoms of their case are
  dropped (Z3), cases implied by other cases are dropped (Z3), and the Boolean structure is
  minimised with sympy (``simplify_logic``) — each step preserves equivalence under C, and
  the end result is re-checked against the raw region with Z3;
* verified against the independent encoding of :mod:`proofs.games.encodings`: every witness
  profile satisfies the property on its case, the cases cover the region, and no profile
  at all satisfies the property anywhere in C outside the region.

Non-linear terms (a probability times a stake) stay exact throughout: atoms are polynomial
comparisons and Z3 decides them with its non-linear real arithmetic (nlsat).
"""

from __future__ import annotations

import builtins
import time
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Sequence

import sympy
import z3

from .encodings import Encoder, EncodingTooLarge
from .engine import EngineError, WitnessCase, Workspace, _check_sat, resolve_property
from .logic import (
    FALSE, TRUE, All, Any_, Atom, Condition, Constant, Not, condition_atoms, conjunction, disjunction, holds_at,
    negation, sympy_condition,
)
from .model import Game
from .properties.solvability import GameTooLarge
from .strategy import Counterexample
from .terms import LexValue, Poly

Progress = Callable[[str], None]


@dataclass
class Region:
    """Where a property holds, given the game's constraints.

    ``expression`` (sympy) and ``z3_expression`` are the same simplified formula over
    ``symbols``; ``raw`` is the unsimplified union of witness regions over all symbols
    (constants and infinitesimals). ``always``/``never`` flag the trivial regions.
    """

    property: str
    history: tuple[str, ...]
    expression: sympy.Basic
    z3_expression: z3.BoolRef
    symbols: tuple[str, ...]
    raw: Condition
    cases: list[WitnessCase]
    failure_cells: int
    constraints: z3.BoolRef
    infinitesimals_eliminated: bool
    verified: bool
    verification: str
    counterexample_outside: Counterexample | None
    seconds: float
    notes: list[str] = field(default_factory=list)

    @builtins.property  # the class has a field named `property`
    def always(self) -> bool:
        return self.expression == sympy.true

    @builtins.property  # the class has a field named `property`
    def never(self) -> bool:
        return self.expression == sympy.false

    def __str__(self) -> str:
        return format_expression(self.expression)

    def contains(self, values: dict[str, Fraction | int]) -> bool:
        """Is the point ``values`` (one per symbol of the region) inside the region?"""
        substitution = {sympy.Symbol(name): sympy.Rational(Fraction(values[name]).numerator,
                                                           Fraction(values[name]).denominator)
                        for name in self.symbols if name in values}
        return bool(self.expression.subs(substitution))


def format_expression(expression: sympy.Basic) -> str:
    if expression == sympy.true:
        return "true"
    if expression == sympy.false:
        return "false"
    text = str(expression)
    return text.replace("&", "∧").replace("|", "∨").replace("~", "¬")


# ---------------------------------------------------------------------------- conversions
def condition_from_z3(expression: z3.ExprRef, infinitesimal_free: bool = True) -> Condition:
    """A Z3 formula over real symbols (as produced by quantifier elimination) as a Condition."""
    if z3.is_true(expression):
        return TRUE
    if z3.is_false(expression):
        return FALSE
    if z3.is_and(expression):
        return conjunction(condition_from_z3(child) for child in expression.children())
    if z3.is_or(expression):
        return disjunction(condition_from_z3(child) for child in expression.children())
    if z3.is_not(expression):
        return negation(condition_from_z3(expression.children()[0]))
    if z3.is_app_of(expression, z3.Z3_OP_IMPLIES):
        left, right = expression.children()
        return disjunction([negation(condition_from_z3(left)), condition_from_z3(right)])
    if z3.is_eq(expression) and expression.children()[0].sort() == z3.BoolSort():
        left, right = (condition_from_z3(child) for child in expression.children())
        return disjunction([conjunction([left, right]), conjunction([negation(left), negation(right)])])
    if expression.num_args() == 2 and expression.children()[0].sort() != z3.BoolSort():
        left, right = (poly_from_z3(child) for child in expression.children())
        difference = left - right
        if z3.is_ge(expression):
            return _real_atom(difference, False)
        if z3.is_gt(expression):
            return _real_atom(difference, True)
        if z3.is_le(expression):
            return _real_atom(-difference, False)
        if z3.is_lt(expression):
            return _real_atom(-difference, True)
        if z3.is_eq(expression):
            return conjunction([_real_atom(difference, False), _real_atom(-difference, False)])
        if z3.is_distinct(expression):
            return disjunction([_real_atom(difference, True), _real_atom(-difference, True)])
    raise ValueError(f"cannot read Z3 formula {expression}")


def _real_atom(poly: Poly, strict: bool) -> Condition:
    made = Atom.make(LexValue(poly, Poly()), strict)
    truth = made.constant_truth()
    return made if truth is None else Constant(truth)


def poly_from_z3(expression: z3.ExprRef) -> Poly:
    if z3.is_rational_value(expression):
        return Poly.constant(Fraction(expression.numerator_as_long(), expression.denominator_as_long()))
    if z3.is_int_value(expression):
        return Poly.constant(expression.as_long())
    if z3.is_const(expression):
        return Poly.symbol(str(expression))
    children = [poly_from_z3(child) for child in expression.children()]
    if z3.is_add(expression):
        total = Poly()
        for child in children:
            total = total + child
        return total
    if z3.is_mul(expression):
        product = Poly.constant(1)
        for child in children:
            product = product * child
        return product
    if z3.is_sub(expression):
        result = children[0]
        for child in children[1:]:
            result = result - child
        return result
    if z3.is_app_of(expression, z3.Z3_OP_UMINUS):
        return -children[0]
    if z3.is_div(expression) and children[1].is_constant() and not children[1].is_zero():
        return children[0].scale(1 / children[1].constant_value())
    if z3.is_app_of(expression, z3.Z3_OP_TO_REAL):
        return children[0]
    raise ValueError(f"cannot read Z3 term {expression}")


# ---------------------------------------------------------------------------- simplification
def _entails(solver: z3.Solver, premises: Sequence[z3.BoolRef], conclusion: z3.BoolRef) -> bool:
    solver.push()
    solver.add(*premises)
    solver.add(z3.Not(conclusion))
    result = _check_sat(solver)
    solver.pop()
    return result == z3.unsat


def _as_dnf(condition: Condition, limit: int = 4096) -> list[frozenset[Condition]] | None:
    """Disjunctive normal form as a list of conjunctions of literals (None if too large)."""
    if isinstance(condition, Constant):
        return [frozenset()] if condition.value else []
    if isinstance(condition, (Atom, Not)):
        return [frozenset((condition,))]
    if isinstance(condition, Any_):
        result: list[frozenset[Condition]] = []
        for part in condition.parts:
            sub = _as_dnf(part, limit)
            if sub is None:
                return None
            result.extend(sub)
            if len(result) > limit:
                return None
        return result
    assert isinstance(condition, All)
    result = [frozenset()]
    for part in condition.parts:
        sub = _as_dnf(part, limit)
        if sub is None:
            return None
        result = [left | right for left in result for right in sub]
        if len(result) > limit:
            return None
    return result


def simplify_region(condition: Condition, assumptions: z3.BoolRef, context, max_literals: int = 400) -> Condition:
    """An equivalent (under ``assumptions``) and usually much shorter condition.

    Sub-formulas are simplified bottom-up (so that e.g. ``a > 0 ∨ (a >= 0 ∧ a <= 0)`` becomes
    ``a >= 0`` before it multiplies the cases above it), each with :func:`_simplify_dnf`;
    every step keeps the formula equivalent under the assumptions.
    """
    if isinstance(condition, (All, Any_)):
        parts = [simplify_region(part, assumptions, context, max_literals) for part in condition.parts]
        condition = conjunction(parts) if isinstance(condition, All) else disjunction(parts)
    if isinstance(condition, (Atom, Constant)):
        return condition
    return _simplify_dnf(condition, assumptions, context, max_literals)


def _simplify_dnf(condition: Condition, assumptions: z3.BoolRef, context, max_literals: int) -> Condition:
    """Works on the disjunctive normal form: drops cases that contradict the assumptions,
    literals implied by the rest of their case, then every literal whose removal leaves the
    region unchanged (checked with Z3), then every case that the others already cover."""
    cases = _as_dnf(condition)
    if cases is None:
        # too many cases: simplify the complement (whose cases are the clauses of a CNF)
        complement = negation(condition)
        if _as_dnf(complement) is None:
            return condition
        return negation(_simplify_dnf(complement, assumptions, context, max_literals))
    solver = z3.Solver()
    solver.add(assumptions)
    to_z3 = context.condition
    original = to_z3(condition)

    def formula(items: list[list[Condition]]) -> z3.BoolRef:
        return to_z3(disjunction(conjunction(case) for case in items))

    current = []
    for case in cases:  # within each case, drop contradictions and literals implied by the rest
        literals = sorted(case, key=str)
        if _entails(solver, [to_z3(literal) for literal in literals], z3.BoolVal(False)):
            continue
        for literal in list(literals):
            rest = [to_z3(other) for other in literals if other is not literal]
            if _entails(solver, rest, to_z3(literal)):
                literals = [other for other in literals if other is not literal]
        current.append(literals)
    current = [list(case) for case in {tuple(case): None for case in current}]
    current.sort(key=lambda case: (len(case), list(map(str, case))))
    if sum(len(case) for case in current) <= max_literals:
        for index in range(len(current)):
            for literal in list(current[index]):
                candidate = [case if position != index else [item for item in case if item is not literal]
                             for position, case in enumerate(current)]
                if _entails(solver, [formula(candidate)], original):
                    current = candidate
    index = len(current) - 1
    while index >= 0:
        rest = current[:index] + current[index + 1:]
        if _entails(solver, [original], formula(rest)):
            current = rest
        index -= 1
    simplified = disjunction(conjunction(case) for case in current)
    if _entails(solver, [], to_z3(simplified)):
        return TRUE
    return simplified


def _boolean_minimise(condition: Condition, symbols: dict[str, sympy.Symbol]) -> sympy.Basic:
    """sympy's Boolean minimisation over the atoms, then the atoms as relations."""
    atoms = sorted(condition_atoms(condition), key=str)
    if not atoms or len(atoms) > 10:
        return sympy_condition(condition, symbols)
    # an atom and its negation ("x >= f", "f > x") share one Boolean variable
    names: dict[Atom, sympy.Basic] = {}
    for atom in atoms:
        if atom not in names:
            variable = sympy.Symbol(f"_atom{len(names)}")
            names[atom] = variable
            opposite = negation(atom)
            if isinstance(opposite, Atom) and opposite in atoms:
                names[opposite] = sympy.Not(variable)

    def abstract(item: Condition) -> sympy.Basic:
        if isinstance(item, Constant):
            return sympy.true if item.value else sympy.false
        if isinstance(item, Atom):
            return names[item]
        if isinstance(item, Not):
            return sympy.Not(abstract(item.part))
        parts = [abstract(part) for part in item.parts]
        return sympy.And(*parts) if isinstance(item, All) else sympy.Or(*parts)

    minimised = sympy.simplify_logic(abstract(condition), form="dnf", force=True)
    back = {variable: sympy_condition(atom, symbols) for atom, variable in names.items()
            if isinstance(variable, sympy.Symbol)}
    return minimised.xreplace(back)



def _readable(expression: sympy.Basic) -> sympy.Basic:
    """Write each relation ``p >= 0`` as ``positive terms >= negative terms``."""
    def rewrite(relation: sympy.Basic) -> sympy.Basic:
        if not isinstance(relation, (sympy.GreaterThan, sympy.StrictGreaterThan, sympy.LessThan,
                                     sympy.StrictLessThan, sympy.Equality, sympy.Unequality)):
            return relation
        difference = sympy.expand(relation.lhs - relation.rhs)
        positive = sympy.Add(*[term for term in sympy.Add.make_args(difference) if term.could_extract_minus_sign() is False])
        negative = -sympy.Add(*[term for term in sympy.Add.make_args(difference) if term.could_extract_minus_sign()])
        if positive == 0 and negative != 0:  # "0 >= b" reads better as "b <= 0"
            return relation.reversed.func(negative, 0, evaluate=False)
        return relation.func(positive, negative, evaluate=False)

    return expression.replace(lambda item: isinstance(item, sympy.core.relational.Relational), rewrite)


# ---------------------------------------------------------------------------- QE
def eliminate_infinitesimals(region: z3.BoolRef, constraints: z3.BoolRef, infinitesimals: Sequence[z3.ArithRef],
                             timeout_ms: int = 20_000) -> z3.BoolRef | None:
    """``∀ infinitesimals. constraints ⇒ region`` without quantifiers, or None if Z3 cannot."""
    goal = z3.Goal()
    goal.add(z3.ForAll(list(infinitesimals), z3.Implies(constraints, region)))
    for tactic_name in ("qe", "qe2"):
        try:
            tactic = z3.TryFor(z3.Then(z3.Tactic(tactic_name), z3.Tactic("simplify")), timeout_ms)
            result = tactic(goal)
        except z3.Z3Exception:
            continue
        formula = result.as_expr()
        if not _has_quantifier(formula):
            return formula
    return None


def _has_quantifier(expression: z3.ExprRef) -> bool:
    if z3.is_quantifier(expression):
        return True
    return any(_has_quantifier(child) for child in expression.children())


# ---------------------------------------------------------------------------- synthesis
def synthesise(game: Game | Workspace, property_name: str, history: Sequence[str] | None = None, *,
               verify: bool = True, max_cells: int = 10_000, progress: Progress | None = None) -> Region:
    """The weakest precondition over the constants under which ``property_name`` holds.

    ``history`` defaults to the game's first honest history. The result is exact: with
    ``verify`` (the default) Z3 proves that the region implies the property (each case's
    witness profile satisfies the independent encoding) and that outside the region, within
    the constraints, no strategy profile satisfies it. Raises :class:`EngineError` if Z3
    gives up and :class:`GameTooLarge` for dominance solvability on large games.
    """
    started = time.perf_counter()
    workspace = game if isinstance(game, Workspace) else Workspace(game)
    game = workspace.game
    honest = tuple(history) if history is not None else game.honest_histories[0]
    cls = resolve_property(property_name)
    checker = cls(workspace.compiled, honest)
    context = workspace.context
    constraints = z3.And(workspace.constraints(cls.constraint_key))
    solver = z3.Solver()
    solver.add(constraints)
    try:  # points where some profile satisfies the property, by the independent encoding
        encoder = Encoder(workspace.compiled, honest, context)
        solver.add(*encoder.strategy_domain(), encoder.formula(property_name))
        guided = True
    except (EncodingTooLarge, GameTooLarge):
        guided = False
    cases: list[WitnessCase] = []
    failure_cells = 0
    first_failure: Counterexample | None = None
    while _check_sat(solver) == z3.sat:
        if len(cases) + failure_cells >= max_cells:
            raise EngineError(f"more than {max_cells} cells; the region is too fragmented")
        point = workspace.point(solver.model())
        verdict = checker.decide(point)
        if verdict.holds:
            cell = checker.witness_region(verdict, point)
            assert verdict.strategy is not None
            cases.append(WitnessCase(cell, verdict.strategy))
        elif guided:
            raise AssertionError(f"{property_name}: the encoding holds at a point where the decider fails")
        else:
            cell = checker.path_condition(verdict)
            failure_cells += 1
            first_failure = first_failure or verdict.counterexample
        if not holds_at(cell, point):
            raise AssertionError("a cell does not contain its own point")
        solver.add(z3.Not(context.condition(cell)))
        if progress is not None and (len(cases) + failure_cells) % 20 == 0:
            progress(f"synthesis {property_name}: {len(cases)} holding and {failure_cells} failing cells")
    raw = disjunction(case.region for case in cases)
    notes: list[str] = []
    infinitesimal_variables = [context.variables[name] for name in game.infinitesimals]
    used = condition_atoms(raw)
    mentions_infinitesimals = any(
        name in game.infinitesimals
        for atom in used for name in atom.difference.real.symbols() | atom.difference.infinitesimal.symbols()
    ) or any(name in game.infinitesimals for name in _constraint_symbols(game, cls.constraint_key))
    eliminated = True
    if game.infinitesimals and mentions_infinitesimals:
        quantified = eliminate_infinitesimals(context.condition(raw), constraints, infinitesimal_variables)
        if quantified is None:
            eliminated = False
            notes.append("Z3 could not eliminate the infinitesimals; the region mentions them")
            over_constants = raw
            assumptions = constraints
        else:
            over_constants = condition_from_z3(quantified)
            assumptions = _constants_only_assumptions(game, cls.constraint_key, context, constraints,
                                                      infinitesimal_variables)
    else:
        over_constants = raw
        assumptions = constraints
    simplified = simplify_region(over_constants, assumptions, context)
    symbols = {name: sympy.Symbol(name) for name in game.constants + game.infinitesimals}
    expression = _readable(_boolean_minimise(simplified, symbols))
    z3_expression = context.condition(simplified)
    # the simplification must not change the region (under the assumptions)
    check = z3.Solver()
    check.add(assumptions, z3.Not(z3_expression == context.condition(over_constants)))
    if _check_sat(check) != z3.unsat:
        raise AssertionError("simplification changed the region")
    region_symbols = tuple(sorted(str(symbol) for symbol in expression.free_symbols))
    verified, verification = (False, "not requested")
    if verify:
        verified, verification = _verify(workspace, property_name, honest, cases, raw, constraints)
    outside = _counterexample_outside(workspace, checker, constraints, context.condition(raw))
    return Region(
        property=property_name, history=honest, expression=expression, z3_expression=z3_expression,
        symbols=region_symbols, raw=raw, cases=cases, failure_cells=failure_cells, constraints=constraints,
        infinitesimals_eliminated=eliminated, verified=verified, verification=verification,
        counterexample_outside=outside or first_failure, seconds=time.perf_counter() - started, notes=notes,
    )


def _constraint_symbols(game: Game, key: str) -> set[str]:
    from .terms import formula_symbols

    result: set[str] = set()
    for constraint in game.constraints_for(key):
        result |= formula_symbols(constraint.formula)
    return result


def _constants_only_assumptions(game: Game, key: str, context, constraints: z3.BoolRef,
                                infinitesimals: list[z3.ArithRef]) -> z3.BoolRef:
    """The constraints projected on the constants: ``∃ infinitesimals. constraints``."""
    goal = z3.Goal()
    goal.add(z3.Exists(infinitesimals, constraints))
    try:
        result = z3.TryFor(z3.Then(z3.Tactic("qe"), z3.Tactic("simplify")), 20_000)(goal).as_expr()
        if not _has_quantifier(result):
            return result
    except z3.Z3Exception:
        pass
    return z3.BoolVal(True)


def _counterexample_outside(workspace: Workspace, checker, constraints: z3.BoolRef,
                            region: z3.BoolRef) -> Counterexample | None:
    solver = z3.Solver()
    solver.add(constraints, z3.Not(region))
    if _check_sat(solver) != z3.sat:
        return None
    point = workspace.point(solver.model())
    verdict = checker.decide(point)
    if verdict.holds:
        raise AssertionError("a point outside the region satisfies the property")
    return verdict.counterexample


def _verify(workspace: Workspace, property_name: str, history: tuple[str, ...], cases: list[WitnessCase],
            raw: Condition, constraints: z3.BoolRef) -> tuple[bool, str]:
    """Check the region against the independent encoding (see the module docstring)."""
    context = workspace.context
    try:
        encoder = Encoder(workspace.compiled, history, context)
        formula = encoder.formula(property_name)
    except (EncodingTooLarge, GameTooLarge) as error:
        return False, f"not verified: {error}"
    domain = encoder.strategy_domain()
    for number, case in enumerate(cases):
        solver = z3.Solver()
        solver.add(constraints, context.condition(case.region), *domain, *encoder.fix(case.strategy), z3.Not(formula))
        if _check_sat(solver) != z3.unsat:
            return False, f"case {number}: its witness profile does not satisfy the property on the whole case"
    solver = z3.Solver()
    solver.add(constraints, z3.Not(context.condition(raw)), *domain, formula)
    if _check_sat(solver) != z3.unsat:
        return False, "some profile satisfies the property outside the region"
    inside = (f"each of the {len(cases)} witness profiles satisfies the property on its case"
              if cases else "the region is empty")
    return True, f"Z3 (independent encoding): {inside}; no profile satisfies it outside the region"



__all__ = ["Region", "synthesise", "simplify_region", "eliminate_infinitesimals", "format_expression"]
