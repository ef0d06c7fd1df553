"""``aimarket regions``: synthesise the incentive regions and export them for the reference."""

from __future__ import annotations

import json
import sys
import time
from typing import Any
from pathlib import Path

from aimarket.errors import UsageError


def run(args) -> int:
    from proofs.general.export import document_with_general
    from proofs.incentives.report import analyse_shapes, shape_name
    from proofs.region_export import DEFAULT_PATH, is_current, write_document

    target = Path(args.out) if args.out else DEFAULT_PATH
    if target.exists() and target.is_dir():
        raise UsageError("--out", f"{target} is a directory")
    if not target.parent.is_dir():
        raise UsageError("--out", f"directory {target.parent} does not exist")
    started = time.perf_counter()
    analysed = analyse_shapes(announce=None if args.json else lambda shape: print(
        f"regions: analysing {shape_name(shape)} ...", file=sys.stderr, flush=True))
    document = document_with_general(analysed)
    current = is_current(document, target)
    differences = [] if current else stale_differences(document, target)
    if not args.check and not current:
        try:
            write_document(document, target)
        except OSError as error:
            raise UsageError("--out", f"cannot write {target}: {error.strerror or error}") from None
    summary: dict[str, Any] = {
        "path": str(target),
        "checked": bool(args.check),
        "current": current,
        "differences": differences,
        "shapes": [{"datasets": shape["datasets"], "vendors": shape["vendors"], "steps": shape["steps"],
                    "constraints": len(shape["constraints"]),
                    "not_enforceable": len(shape["not_enforceable"])} for shape in document["shapes"]],
        "general": {"constraints": len(document["general"]["constraints"]),
                    "cross_checked": document["general"]["cross_checked"]},
        "seconds": round(time.perf_counter() - started, 3),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        for shape in summary["shapes"]:
            print(f"{shape['datasets']} dataset(s), {shape['vendors']} vendor(s), T={shape['steps']}: "
                  f"{shape['constraints']} constraints"
                  + (f", {shape['not_enforceable']} not enforceable" if shape["not_enforceable"] else ""))
        general = document["general"]
        agree = sum(entry["equals_intersection_of_regions"] for entry in general["cross_checked"])
        print(f"every shape: {len(general['constraints'])} constraints in N_d, N_v, R; equal to the "
              f"exact regions on {agree} of {len(general['cross_checked'])} analysed shapes")
        if args.check:
            print(f"{target} is current" if current else
                  f"STALE: {target} differs from the regions just synthesised; run: aimarket regions")
            for difference in differences:
                print(f"  {difference}")
        else:
            print(f"{target} was already current" if current else f"wrote {target}")
    return 1 if args.check and not current else 0


def stale_differences(document: dict, target: Path) -> list[str]:
    """Where the file at ``target`` differs from ``document`` (the first few JSON paths)."""
    from conformance.jsondiff import json_differences
    from proofs.region_export import document_text

    if not target.exists():
        return [f"{target}: missing"]
    try:
        found = target.read_bytes()
    except OSError as error:
        return [f"{target}: cannot read ({error.strerror or error})"]
    return json_differences(document_text(document), found)


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "regions", help="synthesise the incentive regions and export them for the reference chaincode")
    parser.add_argument("--out", default=None,
                        help="file to write (default reference/chaincode/regions.json)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the file differs from a fresh synthesis")
    parser.add_argument("--json", action="store_true", help="print a JSON summary only")
    parser.set_defaults(run=run)
