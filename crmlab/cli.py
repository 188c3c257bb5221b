"""The ``crmlab`` command line.

    crmlab run [NOTEBOOK ...]     execute the course headlessly into build/ (make course)
    crmlab progress [LESSON]      your progress through the exercises
    crmlab name ["Your Name"]     show or set the name printed on your certificates
    crmlab assessed [on|off]      show or switch the assessed session (hints and solutions off)
    crmlab handin [--out DIR]     bundle your progress and exercise notebooks into one zip for your instructor
    crmlab gradebook DIR          merge a folder of hand-ins into gradebook.csv and gradebook.html
    crmlab grade DIR              re-execute the handed-in notebooks (crmlab.classroom.grading)
    crmlab answer-key [--out DIR]  the exercises' answers, executed, as offline pages for instructors
    crmlab release [--check]      build the student exercise notebooks from their sources
    crmlab generate --out DIR     write the synthetic CRM as Parquet files
    crmlab datadict               print the data dictionary (Markdown)
    crmlab check MAPPING_OR_FOLDER  check a company's export: what loads, every problem, which lessons run
    crmlab report LESSON --mapping FILE | --data DIR  a lesson run on a company's data, as an HTML report
    crmlab dashboard kpi|segments [--mapping FILE | --data DIR]  a dashboard for managers, served by Voila
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

__all__ = ["main"]


def _run(args) -> int:
    from .runner import DEFAULT_JOBS, Job, RunnerError, course_jobs, discover, run_jobs, summary

    start = time.perf_counter()
    try:
        jobs = [Job(p, args.mode) for p in discover(args.notebooks, strict=True)] if args.notebooks else course_jobs()
        if not jobs:
            raise RunnerError("No notebooks found in notebooks/ or exercises/: run this from the course folder.")
        results = run_jobs(jobs, out_dir=args.out, jobs_at_once=args.jobs or DEFAULT_JOBS, html=args.html,
                           timeout=args.timeout, progress=args.progress)
    except RunnerError as exc:
        print(f"crmlab run: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # the runner has already killed its workers and their kernels
        print("\ncrmlab run: stopped by Ctrl-C; no notebook was left running.", file=sys.stderr)
        return 130
    print(summary(results, time.perf_counter() - start))
    return 0 if all(r.ok for r in results) else 1


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, e.g. 600, but {text!r} was passed") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, but {text!r} was passed")
    return value


def _jobs(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of notebooks, 1 or more, but {text!r} was passed")
    return int(text)


def _add_run_arguments(run: argparse.ArgumentParser) -> argparse.ArgumentParser:
    run.add_argument("notebooks", nargs="*", help="notebooks or folders (default: the whole course)")
    run.add_argument("--mode", choices=["lesson", "solution", "learner"], default="lesson",
                     help="how to run the notebooks given (default: lesson)")
    run.add_argument("--out", default="build", help="folder for executed notebooks (default: build)")
    run.add_argument("--jobs", type=_jobs, default=None,
                     help="notebooks run at once (default: the cores + 2, at most 8)")
    run.add_argument("--timeout", type=_seconds, default=600.0, metavar="SECONDS",
                     help="time limit for each whole notebook (default: 600)")
    run.add_argument("--html", action=argparse.BooleanOptionalAction, default=False,
                     help="an HTML copy beside each executed notebook (default: none; `make site` and "
                          "`make answer-key` are the course's HTML for people)")
    run.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                     help="a progress bar on stderr (default: only when stderr is a terminal)")
    run.set_defaults(func=_run)
    return run


def _run_main(argv: Sequence[str]) -> int:
    parser = _OneLineParser(prog="crmlab run", description="Execute notebooks headlessly, one verdict line each.")
    return _run(_add_run_arguments(parser).parse_args(argv))


class _OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr, exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _whole_number(minimum: int, example: int):
    def convert(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"must be a whole number, e.g. {example}, but {text!r} was passed") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, but {text!r} was passed")
        return value

    return convert


def _add_generate_arguments(gen: argparse.ArgumentParser) -> argparse.ArgumentParser:
    gen.add_argument("--out", required=True, help="folder to write")
    gen.add_argument("--customers", type=_whole_number(100, 3000), default=3000,
                     help="number of customers, at least 100 (default: 3000)")  # fmt: skip
    gen.add_argument("--seed", type=_whole_number(0, 2024), default=2024, help="random seed, 0 or more (default: 2024)")
    gen.add_argument("--market", choices=["iran", "generic"], default="iran",
                     help="how the company behaves: iran (rials, Jalali seasons, SMS consent, Instagram and "
                          "Telegram; the course's company, the default) or generic (US cents, Gregorian "
                          "seasons)")  # fmt: skip
    gen.add_argument("--readme", help="also write the data dictionary and planted truths to this file")
    gen.add_argument("--quiet", action="store_true",
                     help="no progress bar (by default one is drawn on stderr when it is a terminal)")  # fmt: skip
    gen.set_defaults(func=_generate)
    return gen


def _generate_main(argv: Sequence[str]) -> int:
    parser = _OneLineParser(prog="crmlab generate", description="Write the synthetic CRM as Parquet files.")
    args = _add_generate_arguments(parser).parse_args(argv)
    try:
        return _generate(args)
    except (ValueError, OSError, MemoryError) as exc:
        text = " ".join(str(exc).split()) or type(exc).__name__
        if isinstance(exc, MemoryError):
            text = f"ran out of memory for {args.customers:,} customers; use fewer with --customers"
        print(f"crmlab generate: error: {text}", file=sys.stderr)
        return 2


def _generate(args) -> int:
    """Generate and write; a bar on stderr (a terminal only, unless ``--quiet``) shows each stage, then writing."""
    from .datasets import generate_crm, save_crm
    from .datasets.readme import render_readme
    from .datasets.synthetic import STAGES
    from .progress_bars import progress_bar

    _check_target(args.out, "--out", folder=True)
    if args.readme:
        _check_target(args.readme, "--readme", folder=False)
    bar = progress_bar(len(STAGES) + 1, False if args.quiet else None, desc="crmlab generate", unit="stage")
    with bar:
        crm = generate_crm(n_customers=args.customers, seed=args.seed, market=args.market, progress=bar)
        bar.now(["writing"])
        folder = save_crm(crm, args.out)
        if args.readme:
            Path(args.readme).write_text(render_readme(crm.truth), encoding="utf-8")
        bar.advance()
    market = "" if args.market == "iran" else f", market {args.market}"
    print(f"Wrote the synthetic CRM ({args.customers:,} customers, seed {args.seed}{market}) to {folder}")
    return 0


def _check_target(path: str, option: str, folder: bool) -> None:
    """Refuse a destination that cannot work before spending time on generating."""
    target = Path(path)
    if folder and target.exists() and not target.is_dir():
        raise ValueError(f"{option} {path!r} is a file; give a folder to write the tables into")
    if not folder and target.is_dir():
        raise ValueError(f"{option} {path!r} is a folder; give a file name, e.g. {path}/README.md")
    parent = target if folder else target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise ValueError(f"{option} {path!r} cannot be created: {str(parent)!r} is a file, not a folder")
    if not folder and parent != target.parent:
        raise ValueError(f"{option} {path!r}: the folder {str(target.parent)!r} does not exist; create it first")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ValueError(f"{option} {path!r} cannot be written: no permission to write in {str(parent)!r}")


def _datadict(args) -> int:
    from .datasets import data_dictionary

    print(data_dictionary(), end="")
    return 0


def _add_check_arguments(check: argparse.ArgumentParser) -> argparse.ArgumentParser:
    check.add_argument("source", metavar="MAPPING_OR_FOLDER",
                       help="a mapping file (.toml, see datasets/examples/mapping.toml) or a folder of "
                            "<table>.csv / <table>.parquet files")
    check.add_argument("--format", choices=["text", "json"], default="text", help="output format (default: text)")
    check.set_defaults(func=_check)
    return check


def _check_main(argv: Sequence[str]) -> int:
    parser = _OneLineParser(prog="crmlab check", description="Check a company's export against the CRM schema. "
                            "Exit status: 0 every table loads, 1 problems found, 2 usage error.")
    return _check(_add_check_arguments(parser).parse_args(argv))


def _check(args) -> int:
    import json

    from .datasets.checkup import check_export
    from .datasets.mapping import MappingError

    try:
        report = check_export(args.source)
    except (MappingError, FileNotFoundError) as exc:
        print(f"crmlab check: error: {exc}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=1, ensure_ascii=False, default=str))
    else:
        print(report)
    return 0 if report.ok else 1


def _add_report_arguments(report: argparse.ArgumentParser) -> argparse.ArgumentParser:
    report.add_argument("lesson", metavar="LESSON", help="a lesson with a report, e.g. 05_rfm")
    report.add_argument("--mapping", metavar="FILE",
                        help="the export's mapping file (.toml, see datasets/examples/mapping.toml)")
    report.add_argument("--data", metavar="DIR", help="a folder of tables named like the schema (orders.csv ...); "
                        "with --mapping, the folder of the mapping's files")
    report.add_argument("--out", default="reports", metavar="DIR", help="folder for the page (default: reports)")
    report.add_argument("--timeout", type=_seconds, default=600.0, metavar="SECONDS",
                        help="time limit for the whole lesson (default: 600)")
    report.set_defaults(func=_report)
    return report


def _report_main(argv: Sequence[str]) -> int:
    parser = _OneLineParser(prog="crmlab report", description="Run a lesson on a company's export and write "
                            "its report for managers: one HTML page, no code. Exit status: 0 written, "
                            "1 no report (the mapping, the lesson or its run failed), 2 usage error.")
    return _report(_add_report_arguments(parser).parse_args(argv))


def _report(args) -> int:
    from .reports import ReportError, build_report, find_lesson

    if args.mapping is None and args.data is None:
        print("crmlab report: error: no data given: --mapping FILE (a company's export) or --data DIR "
              "(a folder of tables named like the schema)", file=sys.stderr)
        return 2
    try:
        find_lesson(args.lesson)
    except ReportError as exc:
        print(f"crmlab report: error: {exc}", file=sys.stderr)
        return 2
    try:
        page = build_report(args.lesson, args.mapping, args.data, out_dir=args.out, timeout=args.timeout)
    except ReportError as exc:
        print(f"crmlab report: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # the workers have already been stopped with their kernels
        print("\ncrmlab report: stopped by Ctrl-C; no report was written.", file=sys.stderr)
        return 130
    print(f"Wrote the report to {page}")
    return 0


def _add_dashboard_arguments(dash: argparse.ArgumentParser) -> argparse.ArgumentParser:
    from .dashboards import DASHBOARDS

    dash.add_argument("name", choices=list(DASHBOARDS), metavar="NAME",
                      help="; ".join(f"{k}: {v[1]}" for k, v in DASHBOARDS.items()))
    dash.add_argument("--mapping", metavar="FILE", help="the export's mapping file (.toml); default: the course's data")
    dash.add_argument("--data", metavar="DIR", help="a folder of tables named like the schema (orders.csv ...); "
                      "with --mapping, the folder of the mapping's files")
    dash.add_argument("--port", type=_whole_number(1, 8866), default=8866, help="port on 127.0.0.1 (default: 8866)")
    dash.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    dash.set_defaults(func=_dashboard)
    return dash


def _dashboard_main(argv: Sequence[str]) -> int:
    parser = _OneLineParser(prog="crmlab dashboard", description="Serve a dashboard for managers over a company's "
                            "export (or the course's data) with Voila on 127.0.0.1. Exit status: Voila's; "
                            "1 the data does not load, 2 usage error.")
    return _dashboard(_add_dashboard_arguments(parser).parse_args(argv))


def _dashboard(args) -> int:
    from .dashboards import DashboardError, serve

    try:
        return serve(args.name, args.mapping, args.data, port=args.port, browser=not args.no_browser)
    except DashboardError as exc:
        print(f"crmlab dashboard: error: {exc}", file=sys.stderr)
        return 1


def _progress(args) -> int:
    from .exercises.cli import progress_main

    return progress_main(args.rest)


def _release(args) -> int:
    from .exercises.cli import release_main

    return release_main(args.rest)


def _name(args) -> int:
    from .exercises.cli import name_main

    return name_main(args.rest)


def _assessed(args) -> int:
    from .exercises.cli import assessed_main

    return assessed_main(args.rest)


def _handin(args) -> int:
    from .classroom.cli import handin_main

    return handin_main(args.rest)


def _gradebook(args) -> int:
    from .classroom.cli import gradebook_main

    return gradebook_main(args.rest)


def _grade(args) -> int:
    import importlib

    try:
        grading = importlib.import_module("crmlab.classroom.grading")
    except ModuleNotFoundError as exc:
        if exc.name not in ("crmlab.classroom.grading", "crmlab.classroom"):  # a missing dependency: not ours to hide
            raise
        grading = None
    grade_main = getattr(grading, "grade_main", None)
    if grade_main is None:
        print("crmlab grade: error: this crmlab has no grading yet (crmlab.classroom.grading.grade_main is "
              "missing); update crmlab, or use crmlab gradebook DIR for the numbers of the logs.", file=sys.stderr)
        return 2
    return grade_main(args.rest)


def _answer_key(args) -> int:
    from .classroom.answer_key import answer_key_main

    return answer_key_main(args.rest)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crmlab", description="Tools of the crmlab CRM analytics course.")
    sub = parser.add_subparsers(dest="command", required=True)

    _add_run_arguments(sub.add_parser("run", help="execute the course headlessly with papermill into build/"))

    for name, func, text in [("progress", _progress, "show your progress through the exercises"),
                             ("name", _name, "show or set the name printed on your certificates"),
                             ("release", _release, "build the student exercise notebooks from their sources"),
                             ("assessed", _assessed, "show or switch the assessed session (hints and "
                              "solutions off)"),
                             ("handin", _handin, "bundle your progress and notebooks into one zip for your "
                              "instructor"),
                             ("gradebook", _gradebook, "merge a folder of hand-ins into a gradebook (CSV and HTML)"),
                             ("grade", _grade, "re-execute the handed-in notebooks"),
                             ("answer-key", _answer_key, "the exercises' answer key for instructors, into "
                              "build/answer-key/")]:
        cmd = sub.add_parser(name, help=text, add_help=False)
        cmd.add_argument("rest", nargs=argparse.REMAINDER)
        cmd.set_defaults(func=func)

    _add_generate_arguments(sub.add_parser("generate", help="write the synthetic CRM as Parquet files"))

    dd = sub.add_parser("datadict", help="print the data dictionary of the CRM tables")
    dd.set_defaults(func=_datadict)
    _add_check_arguments(sub.add_parser("check", help="check a company's export against its mapping"))
    _add_report_arguments(sub.add_parser("report", help="a lesson run on a company's export, as an HTML report"))
    _add_dashboard_arguments(sub.add_parser("dashboard", help="a dashboard for managers, served by Voila"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``crmlab`` command."""
    argv = list(sys.argv[1:] if argv is None else argv)
    own_options = {"progress": _progress, "release": _release, "name": _name, "assessed": _assessed, "handin": _handin,
                   "gradebook": _gradebook, "grade": _grade, "answer-key": _answer_key}  # fmt: skip
    if argv[:1] and argv[0] in own_options:  # these parse their own options
        return own_options[argv[0]](argparse.Namespace(rest=argv[1:]))
    if argv[:1] == ["run"]:  # errors as one line, exit status 2
        return _run_main(argv[1:])
    if argv[:1] == ["generate"]:  # errors as one line, exit status 2
        return _generate_main(argv[1:])
    if argv[:1] == ["check"]:  # errors as one line, exit status 2
        return _check_main(argv[1:])
    if argv[:1] == ["report"]:  # errors as one line, exit status 2
        return _report_main(argv[1:])
    if argv[:1] == ["dashboard"]:  # errors as one line, exit status 2
        return _dashboard_main(argv[1:])
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
