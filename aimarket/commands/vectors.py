"""``aimarket vectors``: generate the conformance corpus from the spec (or check it)."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from aimarket.arguments import whole_int
from aimarket.errors import UsageError

REPOSITORY = Path(__file__).resolve().parents[2]
DEFAULT_DIRECTORY = REPOSITORY / "vectors"


def run(args) -> int:
    from conformance.corpus import corpus_files, spec_version, stale_files, write_corpus
    from conformance.coverage import CoverageReport
    from conformance.generate import DEFAULT_SEED, build_corpus

    if args.seed is None:
        args.seed = DEFAULT_SEED

    target = Path(args.out)
    if target.exists() and not target.is_dir():
        raise UsageError("--out", f"{target} exists and is not a directory")
    started = time.perf_counter()
    if not args.json:
        print(f"vectors: generating from spec {spec_version()} (seed {args.seed})", file=sys.stderr)
    corpus = build_corpus(args.seed)
    coverage = CoverageReport.of(corpus.vectors)
    if args.check:
        problems = stale_files(corpus, target)
        files = corpus_files(corpus)
    else:
        try:
            files = write_corpus(corpus, target)
        except OSError as error:
            raise UsageError("--out", f"cannot write {target}: {error.strerror or error}") from None
        problems = []
    kinds = {kind: sum(1 for vector in corpus.vectors if vector.kind == kind)
             for kind in ("prelude", "coverage", "walk", "sequence")}
    summary = {
        "directory": str(target),
        "spec_version": spec_version(),
        "seed": args.seed,
        "vectors": len(corpus.vectors),
        "kinds": kinds,
        "steps": sum(len(vector.steps) - vector.prelude_steps for vector in corpus.vectors),
        "files": len(files),
        "bytes": sum(len(data) for data in files.values()),
        "coverage": {"covered": coverage.covered, "total": coverage.total,
                     "missing": coverage.missing()},
        "checked": bool(args.check),
        "stale": problems,
        "seconds": round(time.perf_counter() - started, 3),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        action = "checked" if args.check else "wrote"
        counts = ", ".join(f"{count} {kind}" for kind, count in kinds.items())
        print(f"{action} {summary['vectors']} vectors ({counts}), {summary['files']} files, "
              f"{summary['bytes'] / 1e6:.2f} MB in {target}")
        print(f"coverage: {coverage.covered}/{coverage.total} entries"
              + (f"; missing: {', '.join(coverage.missing())}" if coverage.missing() else ""))
        if args.check:
            if problems:
                print(f"STALE: {len(problems)} file(s) differ from what the spec generates now:")
                for problem in problems[:20]:
                    print(f"  {problem}")
                print("regenerate with: aimarket vectors")
            else:
                print("the committed corpus is what the spec generates")
    return 1 if problems or coverage.missing() else 0


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "vectors", help="generate the conformance vectors (ITF traces) from the spec")
    parser.add_argument("--out", default=str(DEFAULT_DIRECTORY),
                        help=f"corpus directory (default {DEFAULT_DIRECTORY})")
    parser.add_argument("--seed", type=whole_int, default=None,
                        help="seed of the random walks (default: the corpus's own)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the directory differs from a fresh generation")
    parser.add_argument("--json", action="store_true", help="print a JSON summary only")
    parser.set_defaults(run=run)
