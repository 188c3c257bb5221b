"""The ``crmlab`` command line.

    crmlab run [NOTEBOOK ...]     execute lessons headlessly into build/
    crmlab generate --out DIR     write the synthetic CRM as Parquet files
    crmlab datadict               print the data dictionary (Markdown)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]


def _run(args) -> int:
    from .runner import discover, run_notebooks

    notebooks = discover(args.notebooks or ["notebooks"])
    if not notebooks:
        print(f"No notebooks found in {args.notebooks or ['notebooks']}.", file=sys.stderr)
        return 2
    results = run_notebooks(notebooks, out_dir=args.out, jobs=args.jobs)
    failed = [r for r in results if not r.ok]
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


def _generate(args) -> int:
    from .datasets import generate_crm, save_crm
    from .datasets.readme import render_readme

    crm = generate_crm(n_customers=args.customers, seed=args.seed)
    folder = save_crm(crm, args.out)
    if args.readme:
        Path(args.readme).write_text(render_readme(crm.truth))
    print(f"Wrote the synthetic CRM ({args.customers:,} customers, seed {args.seed}) to {folder}")
    return 0


def _datadict(args) -> int:
    from .datasets import data_dictionary

    print(data_dictionary(), end="")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crmlab", description="Tools of the crmlab CRM analytics course.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="execute notebooks headlessly with papermill into build/")
    run.add_argument("notebooks", nargs="*", help="notebooks or folders (default: notebooks/)")
    run.add_argument("--out", default="build", help="folder for executed notebooks (default: build)")
    run.add_argument("--jobs", type=int, default=2, help="notebooks run at once (default: 2)")
    run.set_defaults(func=_run)

    gen = sub.add_parser("generate", help="write the synthetic CRM as Parquet files")
    gen.add_argument("--out", required=True, help="folder to write")
    gen.add_argument("--customers", type=int, default=3000, help="number of customers (default: 3000)")
    gen.add_argument("--seed", type=int, default=2024, help="random seed (default: 2024)")
    gen.add_argument("--readme", help="also write the data dictionary and planted truths to this file")
    gen.set_defaults(func=_generate)

    dd = sub.add_parser("datadict", help="print the data dictionary of the CRM tables")
    dd.set_defaults(func=_datadict)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``crmlab`` command."""
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
