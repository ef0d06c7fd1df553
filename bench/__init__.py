"""Benchmarks (``make bench``): each ``bench/bench_*.py`` module exposes ``run() -> dict``.

Every benchmark prints its figures as ratios against a baseline measured in the same run,
so that results compare across machines; nothing here is asserted by the tests.
"""
