"""The checks behind ``aimarket check``: every provider, in the order they run, and the
run itself. The providers are listed here explicitly (no plugin registry); each module
that defines some exports them as ``PROVIDERS``.
"""

from __future__ import annotations

import time
from typing import Any

from proofs import model_checker, privacy
from proofs.incentives import report as incentive_report
from proofs.results import CheckContext, CheckProvider, CheckReport, CheckResult

PROVIDERS: tuple[CheckProvider, ...] = (
    *model_checker.PROVIDERS,
    *incentive_report.PROVIDERS,
    *privacy.PROVIDERS,
)
"""Every check provider, in the order they run."""


def providers() -> list[CheckProvider]:
    """Every provider, in order."""
    return list(PROVIDERS)


def run_checks(context: CheckContext, chosen: list[CheckProvider] | None = None) -> CheckReport:
    started = time.perf_counter()
    results: list[CheckResult] = []
    sections: dict[str, Any] = {}
    for provider in chosen if chosen is not None else providers():
        if not provider.reports(context.kinds):
            continue
        report = provider.run(context)
        results += report.results
        sections.update(report.sections)
    return CheckReport(results, sections, time.perf_counter() - started)
