"""One source for exercise and solution: build student notebooks from the authors' ones.

Authors write ``exercises/source/NN_slug_exercises.ipynb`` with the solutions in place.
:func:`release` writes the student copy ``exercises/NN_slug_exercises.ipynb`` (the
``_exercises`` suffix keeps its JupyterLab tab apart from the lesson's ``NN_slug.ipynb``):

- cells tagged ``remove`` (self-tests, notes for authors) are dropped;
- in cells tagged ``solution``, the code between ``# BEGIN SOLUTION`` and
  ``# END SOLUTION`` (the whole cell when there are no markers) becomes blanks:
  ``x = <code>`` becomes ``x = ____``, ``return <code>`` becomes ``return ____``, a
  call such as ``ex.quiz("q4", answer="b")`` loses its ``answer=``, anything else
  goes; a block left empty becomes ``____``. A markdown cell tagged ``solution``
  becomes "*Write your answer here.*";
- outputs and execution counts are stripped, cell ids kept (stable), metadata
  reduced to tags and the kernel.

Student copies are generated, never edited: :func:`stale_copies` lists those that
are missing, out of date or without a source (for a test and ``crmlab release --check``).
"""

from __future__ import annotations

import ast
import hashlib
import re
import textwrap
from pathlib import Path

import nbformat

from crmlab.errors import CrmlabError

__all__ = ["ReleaseError", "blank_out", "release", "stale_copies", "student_notebook"]

SOLUTION_TAG, REMOVE_TAG = "solution", "remove"
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
_NAME = re.compile(r"^\d{2}_[a-z0-9_]+\.ipynb$")
_ANSWER_PLACEHOLDER = "*Write your answer here.*"


class ReleaseError(CrmlabError, ValueError):
    """A source notebook cannot be turned into a student copy."""


def blank_out(source: str) -> str:
    """Replace the solution code of one cell with blanks.

    Parameters
    ----------
    source : str
        A code cell's source, with or without BEGIN/END SOLUTION markers.

    Returns
    -------
    str
        The cell as the learner gets it.

    Examples
    --------
    >>> print(blank_out("n = orders['customer_id'].nunique()\\nn"))
    n = ____
    >>> print(blank_out("def f(x):\\n    # BEGIN SOLUTION\\n    y = x + 1\\n    return y\\n"
    ...                 "    # END SOLUTION"))
    def f(x):
        y = ____
        return ____
    """
    lines = source.splitlines()
    if not any(line.strip().startswith((BEGIN, END)) for line in lines):
        return "\n".join(_blank_block(lines, ""))
    out: list[str] = []
    block: list[str] | None = None
    indent = ""
    for number, line in enumerate(lines, start=1):
        marker = line.strip()
        if marker.startswith(BEGIN):
            if block is not None:
                raise ReleaseError(f"line {number}: {BEGIN} inside another solution block.")
            block, indent = [], line[: len(line) - len(line.lstrip())]
        elif marker.startswith(END):
            if block is None:
                raise ReleaseError(f"line {number}: {END} without {BEGIN} before it.")
            out += _blank_block(block, indent)
            block = None
        elif block is not None:
            block.append(line)
        else:
            out.append(line)
    if block is not None:
        raise ReleaseError(f"{BEGIN} without a matching {END}: add `{END}` after the solution.")
    return "\n".join(out)


def _blank_block(lines: list[str], indent: str) -> list[str]:
    code = textwrap.dedent("\n".join(lines))
    try:
        tree = ast.parse(code)
    except SyntaxError as exc:
        raise ReleaseError(
            f"The solution code does not parse ({exc.msg}, line {exc.lineno}): "
            "fix it in the source notebook."
        ) from exc
    out = [line for stmt in tree.body if (line := _blank_statement(stmt, code))]
    return [indent + line for line in out or ["____"]]


def _blank_statement(stmt: ast.stmt, code: str) -> str:
    def segment(node: ast.AST) -> str:
        return ast.get_source_segment(code, node)

    if isinstance(stmt, ast.Assign):
        return " = ".join(segment(t) for t in stmt.targets) + " = ____"
    if isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        return f"{segment(stmt.target)}: {segment(stmt.annotation)} = ____"
    if isinstance(stmt, ast.AugAssign):
        return f"{segment(stmt.target)} {_OPS[type(stmt.op)]}= ____"
    if isinstance(stmt, ast.Return):
        return "return ____"
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
        call = stmt.value
        if any(k.arg == "answer" for k in call.keywords):
            call.keywords = [k for k in call.keywords if k.arg != "answer"]
            return ast.unparse(call)
    return ""


_OPS = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
    ast.Mod: "%", ast.Pow: "**", ast.BitOr: "|", ast.BitAnd: "&", ast.MatMult: "@",
    ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>",
}  # fmt: skip


def student_notebook(source: nbformat.NotebookNode, name: str = "") -> nbformat.NotebookNode:
    """Build the student copy of an author's notebook (in memory).

    Parameters
    ----------
    source : NotebookNode
        The author's notebook, solutions included.
    name : str
        Its file name, used to derive ids for cells that have none.

    Returns
    -------
    NotebookNode
        Outputs stripped, solutions blanked, ``remove`` cells dropped.

    Examples
    --------
    >>> nb = nbformat.v4.new_notebook(cells=[
    ...     nbformat.v4.new_code_cell("x = 1 + 1", metadata={"tags": ["solution"]}),
    ...     nbformat.v4.new_code_cell("assert x == 2", metadata={"tags": ["remove"]})])
    >>> [c.source for c in student_notebook(nb).cells]
    ['x = ____']
    """
    cells, seen = [], set()
    for index, cell in enumerate(source.cells):
        tags = list(cell.get("metadata", {}).get("tags", []))
        if REMOVE_TAG in tags:
            continue
        cell_id = cell.get("id")
        if not cell_id or cell_id in seen:
            cell_id = hashlib.sha1(f"{name}:{index}".encode()).hexdigest()[:8]
        seen.add(cell_id)
        cells.append(_student_cell(cell, tags, cell_id, name))
    metadata = {key: source.metadata[key] for key in ("kernelspec",) if key in source.metadata}
    if "language_info" in source.metadata:
        metadata["language_info"] = {"name": source.metadata.language_info.get("name", "python")}
    return nbformat.v4.new_notebook(cells=cells, metadata=metadata)


def _student_cell(cell, tags: list[str], cell_id: str, name: str):
    keep = [t for t in tags if t != SOLUTION_TAG]
    metadata = {"tags": keep} if keep else {}
    source = cell.source
    if SOLUTION_TAG in tags and cell.cell_type == "code":
        try:
            source = blank_out(source)
        except ReleaseError as exc:
            raise ReleaseError(f"{name}, cell {cell_id}: {exc}") from exc
    elif SOLUTION_TAG in tags and cell.cell_type == "markdown":
        source = _ANSWER_PLACEHOLDER
    if cell.cell_type == "code":
        return nbformat.v4.new_code_cell(source, id=cell_id, metadata=metadata)
    if cell.cell_type == "markdown":
        return nbformat.v4.new_markdown_cell(source, id=cell_id, metadata=metadata)
    return nbformat.v4.new_raw_cell(source, id=cell_id, metadata=metadata)


def _render(notebook: nbformat.NotebookNode) -> str:
    text = nbformat.writes(notebook)
    return text if text.endswith("\n") else text + "\n"


def _sources(source_dir: Path) -> list[Path]:
    return sorted(p for p in Path(source_dir).glob("*.ipynb") if _NAME.match(p.name))


def _build(source: Path) -> str:
    notebook = nbformat.read(source, as_version=4)
    return _render(student_notebook(notebook, source.name))


def release(source_dir: str | Path = "exercises/source", out_dir: str | Path = "exercises") -> list[Path]:
    """Write every student notebook whose content changed; return those written.

    Parameters
    ----------
    source_dir : str or Path
        Folder of the authors' ``NN_slug_exercises.ipynb`` notebooks.
    out_dir : str or Path
        Folder of the student copies.

    Returns
    -------
    list of Path
        The student notebooks written (unchanged ones are left alone).
    """
    written = []
    for source in _sources(Path(source_dir)):
        target = Path(out_dir) / source.name
        text = _build(source)
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            written.append(target)
    return written


def stale_copies(
    source_dir: str | Path = "exercises/source", out_dir: str | Path = "exercises"
) -> list[str]:
    """Describe every student copy that is missing, out of date, or has no source.

    Returns
    -------
    list of str
        One sentence per problem; empty when the student copies are up to date.
    """
    problems = []
    sources = _sources(Path(source_dir))
    for source in sources:
        target = Path(out_dir) / source.name
        if not target.is_file():
            problems.append(f"{target} is missing: run `crmlab release`.")
        elif target.read_text(encoding="utf-8") != _build(source):
            problems.append(
                f"{target} is out of date with {source}: run `crmlab release` "
                "(student copies are generated, never edited by hand)."
            )
    names = {s.name for s in sources}
    for target in sorted(Path(out_dir).glob("*.ipynb")):
        if _NAME.match(target.name) and target.name not in names:
            problems.append(f"{target} has no source in {source_dir}: add one or delete it.")
    return problems
