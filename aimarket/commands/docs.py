"""``aimarket docs``: build the documentation site from the spec, the proofs and the vectors.

Generates the pages into ``build/docs-src`` and runs ``mkdocs build --strict`` into
``site/``. Optional inputs (proof report, vector manifest, benchmark results) that are
missing are named in the summary and on their pages; they never stop the build.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any
from pathlib import Path

from aimarket.errors import UsageError

REPOSITORY = Path(__file__).resolve().parents[2]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("docs", help="build the documentation site (mkdocs build --strict)")
    parser.add_argument("--proof-report", type=Path, metavar="FILE",
                        help="proof report JSON (default: docs/generated/proof-report.json)")
    parser.add_argument("--vectors", type=Path, metavar="FILE",
                        help="vector manifest (default: vectors/manifest.json)")
    parser.add_argument("--bench", type=Path, metavar="FILE",
                        help="benchmark results, the output of `python -m bench --json` "
                             "(default: docs/generated/bench.json)")
    parser.add_argument("--site-dir", type=Path, metavar="DIR", help="where to build the site (default: site/)")
    parser.add_argument("--build-dir", type=Path, metavar="DIR",
                        help="where the generated sources go (default: build/)")
    parser.add_argument("--no-mkdocs", action="store_true",
                        help="only generate the Markdown sources, do not run mkdocs")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    parser.add_argument("--quiet", action="store_true", help="no progress messages on stderr")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from aimarket.docs_site.machines import GraphvizMissing
    from aimarket.docs_site.pages_spec import ChapterMismatch
    from aimarket.docs_site.site import DocsBuildError, build_site, default_options

    options = default_options(REPOSITORY)
    for flag, value, attribute in (("--proof-report", args.proof_report, "proof_report"),
                                   ("--vectors", args.vectors, "vector_manifest"),
                                   ("--bench", args.bench, "bench_results")):
        if value is not None:
            if value.exists() and not value.is_file():
                raise UsageError(flag, f"{value} is not a file")
            setattr(options, attribute, value.resolve())
    if args.site_dir is not None:
        options.site_dir = args.site_dir.resolve()
    if args.build_dir is not None:
        options.build_dir = args.build_dir.resolve()
    options.run_mkdocs = not args.no_mkdocs

    def progress(message: str) -> None:
        if not args.quiet:
            print(f"docs: {message}", file=sys.stderr, flush=True)

    try:
        result = build_site(options, progress)
    except (DocsBuildError, GraphvizMissing, ChapterMismatch) as error:
        print(f"aimarket: docs: {error}", file=sys.stderr)
        return 1
    summary: dict[str, Any] = {
        "site_dir": str(result.site_dir) if options.run_mkdocs else None,
        "docs_source": str(result.docs_source),
        "config": str(result.config),
        "generated_pages": [page.path for page in result.pages],
        "handwritten_pages": [path for path in result.handwritten if path.endswith(".md")],
        "missing_inputs": [{"input": item.what, "reason": item.reason} for item in result.missing],
        "seconds": round(result.seconds, 2),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    built = f"built {result.site_dir}" if options.run_mkdocs else f"generated {result.docs_source}"
    print(f"docs: {built}: {len(result.pages)} generated pages, "
          f"{len(summary['handwritten_pages'])} hand-written pages, {result.seconds:.1f} s")
    for item in result.missing:
        print(f"docs: missing {item.what}: {item.reason} (its pages say so)")
    return 0
