"""Formulas as MathML, which browsers render natively (no script, nothing from a CDN)."""

from __future__ import annotations

import re

import sympy
from sympy.printing.mathml import mathml

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_SYMPY_WORDS = frozenset({"And", "Or", "Not", "Eq", "Ne", "Lt", "Le", "Gt", "Ge", "Max", "Min",
                          "oo", "true", "false", "True", "False", "Rational", "Abs", "Piecewise",
                          "ceiling", "floor", "log"})


def to_mathml(expression: sympy.Basic, display: bool = False) -> str:
    """Presentation MathML of a sympy expression, in one line."""
    body = mathml(expression, printer="presentation")
    body = body.replace("<mo><</mo>", "<mo>&lt;</mo>").replace("<mo>></mo>", "<mo>&gt;</mo>")
    # Parameter names have several letters (Bv, Ba): an invisible product would read as
    # one name, so products are written with a visible dot.
    body = body.replace("<mo>&InvisibleTimes;</mo>", "<mo>&#x22C5;</mo>")
    mode = ' display="block"' if display else ""
    return f"<math{mode}>{body}</math>".replace("\n", "")


def parse_formula(text: str, symbols: list[str] | None = None) -> sympy.Basic | None:
    """Parse a formula written by sympy's ``str``; ``None`` when it cannot be read.

    Every identifier that is not one of sympy's own words is a symbol (so that a parameter
    called ``S`` or ``E`` is not taken for a sympy singleton or Euler's number).
    """
    names = set(symbols or []) | {word for word in _IDENTIFIER.findall(text) if word not in _SYMPY_WORDS}
    try:
        return sympy.parse_expr(text, local_dict={name: sympy.Symbol(name) for name in names},
                                evaluate=False)
    except Exception:  # any parse failure only means the formula is shown as text
        return None


def formula_html(text: str, symbols: list[str] | None = None, display: bool = False) -> str:
    """MathML for ``text`` when it parses, else the text in a code span (HTML)."""
    expression = parse_formula(text, symbols)
    if expression is None:
        return "<code>" + text.replace("&", "&amp;").replace("<", "&lt;") + "</code>"
    return to_mathml(expression, display)
