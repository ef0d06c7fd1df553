"""The hash-checked lock: it agrees with pyproject.toml's ranges, pins every package with
hashes, is what the environment running these tests has installed, and the crosscheck lock
really holds other releases of the libraries it is meant to vary."""

from __future__ import annotations

import re
import sys
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
CROSSCHECK_LOCK = ROOT / "requirements-crosscheck.lock"
CROSSCHECK_VERSIONS = ROOT / "scripts" / "crosscheck-versions.txt"

PIN = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[^ ;\\]+)\s*(?:;\s*(?P<marker>[^\\]+?))?\s*\\?$")


@dataclass(frozen=True)
class Pin:
    name: str
    version: Version
    marker: Marker | None
    hashes: int

    def applies(self, environment: dict[str, str] | None = None) -> bool:
        return self.marker is None or self.marker.evaluate(environment)


def read_lock(path: Path) -> list[Pin]:
    """Every ``name==version [; marker]`` entry of a pip requirements lock, with the
    number of ``--hash`` lines that follow it."""
    pins: list[Pin] = []
    current: dict | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = PIN.match(stripped)
        if match:
            if current:
                pins.append(Pin(**current))
            marker = match["marker"]
            current = {"name": canonicalize_name(match["name"]), "version": Version(match["version"]),
                       "marker": Marker(marker) if marker else None, "hashes": 0}
        elif stripped.startswith("--hash=sha256:"):
            assert current is not None, f"{path.name}: a hash before any pin: {stripped}"
            current["hashes"] += 1
        else:
            raise AssertionError(f"{path.name}: a line that is neither a pin nor a hash: {stripped!r}")
    if current:
        pins.append(Pin(**current))
    return pins


def project_requirements() -> list[tuple[str, Requirement]]:
    """(where, requirement) for the runtime dependencies, every extra and the build backend."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    found = [("dependencies", Requirement(text)) for text in project["project"]["dependencies"]]
    for extra, texts in project["project"].get("optional-dependencies", {}).items():
        found += [(f"extra {extra}", Requirement(text)) for text in texts]
    found += [("build-system", Requirement(text)) for text in project["build-system"]["requires"]]
    return found


def python_environment(version: str) -> dict[str, str]:
    return {"python_version": version, "python_full_version": f"{version}.0",
            "implementation_name": "cpython", "platform_python_implementation": "CPython",
            "sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64",
            "os_name": "posix"}


SUPPORTED_PYTHONS = ("3.11", "3.12", "3.13")


@pytest.fixture(scope="module")
def lock() -> list[Pin]:
    return read_lock(LOCK)


def test_every_locked_pin_carries_hashes(lock):
    for path in (LOCK, CROSSCHECK_LOCK):
        for pin in read_lock(path):
            assert pin.hashes >= 1, f"{path.name}: {pin.name}=={pin.version} has no --hash"


def disagreements(lock: list[Pin], requirements: list[tuple[str, Requirement]], python: str) -> list[str]:
    """Requirements that have no single pin for ``python`` in ``lock``, or whose pin lies
    outside their range."""
    environment = python_environment(python)
    problems = []
    for where, requirement in requirements:
        if requirement.marker is not None and not requirement.marker.evaluate(environment):
            continue
        pins = [pin for pin in lock if pin.name == canonicalize_name(requirement.name)
                and pin.applies(environment)]
        if len(pins) != 1:
            problems.append(f"{where}: {requirement} has {len(pins)} pins for Python {python}")
        elif not requirement.specifier.contains(pins[0].version, prereleases=True):
            problems.append(f"{where}: {requirement} but the lock pins {pins[0].version}")
    return problems


@pytest.mark.parametrize("python", SUPPORTED_PYTHONS)
def test_the_lock_satisfies_every_range_of_pyproject(lock, python):
    """For each supported Python, every requirement of pyproject.toml has exactly one pin
    in the lock that applies there, and that pin lies inside the requirement's range."""
    problems = disagreements(lock, project_requirements(), python)
    assert problems == [], "pyproject.toml and requirements.lock disagree; run `make lock`: " + "; ".join(problems)


def test_a_pin_outside_a_range_or_a_missing_pin_is_reported(lock):
    widened = [pin if pin.name != "hypothesis" else Pin(pin.name, Version("7.0.0"), None, 1)
               for pin in lock]
    requirements = [("extra test", Requirement("hypothesis>=6.100,<7")),
                    ("extra test", Requirement("not-locked-anywhere>=1"))]
    assert disagreements(widened, requirements, "3.11") == [
        "extra test: hypothesis<7,>=6.100 but the lock pins 7.0.0",
        "extra test: not-locked-anywhere>=1 has 0 pins for Python 3.11"]


def test_the_environment_running_the_tests_is_the_lock(lock):
    """What `make` installed is what the lock names, release for release (reinstall with
    `make install` when this fails after a lock change)."""
    environment = None  # this interpreter
    different = []
    for pin in lock:
        if not pin.applies(environment):
            continue
        try:
            installed = Version(metadata.version(pin.name))
        except metadata.PackageNotFoundError:
            different.append(f"{pin.name}: locked {pin.version}, not installed")
            continue
        if installed != pin.version:
            different.append(f"{pin.name}: locked {pin.version}, installed {installed}")
    assert different == [], f"Python {sys.version.split()[0]}: " + "; ".join(different)


def test_the_crosscheck_lock_holds_other_releases_of_the_varied_libraries(lock):
    forced = [Requirement(line) for line in CROSSCHECK_VERSIONS.read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    assert {canonicalize_name(requirement.name) for requirement in forced} >= {
        "hypothesis", "z3-solver", "sympy", "numpy"}
    crosscheck = read_lock(CROSSCHECK_LOCK)
    environment = python_environment("3.11")
    for requirement in forced:
        name = canonicalize_name(requirement.name)
        (chosen,) = [pin for pin in crosscheck if pin.name == name and pin.applies(environment)]
        assert requirement.specifier.contains(chosen.version), f"{name}: crosscheck lock pins {chosen.version}"
        main = {pin.version for pin in lock if pin.name == name}
        assert chosen.version not in main, f"{name} {chosen.version} is also in requirements.lock"
    # and the rest of pyproject's ranges hold in the crosscheck lock as well
    for where, requirement in project_requirements():
        pins = [pin for pin in crosscheck if pin.name == canonicalize_name(requirement.name)
                and pin.applies(environment)]
        assert len(pins) == 1 and requirement.specifier.contains(pins[0].version), (where, str(requirement))
