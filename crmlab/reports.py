"""Reports for managers: a lesson run on a company's export, as one HTML page with no code.

``crmlab report 05_rfm --mapping mapping.toml`` runs the lesson with papermill (in a worker
process of the course runner, under a time limit) with ``MAPPING`` set, then keeps only the
cells tagged ``report`` and writes them with nbconvert as one self-contained page: their
outputs without the code, charts embedded as PNG images, no script or style sheet loaded
from the network. A Markdown cell tagged ``report`` is a finding and shown as it is; a cell
also tagged ``report-printed`` gives only what it prints, not the tables it displays (so a
sample of customers' contacts stays out of the page). A header states the data source, the
as-of date, the currency, when the page was generated and the active parameters.

A lesson without ``report`` tags, an unreadable mapping or a failing run raise
:class:`ReportError` with a one-line message, and no report file is written.
"""

from __future__ import annotations

import html
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import nbformat

from .errors import CrmlabError

__all__ = ["DEFAULT_TIMEOUT", "NOTEBOOKS", "ReportError", "build_report", "find_lesson", "report_cells"]

#: The course's lessons.
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
#: Seconds the whole lesson may run before it is stopped.
DEFAULT_TIMEOUT = 600.0
_TAG = "report"
#: With ``report``: only what the cell prints goes in (not tables it displays, e.g. customers' contacts).
_PRINTED = "report-printed"
_TITLES = {"05_rfm": "RFM segments"}
#: Section headings written above a report cell (by cell id), for lessons whose own headings teach.
_HEADINGS = {
    "05_rfm": {"l05-05b": "Purchases counted", "l05-37": "Where the customers are",
               "l05-40": "What each segment weighs", "l05-43": "Targeting lists"},
}
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


def build_report(lesson: str, mapping: str | os.PathLike, out_dir: str | os.PathLike = "reports",
                 timeout: float | None = DEFAULT_TIMEOUT) -> Path:
    """Run ``lesson`` on the export that ``mapping`` describes and write its report page.

    Parameters
    ----------
    lesson : str
        A lesson with cells tagged ``report``: ``"05_rfm"`` (or ``"05"``).
    mapping : path
        The export's mapping file (TOML, see ``datasets/examples/mapping.toml``).
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
        With a one-line message: unknown lesson, lesson without ``report`` cells, a mapping
        that cannot be read, a cell that failed, a run out of time. No page is written then.

    Examples
    --------
    Not run here (the lesson takes a while; ``tests/test_reports.py`` runs it):

    >>> build_report("05_rfm", "datasets/examples/mapping.toml", "reports")  # doctest: +SKIP
    PosixPath('reports/05_rfm_report.html')
    """
    from .datasets.mapping import read_mapping

    source = find_lesson(lesson)
    if not report_cells(source):
        raise ReportError(f"{source.stem} has no cells tagged 'report', so it has no report; "
                          "tag the cells a manager should see with 'report'")  # fmt: skip
    try:
        export = read_mapping(mapping)
    except (ValueError, OSError) as err:  # MappingError is a ValueError
        raise ReportError(_one_line(err)) from None
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ReportError(f"the output folder {str(out)!r} is a file; give a folder with --out")
    parameters = {"MAPPING": str(Path(mapping).resolve())}
    with tempfile.TemporaryDirectory(prefix="crmlab-report-") as work:
        executed = _run(source, Path(work), parameters, timeout)
        page = _render(executed, source, export, parameters)
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


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__


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
        raise ReportError(f"{source.stem} failed on this export: {_one_line(result.error)}")
    return nbformat.read(result.output, as_version=4)


def _header(title: str, export, parameters: dict, source: Path) -> str:
    from papermill.inspection import inspect_notebook

    conventions = export.conventions
    active = {name: spec["default"] for name, spec in inspect_notebook(str(source)).items()}
    active.update({k: repr(Path(v).name) for k, v in parameters.items()})  # the name, not the analyst's folders
    rows = "\n".join(f"| {_code(k)} | {_code(v)} |" for k, v in active.items())
    facts = [f"**Data source:** {html.escape(export.source.name)}, export folder "
             f"{html.escape(export.folder.name)}"]  # fmt: skip
    if conventions is not None:
        facts += [f"**Data up to (as of):** {conventions.as_of:%Y-%m-%d}", f"**Currency:** {conventions.currency}",
                  f"**Clock:** {html.escape(conventions.timezone)}"]  # fmt: skip
    facts.append(f"**Generated:** {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    return (f"# {html.escape(title)}\n\n" + "  \n".join(facts)
            + f"\n\n**Parameters of this run**\n\n| parameter | value |\n|---|---|\n{rows}\n")


def _code(value: object) -> str:
    """A Markdown code span showing ``value`` as it is (the renderer escapes its HTML)."""
    text = " ".join(str(value).split()).replace("`", "'").replace("|", "\\|")
    return f"`{text}`"


def _render(nb: nbformat.NotebookNode, source: Path, export, parameters: dict) -> str:
    """Only the ``report`` cells, without code, behind a header; one self-contained page."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    headings = _HEADINGS.get(source.stem, {})
    header = _header(_TITLES.get(source.stem, source.stem), export, parameters, source)
    cells = [nbformat.v4.new_markdown_cell(header, id="report-header")]
    for cell in nb.cells:
        if _TAG not in cell.metadata.get("tags", []):
            continue
        if _PRINTED in cell.metadata["tags"]:
            cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") == "stream"]
        if cell.get("id") in headings:
            cells.append(nbformat.v4.new_markdown_cell(f"## {headings[cell['id']]}", id=f"report-{len(cells)}"))
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
    nb.metadata["title"] = f"{_TITLES.get(source.stem, source.stem)}: {export.source.name}"
    body, _ = exporter.from_notebook_node(nb)
    return body
