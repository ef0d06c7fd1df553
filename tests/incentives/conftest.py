"""One analysis per game shape for the whole session: several test modules read it."""

import functools

import pytest

from proofs.incentives.analysis import analyse


@functools.cache
def _analysis(shape):
    return analyse(shape)


@pytest.fixture(scope="session")
def analysis():
    """``analysis(shape)``: the regions of :func:`proofs.incentives.analysis.analyse`, computed once."""
    return _analysis
