"""Reports for managers: a lesson run on a company's export, as one HTML page with no code.

``crmlab report 05_rfm --mapping mapping.toml`` (or ``--data FOLDER``, a folder of tables named
like the schema) runs the lesson with papermill (in a worker process of the course runner,
under a time limit) with ``MAPPING`` (or ``DATA_DIR``) set, then keeps only the cells tagged
``report`` and writes them with nbconvert as one self-contained page: their outputs without
the code, charts embedded as PNG images, no script or style sheet loaded from the network. A
Markdown cell tagged ``report`` is a finding and shown as it is; a cell also tagged
``report-printed`` gives only what it prints, not the tables it displays (so a sample of
customers' contacts stays out of the page); a code cell with nothing to show is left out.

The lesson declares its report itself, in its notebook's metadata: the page's title in
``metadata["crmlab"]["report"]["title"]``, and a section heading above a report cell in that
cell's ``metadata["crmlab"]["report_heading"]`` (kept for the next cell that shows something,
when that one shows nothing on this data). A header states the data source, the as-of date,
the currency, the clock, when the page was generated and the active parameters.

A lesson without ``report`` tags, no data given, an unreadable mapping, data the lesson
refuses or a failing run raise :class:`ReportError` with a one-line message, and no report
file is written.
"""

from __future__ import annotations

import html
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import nbformat

from .errors import CrmlabError

__all__ = ["DEFAULT_TIMEOUT", "NOTEBOOKS", "ReportError", "build_report", "find_lesson", "report_cells",
           "report_heading", "report_title"]

#: The course's lessons.
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
#: Seconds the whole lesson may run before it is stopped.
DEFAULT_TIMEOUT = 600.0
_TAG = "report"
#: With ``report``: only what the cell prints goes in (not tables it displays, e.g. customers' contacts).
_PRINTED = "report-printed"
#: Notebook and cell metadata key of the report's declarations (title; a cell's section heading).
_META = "crmlab"
_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""


class ReportError(CrmlabError, ValueError):
    """A report that cannot be made: the message is one line and says what to do.

    Examples
    --------
    >>> raise ReportError("no lesson 99_x")
    Traceback (most recent call last):
    ...
    crmlab.reports.ReportError: no lesson 99_x
    """


def find_lesson(lesson: str, folder: str | os.PathLike = NOTEBOOKS) -> Path:
    """The notebook of ``lesson``: ``"05_rfm"``, ``"05"`` or a path to a notebook.

    Examples
    --------
    >>> find_lesson("05").name
    '05_rfm.ipynb'
    >>> find_lesson("99_nothing")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crmlab.reports.ReportError: no lesson '99_nothing' in notebooks/: give a lesson such as 05_rfm...
    """
    path = Path(lesson)
    if path.suffix == ".ipynb" and path.is_file():
        return path.resolve()
    folder = Path(folder)
    matches = sorted(p for p in folder.glob(f"{lesson}*.ipynb") if p.stem == lesson or p.stem.startswith(f"{lesson}_"))
    if len(matches) != 1:
        known = ", ".join(p.stem for p in sorted(folder.glob("[0-9][0-9]_*.ipynb")) if report_cells(p)) or "none"
        raise ReportError(f"no lesson {lesson!r} in {folder.name}/: give a lesson such as {known}")
    return matches[0]


def report_cells(notebook: str | os.PathLike | nbformat.NotebookNode) -> list[int]:
    """Indices of the cells tagged ``report`` in a notebook.

    Examples
    --------
    >>> len(report_cells(find_lesson("05_rfm"))) > 0
    True
    """
    nb = notebook if isinstance(notebook, nbformat.NotebookNode) else nbformat.read(notebook, as_version=4)
    return [i for i, c in enumerate(nb.cells) if _TAG in c.metadata.get("tags", [])]


def report_title(notebook: str | os.PathLike | nbformat.NotebookNode) -> str:
    """The report's title the lesson declares (``metadata["crmlab"]["report"]["title"]``), else its name.

    Examples
    --------
    >>> report_title(find_lesson("05_rfm"))
    'RFM segments'
    """
    if isinstance(notebook, nbformat.NotebookNode):
        nb, name = notebook, "Report"
    else:
        nb, name = nbformat.read(notebook, as_version=4), Path(notebook).stem
    return nb.metadata.get(_META, {}).get("report", {}).get("title") or name


def report_heading(cell: nbformat.NotebookNode) -> str | None:
    """The section heading a report cell declares (``metadata["crmlab"]["report_heading"]``), if any.

    Examples
    --------
    >>> nb = nbformat.read(find_lesson("05_rfm"), as_version=4)
    >>> [report_heading(nb.cells[i]) for i in report_cells(nb)][:2]
    ['Purchases counted', 'Where the customers are']
    """
    return cell.metadata.get(_META, {}).get("report_heading")


def build_report(lesson: str, mapping: str | os.PathLike | None = None, data: str | os.PathLike | None = None,
                 out_dir: str | os.PathLike = "reports", timeout: float | None = DEFAULT_TIMEOUT) -> Path:
    """Run ``lesson`` on a company's data and write its report page.

    Parameters
    ----------
    lesson : str
        A lesson with cells tagged ``report``: ``"05_rfm"`` (or ``"05"``), or a notebook's path.
    mapping : path, optional
        The export's mapping file (TOML, see ``datasets/examples/mapping.toml``); the lesson
        gets it as ``MAPPING``.
    data : path, optional
        A folder of tables named like the schema (``orders.parquet``, ``customers.csv`` ...),
        given to the lesson as ``DATA_DIR``; with ``mapping``, the folder of the mapping's files.
        One of ``mapping`` and ``data`` is needed.
    out_dir : path
        Folder for the page, ``<lesson>_report.html``; created if needed.
    timeout : float or None
        Seconds the whole lesson may run.

    Returns
    -------
    Path
        The HTML page.

    Raises
    ------
    ReportError
        With a one-line message: unknown lesson, lesson without ``report`` cells, no data
        given, a mapping or folder that cannot be read, data the lesson refuses (e.g. too few
        customers), a cell that failed, a run out of time. No page is written then.

    Examples
    --------
    Not run here (the lesson takes a while; ``tests/test_reports.py`` runs it):

    >>> build_report("05_rfm", "datasets/examples/mapping.toml", out_dir="reports")  # doctest: +SKIP
    PosixPath('reports/05_rfm_report.html')
    """
    source = find_lesson(lesson)
    if not report_cells(source):
        raise ReportError(f"{source.stem} has no cells tagged 'report', so it has no report; "
                          "tag the cells a manager should see with 'report'")  # fmt: skip
    parameters, facts = _data(mapping, data)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ReportError(f"the output folder {str(out)!r} is a file; give a folder with --out")
    with tempfile.TemporaryDirectory(prefix="crmlab-report-") as work:
        executed = _run(source, Path(work), parameters, timeout)
        page = _render(executed, source, facts, parameters)
    target = out / f"{source.stem}_report.html"
    partial = target.with_suffix(".html.part")
    try:
        out.mkdir(parents=True, exist_ok=True)
        partial.write_text(page, encoding="utf-8")
        partial.replace(target)  # never a half-written report
    except OSError as err:
        partial.unlink(missing_ok=True)
        raise ReportError(f"cannot write the report into {str(out)!r}: {err.strerror}; "
                          "give another folder with --out") from None  # fmt: skip
    return target


def _one_line(err: BaseException | str) -> str:
    return " ".join(str(err).split()) or type(err).__name__


def _data(mapping, data) -> tuple[dict, list[str]]:
    """The lesson's parameters for this data, and the header's facts about it (source, as-of date, money, clock)."""
    from .datasets.lessondata import lesson_conventions
    from .datasets.mapping import read_mapping

    if mapping is None and data is None:
        raise ReportError("no data given: name the export's mapping file with --mapping FILE, or a folder "
                          "of tables named like the schema (orders.csv, customers.parquet ...) with --data DIR")
    parameters, conventions, facts = {}, None, []
    if data is not None:
        folder = Path(data)
        if not folder.is_dir():
            raise ReportError(f"the data folder {str(folder)!r} does not exist or is not a folder; give the folder "
                              "that holds the tables with --data")  # fmt: skip
        parameters["DATA_DIR"] = str(folder.resolve())
    if mapping is not None:
        try:
            export = read_mapping(mapping)
        except (ValueError, OSError) as err:  # MappingError is a ValueError
            raise ReportError(_one_line(err)) from None
        parameters["MAPPING"] = str(Path(mapping).resolve())
        conventions = export.conventions
        folder = Path(data).resolve() if data is not None else export.folder
        facts.append(f"**Data source:** {html.escape(export.source.name)}, export folder {html.escape(folder.name)}")
    else:
        facts.append(f"**Data source:** the folder {html.escape(Path(data).resolve().name)}")
    conventions = lesson_conventions(conventions)  # what the lesson works with, as it settles it
    facts += [f"**Data up to (as of):** {conventions.as_of:%Y-%m-%d}", f"**Currency:** {conventions.currency}",
              f"**Clock:** {html.escape(conventions.timezone)}"]  # fmt: skip
    return parameters, facts


def _run(source: Path, work: Path, parameters: dict, timeout: float | None) -> nbformat.NotebookNode:
    """Execute the lesson in a worker process of the course runner; the executed notebook."""
    from .runner import run_notebook
    from .verdicts import last_started, read_executed
    from .workers import Task, run_in_workers

    output = work / source.name
    outcome: list = []

    def lost(i: int, seconds: float, why: str | None):
        if why is not None:
            return why
        where = last_started(read_executed(output), "cell {cell} was still running") or "the lesson"
        return f"ran out of time after {timeout:g} s: {where}; give more with --timeout"

    run_in_workers(run_notebook, [Task((source, work, "lesson", parameters, False, source.parent, None),
                                       work / "kernel.log")],
                   lambda i, result: outcome.append(result), lost, 1, timeout, preload=["papermill"])
    result = outcome[0]
    if isinstance(result, str):
        raise ReportError(f"{source.stem} did not finish: {_one_line(result)}")
    if result.error:
        refused = re.search(r"\bLessonDataError: (.*)", result.error, flags=re.S)
        if refused:  # the lesson's own verdict on the data: say it as it is, without the cell
            raise ReportError(f"{source.stem} cannot run on this data: {_one_line(refused[1])}")
        raise ReportError(f"{source.stem} failed on this data: {_one_line(result.error)}")
    return nbformat.read(result.output, as_version=4)


def _header(title: str, facts: list[str], parameters: dict, source: Path) -> str:
    from papermill.inspection import inspect_notebook

    active = {name: spec["default"] for name, spec in inspect_notebook(str(source)).items()}
    active.update({k: repr(Path(v).name) for k, v in parameters.items()})  # the name, not the analyst's folders
    rows = "\n".join(f"| {_code(k)} | {_code(v)} |" for k, v in active.items())
    facts = [*facts, f"**Generated:** {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"]
    return (f"# {html.escape(title)}\n\n" + "  \n".join(facts)
            + f"\n\n**Parameters of this run**\n\n| parameter | value |\n|---|---|\n{rows}\n")


def _code(value: object) -> str:
    """A Markdown code span showing ``value`` as it is (the renderer escapes its HTML)."""
    text = " ".join(str(value).split()).replace("`", "'").replace("|", "\\|")
    return f"`{text}`"


def _shown(cell: nbformat.NotebookNode) -> bool:
    """Whether a report cell shows something: Markdown always, code when it has outputs left."""
    return cell.cell_type != "code" or bool(cell.get("outputs"))


def _render(nb: nbformat.NotebookNode, source: Path, facts: list[str], parameters: dict) -> str:
    """Only the ``report`` cells, without code, behind a header; one self-contained page."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    title = report_title(nbformat.read(source, as_version=4))
    cells = [nbformat.v4.new_markdown_cell(_header(title, facts, parameters, source), id="report-header")]
    heading = None
    for cell in nb.cells:
        if _TAG not in cell.metadata.get("tags", []):
            continue
        if _PRINTED in cell.metadata["tags"]:
            cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") == "stream"]
        heading = report_heading(cell) or heading  # a heading waits for a cell that shows something
        if not _shown(cell):
            continue
        if heading:
            cells.append(nbformat.v4.new_markdown_cell(f"## {html.escape(heading)}", id=f"report-{len(cells)}"))
            heading = None
        cells.append(cell)
    nb.cells = cells
    nb.metadata.pop("widgets", None)  # widgets are not part of a report
    config = Config()
    config.TemplateExporter.exclude_input = True
    config.TemplateExporter.exclude_input_prompt = True
    config.TemplateExporter.exclude_output_prompt = True
    config.HTMLExporter.embed_images = True
    exporter = HTMLExporter(config=config, template_name="lab", template_file="crmlab_report.html.j2",
                            extra_loaders=[DictLoader({"crmlab_report.html.j2": _TEMPLATE})])
    nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb)
    return body
