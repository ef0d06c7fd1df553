"""No module outside ``spec/`` (which reads as one document per chapter) and ``tests/`` grows
beyond about 650 lines: a module that long does several jobs (issue 14)."""

from collections.abc import Iterable
from pathlib import Path

from .import_graph import PACKAGES, ROOT, project_modules

LIMIT = 650
PENDING: dict[str, str] = {}
"""Modules known to be over the limit, each with the work that brings it under."""


def module_lengths(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> dict[str, int]:
    packages = [package for package in packages if package != "spec"]
    return {str(path.relative_to(root)): len(path.read_text(encoding="utf-8").splitlines())
            for path in project_modules(root, packages).values()}


def test_no_module_is_over_the_limit():
    lengths = module_lengths()
    assert len(lengths) > 150  # the whole project was read
    over = {path: length for path, length in lengths.items() if length > LIMIT and path not in PENDING}
    assert over == {}


def test_every_pending_module_is_still_over_the_limit():
    """An entry of PENDING goes once its module is split (the list only shrinks)."""
    lengths = module_lengths()
    assert {path for path in PENDING if lengths.get(path, 0) <= LIMIT} == set()


def test_the_check_finds_a_long_module(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "long.py").write_text("x = 1\n" * (LIMIT + 1))
    lengths = module_lengths(tmp_path, ["pkg"])
    assert [path for path, length in lengths.items() if length > LIMIT] == ["pkg/long.py"]
