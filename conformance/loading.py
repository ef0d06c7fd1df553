"""Finding the runner a user names: ``spec``, ``reference``, ``module:Class`` or
``exec:COMMAND`` (a program in any language behind the bridge protocol,
:mod:`conformance.bridge`). Shared by ``aimarket conform``, ``aimarket bridge`` and the
pytest plugin, so that all three accept the same names."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable

from conformance.bridge import DEFAULT_TIMEOUT, EXEC_PREFIX
from conformance.runner import Runner

RUNNER_ALIASES = {
    "spec": "conformance.spec_runner:SpecRunner",
    "spec-remapped": "conformance.spec_runner:RemappedSpecRunner",
    "reference": "conformance.reference_runner:ReferenceRunner",
}
RUNNER_FORMS = f"{', '.join(RUNNER_ALIASES)}, module:Class or exec:COMMAND"


class RunnerNameError(ValueError):
    """The name does not lead to a runner; the message says why, in one line."""


def runner_class(text: str) -> type:
    """The class named ``module:Class`` (or an alias). The current directory is searched
    as well as the Python path, so ``myimpl.runner:MyRunner`` works from the directory
    that holds ``myimpl/``."""
    target = RUNNER_ALIASES.get(text, text)
    module_name, _, class_name = target.partition(":")
    if not module_name or not class_name:
        raise RunnerNameError(f"expected {RUNNER_FORMS}, got {text!r}")
    here = os.getcwd()
    if here not in sys.path:
        sys.path.append(here)
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise RunnerNameError(f"cannot import {module_name}: {error} (searched the current "
                              "directory and PYTHONPATH)") from None
    found = getattr(module, class_name, None)
    if found is None:
        raise RunnerNameError(f"{module_name} has no {class_name}")
    missing = [name for name in ("init", "step", "project") if not callable(getattr(found, name, None))]
    if missing:
        raise RunnerNameError(f"{target} is not a runner (no {', '.join(missing)})")
    return found


def runner_factory(text: str, timeout: float = DEFAULT_TIMEOUT) -> Callable[[], Runner]:
    """A function making the runner named ``text`` (checked now, started later)."""
    if text.startswith(EXEC_PREFIX):
        command = text[len(EXEC_PREFIX):].strip()
        if not command:
            raise RunnerNameError("exec: needs a command, e.g. exec:'node runner.js'")
        from conformance.bridge import ExecRunner
        return lambda: ExecRunner(command, timeout=timeout)
    return runner_class(text)
