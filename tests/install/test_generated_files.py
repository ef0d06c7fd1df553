"""The committed corpus depends on the spec alone: it is generated and checked with the
libraries that could change it (Hypothesis, Z3, SymPy, NumPy) unimportable, and its
manifest names no library release. (`make crosscheck` regenerates every committed
generated file under other releases of those libraries, in a second environment.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

BLOCKED = ("hypothesis", "z3", "sympy", "numpy")

PROGRAM = """
import importlib.abc, sys
class Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ImportError(f"blocked by the test: {{name}}")
        return None
sys.meta_path.insert(0, Blocker())
from aimarket.cli import main
sys.exit(main(["vectors", "--check"]))
"""


def test_the_corpus_is_checked_without_hypothesis_z3_sympy_or_numpy():
    result = subprocess.run([sys.executable, "-c", PROGRAM.format(blocked=BLOCKED)], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the committed corpus is what the spec generates" in result.stdout


def test_the_blocker_does_block():
    """The same program fails when the command needs a blocked library (the check can fail)."""
    program = PROGRAM.format(blocked=BLOCKED).replace('main(["vectors", "--check"])',
                                                      'main(["games", "--help"])')
    program = program.replace("from aimarket.cli import main", "import sympy")
    result = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode != 0 and "blocked by the test: sympy" in result.stderr


def test_the_manifest_names_no_library_release():
    manifest = json.loads((ROOT / "vectors" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["generator"].startswith("conformance.generate (aimarket ")
    text = json.dumps({key: value for key, value in manifest.items() if key != "vectors"}).lower()
    for library in ("hypothesis", "z3", "sympy", "numpy"):
        assert library not in text, f"the manifest mentions {library}"
