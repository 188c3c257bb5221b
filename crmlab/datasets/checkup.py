"""The validation report of an export: what loads, every problem by column, and which lessons it can feed.

:func:`check_export` reads each table the way :func:`~crmlab.datasets.load_crm` does, but
instead of stopping at the first error it casts every column on its own and collects
every problem: a file that cannot be read stops only its table; each column whose
values cannot load exactly is listed with example lines and values and the fix. Then
the keys of the tables that loaded are checked (checks that need an absent column are
listed as skipped), order totals are compared with their lines (a total ten times off is
an amount typed in the wrong unit, toman for rials: :func:`~crmlab.analysis.quality.unit_mixups`),
and each lesson gets a verdict from :data:`.needs.LESSON_NEEDS`; the
lessons that analyse customers one by one are refused, as they refuse themselves, when
:func:`.needs.customer_problem` finds too few customers in the purchases.
``crmlab check MAPPING_OR_FOLDER`` prints the same report.
"""

from __future__ import annotations

import html
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..conventions import COURSE
from ..errors import DataFileError, SchemaError, ValueLoadError
from .mapping import ExportMapping, read_mapping
from .needs import PER_CUSTOMER, customer_problem, lesson_verdicts
from .options import ReadOptions
from .schema import TABLES, column_plan
from .storage import _is_course, key_problems, read_table_file, table_file
from .values import cast_column

__all__ = ["ColumnProblem", "ExportReport", "TableReport", "amount_warnings", "check_export", "render_text"]


@dataclass(frozen=True)
class ColumnProblem:
    """One problem of one table: a column's values, its columns, or its file.

    Attributes
    ----------
    column : str
        The schema column concerned; empty for a problem of the file or of the columns.
    problem : str
        What is wrong, in plain words.
    fix : str
        What to do about it.
    examples : tuple of (int, str)
        Up to five ``(place, value)`` pairs: the file line for CSV (header = line 1), the
        row for Parquet (first row = 1), as ``where`` says.
    count : int
        Rows affected (0 when it is not about rows).
    where : {"line", "row"}
        What the numbers of ``examples`` count.
    """

    column: str
    problem: str
    fix: str = ""
    examples: tuple = ()
    count: int = 0
    where: str = "line"


@dataclass(frozen=True)
class TableReport:
    """What happened to one table of the export.

    Attributes
    ----------
    table, file : str
        The schema table and the file read ("" when none was found).
    rows_read, rows_loaded : int
        Rows in the file, and rows that load (all of them, or none: a table loads whole).
    mapped : tuple of (str, str)
        ``(schema column, export column)`` for each schema column found.
    absent, missing, extra : tuple of str
        Optional columns absent, required columns missing, and the export's extra columns.
    problems : tuple of ColumnProblem
    """

    table: str
    file: str
    rows_read: int = 0
    rows_loaded: int = 0
    mapped: tuple = ()
    absent: tuple = ()
    missing: tuple = ()
    extra: tuple = ()
    problems: tuple = ()

    @property
    def ok(self) -> bool:
        """Whether the table loads."""
        return not self.problems


@dataclass(frozen=True, eq=False)
class ExportReport:
    """The validation report of one export; ``print(report)`` gives the text, notebooks a table.

    Attributes
    ----------
    source : str
        The mapping file or folder checked.
    folder : str
        The export's folder.
    tables : tuple of TableReport
    key_problems : tuple of str
        Duplicate primary keys and orphan foreign keys among the tables that load.
    skipped_checks : tuple of str
        Key checks that could not run (an absent column, or a table not in the export).
    lessons : dict
        Lesson id -> the ``table.column`` it lacks; an empty list means the lesson has its columns.
    refused : dict
        Lesson id -> why it cannot run although it has its columns (too few customers, the
        message the lesson itself gives).
    amount_warnings : tuple of str
        Order totals that disagree with their lines: those ten times off (a unit mix-up) and
        the rest, each a sentence with lines and what to do. They do not stop the export
        loading: the values load exactly as typed.
    """

    source: str
    folder: str
    tables: tuple
    key_problems: tuple = ()
    skipped_checks: tuple = ()
    lessons: dict = field(default_factory=dict)
    refused: dict = field(default_factory=dict)
    amount_warnings: tuple = ()

    @property
    def ok(self) -> bool:
        """Whether every table loads and the keys hold: ``load_export`` will succeed."""
        return all(t.ok for t in self.tables) and not self.key_problems

    @property
    def loaded(self) -> set[str]:
        """The tables that load."""
        return {t.table for t in self.tables if t.ok}

    def can_run(self, lesson: str) -> bool:
        """Whether the export has what ``lesson`` (e.g. ``"05_rfm"``) needs."""
        return not self.lessons[lesson] and lesson not in self.refused

    def to_frame(self) -> pd.DataFrame:
        """One row per table: file, rows read and loaded, columns, and the number of problems."""
        return pd.DataFrame([{
            "table": t.table, "file": t.file, "rows read": t.rows_read, "rows loaded": t.rows_loaded,
            "mapped": ", ".join(_mapped(m) for m in t.mapped), "absent (optional)": ", ".join(t.absent),
            "missing (required)": ", ".join(t.missing), "extra (kept)": ", ".join(t.extra),
            "problems": len(t.problems),
        } for t in self.tables])

    def problems_frame(self) -> pd.DataFrame:
        """One row per problem: table, column, rows affected, example lines, problem and fix."""
        return pd.DataFrame([{
            "table": t.table, "column": p.column, "rows": p.count,
            "examples": "; ".join(f"{p.where} {line}: {value!r}" for line, value in p.examples),
            "problem": p.problem, "fix": p.fix,
        } for t in self.tables for p in t.problems], columns=["table", "column", "rows", "examples", "problem", "fix"])

    def lessons_frame(self) -> pd.DataFrame:
        """One row per lesson: can it run on this export, and if not, what it lacks."""
        return pd.DataFrame({"lesson": list(self.lessons),
                             "verdict": [_verdict(m, self, k) for k, m in self.lessons.items()]})

    def to_dict(self) -> dict:
        """The report as plain data (for ``--format json``)."""
        out = asdict(self)
        out["ok"] = self.ok
        return out

    def __str__(self) -> str:
        return render_text(self)

    def _repr_html_(self) -> str:
        head = f"<p><b>Export check</b> of <code>{html.escape(self.source)}</code>: " + (
            "every table loads.</p>" if self.ok else "<b>problems found</b>; the export does not load yet.</p>")
        keys = "".join(f"<li>{html.escape(k)}</li>" for k in self.key_problems)
        skipped = "".join(f"<li>{html.escape(k)}</li>" for k in self.skipped_checks)
        return (head + self.to_frame().to_html(index=False) + "<h4>Problems</h4>"
                + self.problems_frame().to_html(index=False)
                + (f"<h4>Keys</h4><ul>{keys}</ul>" if keys else "")
                + (f"<h4>Checks skipped</h4><ul>{skipped}</ul>" if skipped else "")
                + ("<h4>Order totals against their lines</h4><ul>"
                   + "".join(f"<li>{html.escape(w)}</li>" for w in self.amount_warnings) + "</ul>"
                   if self.amount_warnings else "")
                + "<h4>Lessons</h4>" + self.lessons_frame().to_html(index=False)
                + "".join(f"<p>{html.escape(r)}</p>" for r in dict.fromkeys(self.refused.values())))


def check_export(source: ExportMapping | str | os.PathLike) -> ExportReport:
    """Check an export against its mapping (or a folder of ``<table>.csv|.parquet``), collecting every problem.

    Parameters
    ----------
    source : ExportMapping or path-like
        A mapping (or a mapping file, ``.toml``), or a folder whose files are named after
        the schema's tables (read with the default options).

    Returns
    -------
    ExportReport

    Raises
    ------
    MappingError
        The mapping file itself is wrong (fix it first: nothing can be checked).
    FileNotFoundError
        ``source`` does not exist.

    Examples
    --------
    >>> from crmlab.datasets.mapping import EXAMPLE
    >>> report = check_export(EXAMPLE)
    >>> report.ok, [(t.table, t.rows_read, t.rows_loaded, t.extra) for t in report.tables]
    (True, [('orders', 5, 5, ('Country',)), ('customers', 3, 3, ('Country',))])
    >>> report.lessons["10_service"][:1]
    ['tickets.ticket_id']
    >>> report.lessons["05_rfm"], report.can_run("05_rfm")  # every column, but the purchases of 3 customers
    ([], False)
    >>> report.refused["05_rfm"]  # doctest: +ELLIPSIS
    "Lessons 05_rfm, ... need the purchases of at least 50 distinct customers, but this export's 4 purchases ...
    """
    mapping, folder, names, strict = _resolve(source)
    options = mapping.options if mapping else ReadOptions()
    files = mapping.files if mapping else {}
    renames = mapping.columns if mapping else {}
    reports, loaded, lines, sources = [], {}, {}, {}
    for name in names:
        report, df, rows = _check_table(name, folder, files.get(name), renames.get(name, {}), options, strict)
        reports.append(report)
        if df is not None:
            loaded[name], lines[name], sources[name] = df, rows, report.file
    problems, skipped = key_problems(loaded, sources=sources, lines=lines)
    skipped += _unchecked_references(loaded, names)
    available = {name: [c for c in df.columns if c in TABLES[name].dtypes] for name, df in loaded.items()}
    conventions = (mapping.conventions if mapping else None) or COURSE  # as the lessons default
    why = customer_problem(loaded["orders"], conventions.purchase_statuses) if "orders" in loaded else ""
    amounts = amount_warnings(loaded, sources=sources, lines=lines)
    return ExportReport(str(mapping.source if mapping else folder), str(folder), tuple(reports), tuple(problems),
                        tuple(skipped), lesson_verdicts(available), dict.fromkeys(PER_CUSTOMER, why) if why else {},
                        tuple(amounts))  # fmt: skip


def amount_warnings(tables: dict, *, sources: dict | None = None, lines: dict | None = None,
                    factors: tuple = (10,), n_examples: int = 5) -> list[str]:  # fmt: skip
    """Sentences about order totals that disagree with their lines, when both tables have what it takes.

    A total exactly ``factor`` times smaller (or larger) than its lines' sum was typed in
    another unit (toman for rials); any other difference (tax, shipping, fees?) is counted and
    not judged. Nothing is changed: the report says what to do.

    Examples
    --------
    >>> orders = pd.DataFrame({"order_id": [1, 2, 3], "total_cents": [150_000, 15_000, 99]})
    >>> lines = pd.DataFrame({"order_id": [1, 2, 3], "quantity": 1, "unit_price_cents": [150_000, 150_000, 90]})
    >>> for sentence in amount_warnings({"orders": orders, "order_lines": lines}):
    ...     print(sentence.split(" in orders:")[0])
    1 order total is a tenth of its lines' sum, as if typed in a unit 10 times larger (toman for rials)
    1 order total differs from its lines' sum by another amount (tax, shipping or a fee?)
    """
    from crmlab.analysis.quality import unit_mixups

    orders, order_lines = tables.get("orders"), tables.get("order_lines")
    if orders is None or order_lines is None:
        return []
    if not {"order_id", "total_cents"} <= set(orders) or not {"order_id", "quantity", "unit_price_cents"} <= set(
            order_lines):  # fmt: skip
        return []
    discount = "discount_cents" if "discount_cents" in order_lines else None
    found = unit_mixups(orders, order_lines, factors=factors, discount=discount)
    if found.empty:
        return []
    source = (sources or {}).get("orders") or "orders"
    where = (lines or {}).get("orders")
    line_of = pd.Series(where.to_numpy() if where is not None else np.arange(1, len(orders) + 1),
                        index=orders["order_id"].to_numpy())  # fmt: skip
    place = "line" if where is not None else "row"
    out = []
    clean = ("correct the totals in the export, or clean them with crmlab.analysis.quality.clean_export(..., "
             "order_lines=...), which sets each to its lines' sum and logs how many it corrected")
    groups = [(f"typed in a unit {f}x larger", f, "larger") for f in factors]
    groups += [(f"typed in a unit {f}x smaller", f, "smaller") for f in factors] + [("other difference", None, "")]
    for problem, f, kind in groups:
        chosen = found[found["problem"] == problem]
        if chosen.empty:
            continue
        n = len(chosen)
        one = n == 1
        if kind == "larger":
            part = "a tenth" if f == 10 else f"1/{f}"
            what = (f"{'is' if one else 'are'} {part} of {'its' if one else 'their'} lines' sum, as if typed in a "
                    f"unit {f} times larger{' (toman for rials)' if f == 10 else ''}")
        elif kind == "smaller":
            what = (f"{'is' if one else 'are'} {f} times {'its' if one else 'their'} lines' sum, as if typed in a "
                    f"unit {f} times smaller{' (rials for toman)' if f == 10 else ''}")
        else:
            what = (f"{'differs' if one else 'differ'} from {'its' if one else 'their'} lines' sum by another "
                    "amount (tax, shipping or a fee?)")
        fix = clean if kind else ("nothing is judged or changed; check that the export's totals and lines count "
                                  "the same things")
        shown = "; ".join(f"order_id {int(r.order_id)} on {place} {int(line_of.get(r.order_id, 0))} "
                          f"(total {int(r.total):,}, lines {int(r.lines_total):,})"
                          for r in chosen.head(n_examples).itertuples())  # fmt: skip
        more = f" and {n - n_examples:,} more" if n > n_examples else ""
        out.append(f"{n:,} order total{'' if one else 's'} {what} in {source}: {shown}{more}. What to do: {fix}.")
    return out


def _resolve(source) -> tuple[ExportMapping | None, Path, list[str], bool]:
    if isinstance(source, ExportMapping):
        return source, source.folder, list(source.tables), False
    path = Path(source)
    if path.is_dir():
        names = [n for n in TABLES if any((path / f"{n}{s}").exists() for s in (".csv", ".parquet"))]
        if not names:
            have = sorted(p.name for p in path.iterdir() if p.suffix.lower() in (".csv", ".parquet"))
            raise FileNotFoundError(
                f"{source}: no file is named after a table of the CRM schema (orders.csv, customers.csv ...); "
                f"the folder has {have}. Write a mapping file that names your files and columns "
                f"(an example: datasets/examples/mapping.toml) and check that instead.")
        return None, path, names, _is_course(path)
    if path.is_file():
        mapping = read_mapping(path)
        return mapping, mapping.folder, list(mapping.tables), False
    raise FileNotFoundError(f"{source}: no such mapping file or folder. Give a mapping file (.toml) or the folder "
                            "of the export's files.")


def _check_table(name, folder, file_name, renames, options, strict):
    try:
        file = table_file(folder, name, file_name, course=strict)
        df, lines = read_table_file(name, file, renames, options, course=strict)
    except (DataFileError, SchemaError) as err:
        where = getattr(err, "path", "")
        return TableReport(name, str(where or file_name or ""), problems=(_file_problem(err),)), None, None
    plan = column_plan(name, df.columns)
    missing, absent = (plan.missing + plan.absent, ()) if strict else (plan.missing, plan.absent)
    theirs = {ours: their for their, ours in renames.items()}
    problems = []
    if missing:
        problems.append(ColumnProblem(
            "", f"required column(s) {list(missing)} are not in the file (it has {list(df.columns)})",
            f"map your columns to them in the mapping: [tables.{name}.columns] \"your column\" = \"{missing[0]}\""))
    if strict and plan.extra:
        problems.append(ColumnProblem("", f"columns {list(plan.extra)} are not in the course's schema",
                                      "the course's database has exactly the schema's columns: run `make data`"))
    df = df.reset_index(drop=True)
    where, places = ("line", lines) if lines is not None else ("row", np.arange(1, len(df) + 1))
    cast = {}
    for column in plan.present:
        try:
            cast[column] = cast_column(df[column], TABLES[name].dtypes[column], table=name, column=column,
                                       source=str(file), options=options, lines=places)
        except ValueLoadError as err:
            problems.append(ColumnProblem(column, f"{err.problem} ({err.count} of {err.total} rows)", err.fix,
                                          tuple((int(line), _plain(v)) for line, v in err.examples), err.count,
                                          where))
    ok = not problems
    report = TableReport(name, str(file), len(df), len(df) if ok else 0,
                         tuple((c, theirs.get(c, c)) for c in plan.present), absent, missing, plan.extra,
                         tuple(problems))
    if not ok:
        return report, None, None
    out = pd.DataFrame({**cast, **{c: df[c] for c in plan.extra}}, index=df.index)
    return report, out, lines


def _file_problem(err: Exception) -> ColumnProblem:
    if isinstance(err, DataFileError):
        return ColumnProblem("", f"{err.problem}; the table was not read", err.fix)
    text = str(err)
    return ColumnProblem("", text, "")


def _unchecked_references(loaded: dict, names: list[str]) -> list[str]:
    out = []
    for name, df in loaded.items():
        for column, ref in TABLES[name].foreign_keys.items():
            target = ref.split(".")[0]
            if column not in df or target in loaded:
                continue
            why = "did not load" if target in names else "is not in the export"
            out.append(f"{name}.{column} refers to table `{target}`, which {why}: not checked")
    return out


def _plain(value):
    value = value.item() if hasattr(value, "item") and not isinstance(value, str) else value
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def _mapped(pair: tuple) -> str:
    ours, theirs = pair
    return ours if ours == theirs else f"{ours} <- {theirs}"


def _verdict(missing: list[str], report: ExportReport, lesson: str = "") -> str:
    """'can run', or what is missing: whole tables by name (said when they failed to load), then columns;
    or why it is refused."""
    if not missing:
        return "cannot run (too few customers, see below)" if lesson in report.refused else "can run"
    loaded, failed = report.loaded, {t.table for t in report.tables if not t.ok}
    tables = list(dict.fromkeys(m.split(".")[0] for m in missing if m.split(".")[0] not in loaded))
    columns = [m for m in missing if m.split(".")[0] in loaded]
    named = [f"table {t} (does not load yet)" if t in failed else f"table {t}" for t in tables]
    return "missing: " + ", ".join([*named, *columns])


def _table_text(rows: list[list[str]], right: set[int] = frozenset()) -> list[str]:
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(str(c).rjust(w) if i in right else str(c).ljust(w) for i, (c, w) in
                      enumerate(zip(r, widths, strict=True))).rstrip() for r in rows]


def render_text(report: ExportReport) -> str:
    """The report as text for a terminal: a summary table, then each table's details, keys and lessons.

    Examples
    --------
    >>> from crmlab.datasets.mapping import EXAMPLE
    >>> print(render_text(check_export(EXAMPLE)).splitlines()[0])  # doctest: +ELLIPSIS
    Export check: .../mapping.toml
    """
    out = [f"Export check: {report.source}", f"Folder: {report.folder}", ""]
    rows = [["table", "file", "rows read", "rows loaded", "problems"]]
    rows += [[t.table, Path(t.file).name if t.file else "-", t.rows_read, t.rows_loaded, len(t.problems)]
             for t in report.tables]
    out += _table_text(rows, right={2, 3, 4})
    for t in report.tables:
        out += ["", f"== {t.table} ({t.file or 'no file'}): " + ("loads" if t.ok else "does not load")]
        if t.mapped:
            out.append(f"  columns mapped: {', '.join(_mapped(m) for m in t.mapped)}")
        if t.absent:
            out.append(f"  absent (optional, not added): {', '.join(t.absent)}")
        if t.missing:
            out.append(f"  MISSING (required): {', '.join(t.missing)}")
        if t.extra:
            out.append(f"  extra (kept as read): {', '.join(t.extra)}")
        for p in t.problems:
            out.append(f"  PROBLEM{' in ' + p.column if p.column else ''}: {p.problem}")
            out += [f"      {p.where} {line}: {value!r}" for line, value in p.examples]
            if p.count > len(p.examples):
                out.append(f"      ... and {p.count - len(p.examples)} more rows")
            if p.fix:
                out.append(f"    how to fix it: {p.fix}")
    out += ["", "== keys"]
    out += [f"  PROBLEM: {k}" for k in report.key_problems] or ["  no duplicate or orphan keys found"]
    out += [f"  skipped: {k}" for k in report.skipped_checks]
    if report.amount_warnings:
        out += ["", "== order totals against their lines"]
        out += [f"  WARNING: {w}" for w in report.amount_warnings]
    out += ["", "== lessons (on the tables that load)"]
    out += _table_text([["lesson", "verdict"], *([k, _verdict(v, report, k)] for k, v in report.lessons.items())])
    out += [f"  {reason}" for reason in dict.fromkeys(report.refused.values())]
    reports = [lesson for lesson in PER_CUSTOMER if report.can_run(lesson)]  # the lessons with a manager's report
    purchases = not report.lessons.get("05_rfm")  # lesson 05 needs exactly the purchases (LESSON_NEEDS)
    out += ["", "== reports and dashboards",
            f"  crmlab report: {', '.join(reports) if reports else 'none (the lessons with reports cannot run)'}",
            "  crmlab dashboard kpi: " + ("can run (it needs only purchases)" if purchases else
                                          "cannot run: " + ", ".join(report.lessons.get("05_rfm", [])) + " missing"),
            "  crmlab dashboard segments: " + ("can run" if reports else "cannot run (see the lessons above)")]
    out += ["", "Result: every table loads." if report.ok else
            "Result: problems found; fix them in the export or the mapping, then check again."]
    if not report.ok and str(report.source).endswith(".toml"):
        from .mapping import in_the_mapping

        out.append(in_the_mapping(report.source))
    return "\n".join(out)
