"""The ``crmlab`` command line.

    crmlab run [NOTEBOOK ...]     execute the course headlessly into build/ (make course)
    crmlab progress [LESSON]      your progress through the exercises
    crmlab release [--check]      build the student exercise notebooks from their sources
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
    from .runner import Job, course_jobs, discover, run_jobs

    if args.notebooks:
        jobs = [Job(p, args.mode) for p in discover(args.notebooks)]
    else:
        jobs = course_jobs()
    if not jobs:
        print(f"No notebooks found in {args.notebooks or ['notebooks', 'exercises']}.", file=sys.stderr)
        return 2
    results = run_jobs(jobs, out_dir=args.out, jobs_at_once=args.jobs, html=not args.no_html)
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


def _progress(args) -> int:
    from .exercises.cli import progress_main

    return progress_main(args.rest)


def _release(args) -> int:
    from .exercises.cli import release_main

    return release_main(args.rest)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crmlab", description="Tools of the crmlab CRM analytics course.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="execute the course headlessly with papermill into build/")
    run.add_argument("notebooks", nargs="*", help="notebooks or folders (default: the whole course)")
    run.add_argument("--mode", choices=["lesson", "solution", "learner"], default="lesson",
                     help="how to run the notebooks given (default: lesson)")
    run.add_argument("--out", default="build", help="folder for executed notebooks (default: build)")
    run.add_argument("--jobs", type=int, default=2, help="notebooks run at once (default: 2)")
    run.add_argument("--no-html", action="store_true", help="skip the HTML copies")
    run.set_defaults(func=_run)

    for name, func, text in [("progress", _progress, "show your progress through the exercises"),
                             ("release", _release, "build the student exercise notebooks from their sources")]:
        cmd = sub.add_parser(name, help=text, add_help=False)
        cmd.add_argument("rest", nargs=argparse.REMAINDER)
        cmd.set_defaults(func=func)

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
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["progress"]:  # these parse their own options
        return _progress(argparse.Namespace(rest=argv[1:]))
    if argv[:1] == ["release"]:
        return _release(argparse.Namespace(rest=argv[1:]))
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
