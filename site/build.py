"""Build the course website: ``python site/build.py`` (``make site``), pages in ``build/site/``.

One command, offline:

1. **Executed lessons.** The site shows each lesson as ``crmlab run`` (``make course``) executed
   it into ``build/notebooks/``. A lesson whose executed copy is missing, failed, or no longer
   matches the lesson's cells is run first by the same runner (``--no-execute`` renders the
   lesson without outputs instead).
2. **Sources.** ``build/site-src/`` is assembled from the repository, never by hand: the index
   (``site/index.md``, with the lesson table filled in from each lesson's first cell), the
   lessons, and the instructor guide, syllabus and glossary from ``docs/``. The folders keep the
   repository's layout, so a link such as ``../docs/glossary.md`` in a lesson works on the site
   as in JupyterLab. A link to a file that is not a page (an exercise notebook, a README) becomes
   a download of that file; each widget output becomes a note saying where to use it.
3. **Sphinx** (configuration: ``site/conf.py``) writes the HTML into ``build/site/``.
4. **Checks.** :func:`check_site` parses every page: every internal link and anchor must
   resolve, and no page may load anything (script, style sheet, image, font) from outside.
   The build fails, naming each problem, otherwise.

It is a script beside ``conf.py`` rather than a module of the ``crmlab`` package: the package is
what learners install and import, while the site is built by instructors and CI, with Sphinx
from the ``dev`` dependency group.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

import nbformat

__all__ = ["DOC_PAGES", "BuildResult", "assemble", "build", "check_site", "lesson_summary", "lessons", "main"]

SITE = Path(__file__).resolve().parent
ROOT = SITE.parent
#: The pages from docs/, in the order of the navigation; the index's toctrees name them too.
DOC_PAGES = ("docs/instructors.md", "docs/syllabus.md", "docs/glossary.md")
_MARKER = ".crmlab-site-src"  # marks a folder this script assembled (and may empty again)
_LESSONS_MARKER = "<!-- lessons -->"
_WIDGET = "application/vnd.jupyter.widget-view+json"
_WIDGET_NOTE = ('<p class="crmlab-widget-note"><em>Interactive {what}: open this lesson in JupyterLab '
                "(<code>make lab</code>) to use it.</em></p>")
_WIDGET_REPR = re.compile(r"^\w+\((children|value|layout)=")
_PLACEHOLDER = """# Instructor guide

*The instructor guide, `docs/instructors.md`, was not written yet when this site was built.*
Rebuild the site (`make site`) once it exists. Until then the [syllabus](syllabus.md) shows
where each idea is taught, and the [lessons](../index.md) give their objectives and times.
"""
# A Markdown link or image target: ](target) or ](target "title").
_LINK = re.compile(r"(\]\(\s*)(<[^>\n]*>|[^)\s]+)")
_TIME = re.compile(r"about \d+ minutes(?: in (?:two|three) parts \([^)]*\))?")


def lessons(root: Path = ROOT) -> list[Path]:
    """The lessons, ``notebooks/NN_slug.ipynb``, in course order."""
    return sorted((root / "notebooks").glob("[0-9][0-9]_*.ipynb"))


# --------------------------------------------------------------------------- executed copies
def _cells(nb) -> list[tuple[str, str]]:
    return [(c.cell_type, c.source) for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]


def _executed_copy(lesson: Path, executed_dir: Path, root: Path) -> Path | None:
    """The runner's executed copy of ``lesson`` if it ran without error and has the lesson's cells."""
    copy_path = executed_dir / lesson.relative_to(root)
    try:
        executed = nbformat.read(copy_path, as_version=4)
        source = nbformat.read(lesson, as_version=4)
    except (OSError, ValueError):
        return None
    run = executed.metadata.get("papermill", {})
    if not run or run.get("exception") or _cells(executed) != _cells(source):
        return None
    return copy_path


def _run_lessons(missing: Sequence[Path], executed_dir: Path, root: Path, timeout: float,
                 echo: Callable[[str], object]) -> list[str]:
    """Run ``missing`` lessons with the course runner into ``executed_dir``; the failures, one line each."""
    from crmlab.runner import Job, run_jobs

    echo(f"Running {len(missing)} lesson(s) without a current executed copy (as make course does):")
    with contextlib.chdir(root):
        jobs = [Job(p.relative_to(root)) for p in missing]
        results = run_jobs(jobs, out_dir=executed_dir, echo=echo, timeout=timeout)
    return [f"{r.notebook.as_posix()}: {r.verdict} {r.error.strip()[:160]}".rstrip() for r in results if not r.ok]


# --------------------------------------------------------------------------- assembling sources
@dataclass
class _Tree:
    """The assembled source folder: files written only when changed, leftovers removed."""

    path: Path
    written: set[Path] = field(default_factory=set)

    def write(self, rel: str | PurePosixPath, data: str | bytes) -> None:
        target = self.path / rel
        data = data.encode() if isinstance(data, str) else data
        if not (target.exists() and target.read_bytes() == data):
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        self.written.add(target)

    def prune(self) -> None:
        keep = {self.path / _MARKER}
        for path in sorted(self.path.rglob("*"), reverse=True):
            if path.is_file() and path not in self.written | keep and "_doctrees" not in path.parts:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()


def _open_tree(src: Path) -> _Tree:
    if src.exists() and any(src.iterdir()) and not (src / _MARKER).exists():
        raise ValueError(f"{src} is not empty and was not made by site/build.py: "
                         "choose another --src folder (default: build/site-src).")
    src.mkdir(parents=True, exist_ok=True)
    (src / _MARKER).write_text("Assembled by site/build.py: every file here is rewritten at each build.\n")
    return _Tree(src)


@dataclass
class _Links:
    """Rewrites links of the assembled pages; collects the files they need besides the pages.

    Pages keep the repository's layout on the site, so links between pages stay as written.
    A Markdown file of ``docs/`` that a page links to becomes a page too (out of the
    navigation: ``extra``). Any other file of the repository is copied to ``_repo/`` and linked
    as a download (MyST's ``path:``). Missing files and folders are left as they are, for Sphinx
    and :func:`check_site` to report.
    """

    root: Path
    pages: set[str]
    extra: set[str] = field(default_factory=set)
    downloads: set[str] = field(default_factory=set)

    def rewrite(self, text: str, origin: PurePosixPath) -> str:
        """``text`` of a page whose file is in the repository folder ``origin``, its links mapped."""
        def fix(match: re.Match) -> str:
            target = match.group(2).strip("<>")
            parts = urlsplit(target)
            if parts.scheme or parts.netloc or target.startswith(("#", "/")) or not parts.path:
                return match.group(0)
            repo_path = PurePosixPath(os.path.normpath(origin / unquote(parts.path)))
            rel = repo_path.as_posix()
            if rel in self.pages | self.extra or repo_path.parts[:1] == ("..",) or not (self.root / rel).is_file():
                return match.group(0)
            if repo_path.parts[0] == "docs" and repo_path.suffix == ".md":
                self.extra.add(rel)
                return match.group(0)
            self.downloads.add(rel)
            link = PurePosixPath(os.path.relpath(PurePosixPath("_repo") / repo_path, origin))
            return f"{match.group(1)}<path:{link.as_posix()}>"

        return _LINK.sub(fix, text)


def _widget_free(nb) -> None:
    """Put a note in place of each widget output (the site loads no widget JavaScript)."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        outputs = []
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if _WIDGET not in data:
                outputs.append(out)
                continue
            text = data.get("text/plain", "")
            readable = text and not _WIDGET_REPR.match(text)
            what = "quiz" if readable and re.match(r"q\d+\.", text) else "widget"
            outputs.append(nbformat.v4.new_output("display_data", {"text/html": _WIDGET_NOTE.format(what=what)}))
            if readable:
                outputs.append(nbformat.v4.new_output("display_data", {"text/plain": text}))
        if cell.cell_type == "code":
            cell.outputs = outputs


def _first_cell(nb) -> str:
    return next((c.source for c in nb.cells if c.cell_type == "markdown"), "")


def lesson_summary(lesson: Path) -> dict[str, str]:
    """Title and time of a lesson, read from its first Markdown cell.

    Examples
    --------
    >>> s = lesson_summary(ROOT / "notebooks" / "00_welcome.ipynb")
    >>> s["title"], s["time"]
    ('00 · Welcome to crmlab', 'about 20 minutes')
    """
    first = _first_cell(nbformat.read(lesson, as_version=4))
    title = next((line[2:].strip() for line in first.splitlines() if line.startswith("# ")), lesson.stem)
    time_match = _TIME.search(first.split("**Time**", 1)[-1]) if "**Time**" in first else None
    return {"title": title, "time": time_match.group(0) if time_match else ""}


def _index(root: Path, lesson_paths: Sequence[Path]) -> str:
    rows = ["| lesson | time |", "|---|---|"]
    for lesson in lesson_paths:
        s = lesson_summary(lesson)
        rows.append(f"| [{s['title']}](notebooks/{lesson.name}) | {s['time'] or '(not stated)'} |")
    text = (SITE / "index.md").read_text(encoding="utf-8")
    return text.replace(_LESSONS_MARKER, "\n".join(rows), 1)


def assemble(src: Path, *, root: Path = ROOT, executed_dir: Path | None = None,
             echo: Callable[[str], object] = print) -> dict[str, list[str]]:
    """Assemble the site's sources into ``src``; which lessons have outputs, which pages are placeholders."""
    executed_dir = root / "build" if executed_dir is None else executed_dir
    tree = _open_tree(src)
    lesson_paths = lessons(root)
    links = _Links(root, {p.relative_to(root).as_posix() for p in lesson_paths} | set(DOC_PAGES))
    report: dict[str, list[str]] = {"executed": [], "without_outputs": [], "placeholders": []}

    tree.write("index.md", links.rewrite(_index(root, lesson_paths), PurePosixPath(".")))
    for page in DOC_PAGES:
        path = root / page
        if path.exists():
            text = path.read_text(encoding="utf-8")
        else:
            echo(f"site/build.py: {page} does not exist yet: the site shows a placeholder page in its place.")
            report["placeholders"].append(page)
            text = _PLACEHOLDER
        tree.write(page, links.rewrite(text, PurePosixPath(page).parent))
    for lesson in lesson_paths:
        rel = lesson.relative_to(root).as_posix()
        executed = _executed_copy(lesson, executed_dir, root)
        nb = nbformat.read(executed or lesson, as_version=4)
        report["executed" if executed else "without_outputs"].append(rel)
        _widget_free(nb)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = links.rewrite(cell.source, PurePosixPath(rel).parent)
        tree.write(rel, nbformat.writes(nb))
    done: set[str] = set()
    while links.extra - done:  # docs linked from pages, and the docs they link to
        rel = min(links.extra - done)
        done.add(rel)
        text = (root / rel).read_text(encoding="utf-8")
        text = links.rewrite(text, PurePosixPath(rel).parent)
        front = "---\norphan: true\n" + ("" if text.startswith("---\n") else "---\n\n")
        tree.write(rel, front + text.removeprefix("---\n"))
    for rel in sorted(links.downloads):
        tree.write(PurePosixPath("_repo") / rel, (root / rel).read_bytes())
    tree.prune()
    return report


# --------------------------------------------------------------------------- checking the pages
class _Page(HTMLParser):
    """The ids, links, outside resources, navigation links and text of one HTML page."""

    _RESOURCE_ATTRS = {"src", "data-src", "poster"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.external: list[str] = []
        self.nav_links: list[str] = []
        self.text: list[str] = []
        self._nav_depth = 0
        self._skip_depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(key):
                self.ids.add(attrs[key])
        if tag == "nav":
            self._nav_depth += 1
        if tag in ("script", "style"):
            self._skip_depth += 1
        for key, value in attrs.items():
            if value is None:
                continue
            resource = key in self._RESOURCE_ATTRS or (tag == "link" and key == "href")
            if resource and _is_outside(value):
                self.external.append(f"<{tag} {key}={value!r}>")
            elif key in ("href", "src") and not _is_outside(value) and not urlsplit(value).scheme:
                self.links.append(value)
        if tag == "a" and self._nav_depth and attrs.get("href"):
            self.nav_links.append(attrs["href"])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in ("nav", "script", "style"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag == "nav" and self._nav_depth:
            self._nav_depth -= 1
        if tag in ("script", "style") and self._skip_depth:
            self._skip_depth -= 1

    def handle_data(self, data):
        if not self._skip_depth:
            self.text.append(data)


def _is_outside(url: str) -> bool:
    return url.strip().lower().startswith(("http://", "https://", "//", "ftp://"))


def parse_page(path: Path) -> _Page:
    """The parsed page: ``ids``, ``links``, ``external`` resources, ``nav_links`` and ``text``."""
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


_CSS_URL = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])([^'")\s]+)""")


def check_site(site: Path) -> list[str]:
    """Every problem of the built site, one line each; an empty list when there is none.

    - an internal link (``href``/``src``) to a file that does not exist, or to an anchor
      (``#id``) that the target page does not have;
    - a resource loaded from outside: a ``src=`` or ``<link href=>`` with an ``http(s)://``
      or ``//`` URL, or a style sheet's ``url()``/``@import`` of one.
    """
    site = site.resolve()
    # _static/ holds the theme's Jinja macro files (*.html too): assets, not pages.
    pages = {p: parse_page(p) for p in sorted(site.rglob("*.html")) if "_static" not in p.relative_to(site).parts}
    problems: list[str] = []
    for path, page in pages.items():
        where = path.relative_to(site).as_posix()
        problems += [f"{where}: loads {ext} from outside" for ext in page.external]
        for link in page.links:
            problem = _link_problem(path, link, site, pages)
            if problem:
                problems.append(f"{where}: broken link {link!r}: {problem}")
    for css in sorted(site.rglob("*.css")):
        for url in _CSS_URL.findall(css.read_text(encoding="utf-8", errors="replace")):
            if _is_outside(url):
                problems.append(f"{css.relative_to(site).as_posix()}: loads {url} from outside")
    return problems


def _link_problem(page_path: Path, link: str, site: Path, pages: dict[Path, _Page]) -> str:
    parts = urlsplit(link)
    if parts.path:
        target = (page_path.parent / unquote(parts.path)).resolve()
        if target != site and site not in target.parents:
            return "points outside the site"
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            return f"no file {target.relative_to(site).as_posix()}"
    else:
        target = page_path
    fragment = unquote(parts.fragment)
    if fragment and target.suffix == ".html":
        if target not in pages:
            pages[target] = parse_page(target)
        if fragment not in pages[target].ids and ("/" in fragment or fragment.endswith((".md", ".ipynb"))):
            return "Sphinx could not resolve this link's target (a file that is not a page of the site?)"
        if fragment not in pages[target].ids:
            return f"no anchor #{fragment} in {target.relative_to(site).as_posix()}"
    return ""


# --------------------------------------------------------------------------- the build
@dataclass
class BuildResult:
    """What a build made, and what went wrong (``problems`` empty: the site is good)."""

    site: Path
    seconds: float
    report: dict[str, list[str]]
    warnings: list[str]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def build(out: Path = ROOT / "build" / "site", src: Path = ROOT / "build" / "site-src", *, root: Path = ROOT,
          executed_dir: Path | None = None, execute: bool = True, timeout: float = 600.0, jobs: int = 2,
          echo: Callable[[str], object] = print) -> BuildResult:
    """Assemble the sources, run lessons without a current executed copy (if ``execute``), build, check."""
    from sphinx.cmd.build import build_main

    start = time.perf_counter()
    executed_dir = root / "build" if executed_dir is None else executed_dir
    problems: list[str] = []
    if execute:
        missing = [p for p in lessons(root) if _executed_copy(p, executed_dir, root) is None]
        if missing:
            problems += [f"lesson failed: {line}" for line in _run_lessons(missing, executed_dir, root, timeout, echo)]
    report = assemble(src, root=root, executed_dir=executed_dir, echo=echo)
    warnings_file = src / "_doctrees" / "warnings.txt"
    warnings_file.parent.mkdir(parents=True, exist_ok=True)
    args = ["-b", "html", "-q", "-c", str(SITE), "-d", str(src / "_doctrees"), "-w", str(warnings_file),
            "-j", str(jobs), "--keep-going", str(src), str(out)]
    with _no_network_env():
        status = build_main(args)
    warnings = [w for w in warnings_file.read_text(encoding="utf-8").splitlines() if w.strip()]
    if status:
        problems.append(f"sphinx-build failed (exit {status}); see the warnings above")
    problems += check_site(out) if (out / "index.html").exists() else ["no index.html was written"]
    return BuildResult(out, time.perf_counter() - start, report, warnings, problems)


@contextlib.contextmanager
def _no_network_env():
    """Nothing in the build may reach a proxy: loopback stays direct (as in tests/conftest.py)."""
    saved = {k: os.environ.get(k) for k in ("NO_PROXY", "no_proxy")}
    hosts = ",".join(filter(None, [saved["NO_PROXY"] or saved["no_proxy"], "127.0.0.1,localhost,::1"]))
    os.environ.update({"NO_PROXY": hosts, "no_proxy": hosts})
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _summary(result: BuildResult, echo: Callable[[str], object]) -> None:
    if result.warnings:
        echo(f"{len(result.warnings)} Sphinx warning(s), printed above.")
    report = result.report
    echo(f"{len(report['executed'])} lessons with their outputs, {len(report['without_outputs'])} without "
         f"({', '.join(Path(p).stem for p in report['without_outputs']) or 'none'}).")
    for problem in result.problems:
        echo(f"PROBLEM: {problem}")
    verdict = "ok" if result.ok else f"{len(result.problems)} problem(s)"
    echo(f"site: {result.site}/index.html  ({result.seconds:.1f} s, {verdict})")


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python site/build.py",
                                     description="Build the course website (build/site/) from the lessons and docs.")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site", help="the website (default: build/site)")
    parser.add_argument("--src", type=Path, default=ROOT / "build" / "site-src",
                        help="where the sources are assembled (default: build/site-src)")
    parser.add_argument("--executed", type=Path, default=ROOT / "build",
                        help="crmlab run's output folder, holding notebooks/NN_*.ipynb (default: build)")
    parser.add_argument("--no-execute", action="store_true",
                        help="render lessons without a current executed copy without outputs, instead of running them")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds one lesson may run (default: 600)")
    parser.add_argument("--jobs", type=int, default=2, help="Sphinx processes (default: 2)")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        result = build(args.out.resolve(), args.src.resolve(), executed_dir=args.executed.resolve(),
                       execute=not args.no_execute, timeout=args.timeout, jobs=args.jobs)
    except ValueError as err:
        print(f"site/build.py: error: {err}", file=sys.stderr)
        return 2
    _summary(result, print)
    return 0 if result.ok else 1


if __name__ == "__main__":
    # Run as a script, Python put site/ first on sys.path: its build.py and conf.py must shadow nothing.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != SITE]
    raise SystemExit(main())
