"""Run every benchmark module in this folder (``python -m bench [NAME ...] [--json]``)."""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys

import bench


def main(argv: list[str]) -> int:
    as_json = "--json" in argv
    wanted = [arg for arg in argv if not arg.startswith("-")]
    names = sorted(
        info.name for info in pkgutil.iter_modules(bench.__path__) if info.name.startswith("bench_")
    )
    if wanted:
        unknown = sorted(set(wanted) - {name.removeprefix("bench_") for name in names})
        if unknown:
            print(f"bench: error: unknown benchmark(s) {', '.join(unknown)}; known: "
                  + ", ".join(name.removeprefix("bench_") for name in names), file=sys.stderr)
            return 2
        names = [name for name in names if name.removeprefix("bench_") in wanted]
    results = {}
    for name in names:
        print(f"== {name.removeprefix('bench_')} ==", flush=True)
        results[name.removeprefix("bench_")] = importlib.import_module(f"bench.{name}").run()
    if as_json:
        print(json.dumps(results, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
