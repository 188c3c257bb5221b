"""The answer key: the authors' solution notebooks, executed, as pages an instructor opens offline.

``crmlab answer-key`` (:func:`build_answer_key`) runs every exercise source,
``exercises/source/NN_slug_exercises.ipynb`` (the authors' notebooks, solutions in place; the
student copies are generated from them), in *solution* mode with the course runner
(:func:`crmlab.runner.run_jobs`: a worker process per notebook, a time limit each, every check
must say correct), and writes into ``build/answer-key/``:

- ``NN_slug_exercises.ipynb``: the executed notebook, every answer and its check's feedback;
- ``NN_slug_exercises.html``: the same as one self-contained page. nbconvert's ``lab`` template
  loads require.js, MathJax, Mermaid and the widget manager from public CDNs; these pages leave
  them out (nothing in the notebooks needs them) and no ``src`` or ``href`` points outside;
- ``NN_slug_exercises.log``: what the kernel printed on its own, when it printed anything;
- ``index.html``: the list of pages, with each notebook's verdict and its checks.

The pages hold the solutions: keep them away from a class that has not handed in yet.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import NoReturn

import nbformat

from crmlab.errors import CrmlabError
from crmlab.runner import DEFAULT_TIMEOUT, Job, RunnerError, RunResult, discover, run_jobs, summary

__all__ = [
    "DEFAULT_OUT", "AnswerKey", "AnswerKeyError", "KeyPage", "answer_key_main", "build_answer_key",
    "check_lines", "offline_html", "outside_urls", "solution_notebooks",
]

DEFAULT_OUT = "build/answer-key"
SOURCES = Path("exercises") / "source"
_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
# nbconvert's lab page without the scripts it fetches from CDNs (require.js, MathJax, Mermaid, widgets).
_TEMPLATE_NAME = "crmlab-offline.html.j2"
_TEMPLATE = """{%- extends 'index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
"""
_OUTSIDE = re.compile(r"""\s(?:src|href)\s*=\s*(["'])\s*(?:https?:)?//.*?\1""", re.IGNORECASE | re.DOTALL)
_HEADLINE = re.compile(r"^(q\d+) · ([^:\n]+):")
_CHECK_CALL = re.compile(r"\.check\(|\bex\.quiz\(")


class AnswerKeyError(CrmlabError, ValueError):
    """The answer key cannot be built as asked (an unknown lesson, no sources); the message says why."""


@dataclass(frozen=True)
class KeyPage:
    """One lesson of the answer key: its executed notebook, its page, the run and its checks."""

    lesson: str
    title: str
    result: RunResult
    html: Path | None
    checks: tuple[tuple[str, str], ...]

    @property
    def notebook(self) -> Path:
        return self.result.output


@dataclass(frozen=True)
class AnswerKey:
    """What :func:`build_answer_key` wrote: the pages, in course order, and the index."""

    out_dir: Path
    pages: tuple[KeyPage, ...]
    index: Path

    @property
    def ok(self) -> bool:
        """True when every notebook ran, every check passed and every page was written."""
        return all(page.result.ok and page.html is not None for page in self.pages)


def solution_notebooks(root: str | os.PathLike = ".", lessons: Iterable[str] | None = None) -> list[Path]:
    """The exercise sources of ``root`` (``exercises/source/NN_slug_exercises.ipynb``), in course order.

    ``lessons`` keeps some: each a number (``"05"``) or a lesson id (``"05_rfm"``).

    Examples
    --------
    >>> [p.name for p in solution_notebooks(lessons=["00", "05_rfm"])]
    ['00_welcome_exercises.ipynb', '05_rfm_exercises.ipynb']
    >>> solution_notebooks(lessons=["99"])
    Traceback (most recent call last):
    ...
    crmlab.classroom.answer_key.AnswerKeyError: No exercise source for lesson '99' in exercises/source: ...
    """
    folder = Path(root) / SOURCES
    found = discover([folder]) if folder.is_dir() else []
    if not found:
        raise AnswerKeyError(f"No exercise sources (NN_slug_exercises.ipynb) in {folder}: run this from the "
                             "course folder.")
    if lessons is None:
        return found
    chosen = []
    for wanted in lessons:
        match = [p for p in found if _lesson_id(p) == wanted or _lesson_id(p).split("_")[0] == wanted]
        if not match:
            known = ", ".join(_lesson_id(p) for p in found)
            raise AnswerKeyError(f"No exercise source for lesson {wanted!r} in {SOURCES.as_posix()}: give a number "
                                 f"or a lesson id, one of {known}.")
        chosen += [p for p in match if p not in chosen]
    return sorted(chosen)


def _lesson_id(source: Path) -> str:
    return source.name.removesuffix("_exercises.ipynb")


def check_lines(notebook: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """``(question, headline)`` of every check in an executed notebook, in order.

    A check is the output of a cell calling ``.check(`` or ``ex.quiz(``, whose text starts
    ``q1 · Correct: ...`` (a reflection: ``Recorded (not checked automatically)``).

    Examples
    --------
    >>> cell = nbformat.v4.new_code_cell("ex.q1.check(n)", outputs=[nbformat.v4.new_output(
    ...     "execute_result", {"text/plain": "q1 · Correct: Well done.\\n2 of 2 checks passed"})])
    >>> check_lines(nbformat.v4.new_notebook(cells=[cell]))
    [('q1', 'Correct')]
    """
    found = []
    for cell in notebook.cells:
        if cell.cell_type != "code" or not _CHECK_CALL.search(cell.source):
            continue
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/plain", "") or output.get("text", "")
            match = _HEADLINE.match("".join(text) if isinstance(text, list) else text)
            if match:
                found.append((match.group(1), match.group(2).strip()))
    return found


class _Resources(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            text = (value or "").strip().lower()
            if key in ("src", "href") and text.startswith(("http://", "https://", "//")):
                self.urls.append(value.strip())


def outside_urls(page: str) -> list[str]:
    """Every ``src`` and ``href`` of an HTML page that points outside this machine.

    Examples
    --------
    >>> outside_urls('<script src="https://cdn.example/x.js"></script><a href="index.html">key</a>')
    ['https://cdn.example/x.js']
    """
    parser = _Resources()
    parser.feed(page)
    parser.close()
    return parser.urls


def offline_html(notebook: nbformat.NotebookNode) -> str:
    """An executed notebook as one HTML page that fetches nothing: no script, style or link outside.

    nbconvert's ``lab`` page without its CDN scripts (require.js, MathJax, Mermaid, the widget
    manager); widget views show their text form; images are embedded; any ``src``/``href`` left
    that points outside (a link in the text) is removed, the text kept.

    Examples
    --------
    >>> page = offline_html(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
    ...     "See [the docs](https://example.org).")]))
    >>> outside_urls(page), "the docs" in page
    ([], True)
    """
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter

    notebook = _without_widget_views(notebook)
    exporter = HTMLExporter(template_name="lab", template_file=_TEMPLATE_NAME, embed_images=True,
                            extra_loaders=[DictLoader({_TEMPLATE_NAME: _TEMPLATE})])
    body, _ = exporter.from_notebook_node(notebook)
    body = _OUTSIDE.sub("", body)
    left = outside_urls(body)
    if left:
        raise AnswerKeyError(f"The page would still fetch {left[0]} from outside; it was not written.")
    return body


def _without_widget_views(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    notebook = nbformat.from_dict(notebook)  # a copy
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if _WIDGET_VIEW in data and len(data) > 1:
                del data[_WIDGET_VIEW]
    return notebook


def build_answer_key(
    out_dir: str | os.PathLike = DEFAULT_OUT,
    lessons: Iterable[str] | None = None,
    *,
    root: str | os.PathLike = ".",
    jobs_at_once: int = 2,
    timeout: float | None = DEFAULT_TIMEOUT,
    echo: Callable[[str], object] = print,
) -> AnswerKey:
    """Execute the exercise sources in solution mode and write the answer key into ``out_dir``.

    Parameters
    ----------
    out_dir : path
        The folder of the key, relative to ``root`` (default ``build/answer-key``).
    lessons : iterable of str, optional
        Only these lessons (``"00"`` or ``"00_welcome"``); by default all.
    root : path
        The course folder.
    jobs_at_once, timeout
        As for :func:`crmlab.runner.run_jobs`: notebooks run at once, seconds per notebook.
    echo : callable
        Gets the runner's line for each notebook as it finishes.

    Returns
    -------
    AnswerKey
        The pages and the index; ``.ok`` is False when a notebook failed (its page shows how far
        it got).

    Raises
    ------
    AnswerKeyError
        An unknown lesson, or no exercise sources under ``root``.
    crmlab.runner.RunnerError
        An ``out_dir`` that would overwrite something (see :func:`crmlab.runner.check_outputs`).
    """
    root = Path(root).resolve()
    sources = solution_notebooks(root, lessons)
    target = (root / out_dir).resolve()
    jobs = [Job(Path(source.name), "solution") for source in sources]
    # The runner keeps a notebook's path relative to the current folder: run from the sources'
    # folder, so the executed copies land straight in the key's folder.
    with contextlib.chdir(root / SOURCES):
        results = run_jobs(jobs, out_dir=target, jobs_at_once=jobs_at_once, echo=echo, timeout=timeout)
    pages = tuple(_page(source, result) for source, result in zip(sources, results, strict=True))
    index = target / "index.html"
    index.write_text(_index_page(pages, target), encoding="utf-8")
    return AnswerKey(target, pages, index)


def _page(source: Path, result: RunResult) -> KeyPage:
    title = _lesson_id(source)
    checks: tuple[tuple[str, str], ...] = ()
    page = None
    try:
        executed = nbformat.read(result.output, as_version=4)
    except (OSError, ValueError):
        executed = None
    if executed is not None:
        first = next((c.source for c in executed.cells if c.cell_type == "markdown"), "")
        title = first.splitlines()[0].lstrip("# ").strip() if first.strip() else title
        checks = tuple(check_lines(executed))
        page = result.output.with_suffix(".html")
        page.write_text(offline_html(executed), encoding="utf-8")
    return KeyPage(_lesson_id(source), title, result, page, checks)


_STYLE = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}
.ok{color:#2e7d32}.failed{color:#c62828;font-weight:bold}"""


def _index_page(pages: Sequence[KeyPage], folder: Path) -> str:
    rows = []
    for page in pages:
        result = page.result
        verdict = "ok" if result.ok else f"{result.verdict}: {result.error.strip()[:200]}"
        counts = {}
        for _, headline in page.checks:
            counts[headline] = counts.get(headline, 0) + 1
        said = "; ".join(f"{n} {headline.lower()}" for headline, n in counts.items()) or "none found"
        links = [f'<a href="{html.escape(os.path.relpath(path, folder))}">{label}</a>'
                 for label, path in (("page", page.html), ("notebook", result.output)) if path and path.exists()]
        rows.append(f"<tr><td>{html.escape(page.title)}</td><td class=\"{'ok' if result.ok else 'failed'}\">"
                    f"{html.escape(verdict)}</td><td>{html.escape(said)}</td><td>{result.seconds:.0f} s</td>"
                    f"<td>{' · '.join(links)}</td></tr>")
    stamp = time.strftime("%Y-%m-%d %H:%M %Z")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>crmlab answer key</title><style>{_STYLE}</style></head>
<body><h1>crmlab: the answer key</h1>
<p>The authors' exercise notebooks (<code>exercises/source/</code>), executed in solution mode on {stamp}:
every check must say correct; a reflection is recorded and shows its rubric. For instructors only: these
pages hold the solutions. The instructor guide is <code>docs/instructors.md</code>.</p>
<table><thead><tr><th>exercises</th><th>run</th><th>checks</th><th>time</th><th>open</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table></body></html>
"""


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, e.g. 600, but {text!r} was passed") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be more than 0, but {text!r} was passed")
    return value


def _whole(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number, 1 or more, but {text!r} was passed")
    return int(text)


def answer_key_main(argv: Sequence[str] | None = None) -> int:
    """``crmlab answer-key [--out DIR] [--lesson NN ...]``: exit 0 written, 1 a notebook failed, 2 usage error."""
    parser = _OneLineParser(prog="crmlab answer-key", description="Execute the authors' exercise notebooks in "
                            "solution mode and write them, with self-contained HTML pages and an index, for "
                            "instructors. Exit status: 0 every check correct, 1 a notebook failed, 2 usage error.")
    parser.add_argument("--out", default=DEFAULT_OUT, metavar="DIR", help=f"folder of the key (default: {DEFAULT_OUT})")
    parser.add_argument("--lesson", action="append", dest="lessons", metavar="NN",
                        help="only this lesson, e.g. 05 or 05_rfm (repeat for more; default: all)")
    parser.add_argument("--jobs", type=_whole, default=2, help="notebooks run at once (default: 2)")
    parser.add_argument("--timeout", type=_positive, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help="time limit for each whole notebook (default: 600)")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    start = time.perf_counter()
    try:
        key = build_answer_key(args.out, args.lessons, jobs_at_once=args.jobs, timeout=args.timeout)
    except (AnswerKeyError, RunnerError) as exc:
        print(f"crmlab answer-key: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # the runner has already stopped its workers and their kernels
        print("\ncrmlab answer-key: stopped by Ctrl-C; the key was not finished.", file=sys.stderr)
        return 130
    print(summary([page.result for page in key.pages], time.perf_counter() - start))
    count = f"{len(key.pages)} notebook" + ("s" if len(key.pages) != 1 else "")
    print(f"Wrote the answer key ({count}) to {os.path.relpath(key.index)}")
    return 0 if key.ok else 1
