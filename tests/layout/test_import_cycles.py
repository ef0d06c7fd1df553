"""No import cycles, lazy imports included; the layers import only downwards."""

from pathlib import Path

from .import_graph import import_cycles, import_graph


def test_no_module_imports_one_that_imports_it_back():
    graph = import_graph()
    assert graph.number_of_nodes() > 150 and graph.number_of_edges() > 500  # the whole project was read
    assert import_cycles(graph) == []


def test_the_layers_import_only_downwards():
    """spec < walks, traces < proofs, conformance (which also runs the reference); the
    mutation framework imports nothing of ours; the reference imports none of them; proofs
    and conformance do not import each other."""
    graph = import_graph()
    below = {"spec": set(), "mutation": set(), "walks": {"spec"}, "traces": {"spec"},
             "proofs": {"spec", "walks", "traces", "mutation"},
             "conformance": {"spec", "walks", "traces", "mutation", "reference"}}
    for source, target in graph.edges:
        top, other = source.split(".")[0], target.split(".")[0]
        if top in below and other != top:
            assert other in below[top], f"{source} imports {target}"
        if top == "reference":
            assert other == "reference", f"{source} imports {target}"


def _package(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_check_finds_a_cycle_through_a_lazy_import(tmp_path):
    _package(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/a.py": "from pkg.b import value\n",
        "pkg/b.py": "value = 1\n\ndef later():\n    from pkg import c\n    return c\n",
        "pkg/c.py": "import pkg.a\n",
        "pkg/d.py": "from pkg.a import value\n",
    })
    cycles = import_cycles(import_graph(tmp_path, ["pkg"]))
    assert cycles == [["pkg.a", "pkg.b", "pkg.c"]]


def test_the_check_finds_relative_and_type_checking_imports(tmp_path):
    _package(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/sub/__init__.py": "",
        "pkg/sub/x.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..y import Y\n",
        "pkg/y.py": "from .sub import x\n",
    })
    assert import_cycles(import_graph(tmp_path, ["pkg"])) == [["pkg.sub.x", "pkg.y"]]


def test_an_acyclic_package_has_no_cycle(tmp_path):
    _package(tmp_path, {"pkg/__init__.py": "", "pkg/a.py": "import json\nfrom pkg import b\n",
                        "pkg/b.py": "import os\n"})
    graph = import_graph(tmp_path, ["pkg"])
    assert set(graph.edges) == {("pkg.a", "pkg.b")} and import_cycles(graph) == []
