"""Every lesson follows the house opening, is stored clean, and keeps its promises.

Executing them is nbval's job (`pytest --nbval-lax notebooks`, part of `make test`).
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from crmlab.datasets import TABLES

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb")) + sorted((ROOT / "exercises" / "source").glob("*.ipynb"))
# What JupyterLab leaves alone before it looks for $...$ formulas: fenced code, code spans and
# $$ display formulas. Any other `$` may pair with the next one, even an escaped `\$`: Lab 4.6
# turns `\$` into `$` before MathJax runs (seen in Chromium, tests/test_browser.py, lesson 05).
_DOLLAR_TOKENS = re.compile(r"```.*?```|`[^`\n]*`|\$\$.*?\$\$|\\?\$", re.S)


def _read(path):
    return nbformat.read(path, as_version=4)


def test_there_are_lessons():
    assert [p.name for p in LESSONS][:1] == ["00_welcome.ipynb"]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_name_is_numbered(path):
    assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name)


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_stored_without_outputs(path):
    nb = _read(path)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_opening(path):
    nb = _read(path)
    first = nb.cells[0]
    number = path.name[:2]
    assert first.cell_type == "markdown" and first.source.startswith(f"# {number} · ")
    assert "**You will learn**" in first.source
    objectives = re.findall(r"^- ", first.source.split("**You will learn**")[1].split("**")[0], re.M)
    assert 2 <= len(objectives) <= 5
    assert re.search(r"\*\*Time\*\*: about \d+ minutes", first.source)
    assert "**The business question.**" in first.source
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert re.match(r"(import|from) ", code[0].source), "the first code cell holds the imports"
    imports_elsewhere = [c for c in code[1:] if re.search(r"^(import|from \S+ import) ", c.source, re.M)]
    assert not imports_elsewhere, "keep every import in the one import cell"
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0] is code[1]


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_plot_cells_end_with_show(path):
    for cell in _read(path).cells:
        if cell.cell_type == "code" and re.search(r"\b(sns|plt|ax)\.\w+\(", cell.source) and "subplots" in cell.source:
            assert cell.source.rstrip().endswith("plt.show()")


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_ends_with_a_recap_and_a_quiz(path):
    cells = _read(path).cells
    recap = [i for i, c in enumerate(cells) if c.cell_type == "markdown" and "## Recap" in c.source]
    assert recap and recap[0] >= len(cells) - 6, "the recap belongs at the end"
    if path.name != "00_welcome.ipynb":  # lesson 00's quiz is in its exercises
        tail = "\n".join(c.source for c in cells[recap[0]:] if c.cell_type == "code")
        assert "ex.quiz(" in tail, "end with a short quiz: ex.quiz(...)"


def test_welcome_diagram_shows_every_clean_table():
    text = "\n".join(c.source for c in _read(ROOT / "notebooks" / "00_welcome.ipynb").cells)
    diagram = text.split("```mermaid")[1].split("```")[0]
    for name in TABLES:
        if not name.startswith("raw_"):
            assert re.search(rf"\b{name}\b", diagram), f"the diagram misses `{name}`"


def _bare_dollars(markdown: str) -> list[str]:
    """The lines holding a `$` that JupyterLab could pair with another into a LaTeX formula."""
    lines = []
    for match in _DOLLAR_TOKENS.finditer(markdown):
        if match.group(0) in ("$", "\\$"):
            start = markdown.rfind("\n", 0, match.start()) + 1
            end = markdown.find("\n", match.end())
            lines.append(markdown[start:end if end >= 0 else None])
    return lines


def test_the_dollar_check_finds_currency_pairs():
    assert _bare_dollars("one day of $757.98) and the first order of $456.97.") == [
        "one day of $757.98) and the first order of $456.97."] * 2
    assert _bare_dollars("one day of USD 757.98 and `df['$x']`, and $$\\frac{a}{b}$$") == []
    assert _bare_dollars("an escaped \\$5") == ["an escaped \\$5"]
    assert _bare_dollars("```\nprint('$1 and $2')\n```\nin US$") == ["in US$"]


@pytest.mark.parametrize("path", LESSONS + EXERCISES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_dollar_sign_can_become_a_formula(path):
    """JupyterLab typesets the text between two `$` of a paragraph as LaTeX ("$757.98 ... $456.97"
    became a formula in lesson 05), escaped or not: Markdown writes money as "USD 757.98"."""
    bare = [line for c in _read(path).cells if c.cell_type == "markdown" for line in _bare_dollars(c.source)]
    assert not bare, f"write money as 'USD 757.98', not with `$`, in {path.name}: {bare[:3]}"
