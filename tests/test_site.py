"""The course website (``site/build.py``, ``make site``): built offline, every link resolves.

One build of the real course into a temporary folder serves most tests. To stay fast it
renders stored outputs only: every lesson gets a stand-in "executed copy" without outputs,
except lesson 02, whose copy is missing, so the build runs it with the course runner (the
fallback ``make site`` takes when ``make course`` has not run) and its page shows real
outputs: charts, tables, and notes in place of its widgets. A second, tiny build on a made-up
course checks what happens to links at files that are not pages, and to a missing
instructor guide.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
RUN_BY_THE_BUILD = "02_training_users"
# Sphinx 9 deprecations inside sphinx-book-theme and myst-parser: theirs to fix, not the site's.
pytestmark = pytest.mark.filterwarnings("ignore:.*Check CHANGES for Sphinx API modifications")


def _load_builder():
    spec = importlib.util.spec_from_file_location("crmlab_site_build", ROOT / "site" / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


site_build = _load_builder()


def _stand_in_copy(lesson: Path, executed_dir: Path) -> None:
    """An executed copy as the runner writes it (papermill metadata, no error), without outputs."""
    nb = nbformat.read(lesson, as_version=4)
    nb.metadata["papermill"] = {"exception": None, "input_path": str(lesson)}
    target = executed_dir / "notebooks" / lesson.name
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, target)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("site")
    executed = base / "executed"
    for lesson in LESSONS:
        if lesson.stem != RUN_BY_THE_BUILD:
            _stand_in_copy(lesson, executed)
    result = site_build.build(base / "site", base / "src", executed_dir=executed, execute=True, echo=print)
    return result


@pytest.fixture(scope="module")
def site(built) -> Path:
    return built.site


def _text(page: Path) -> str:
    """The visible text of a page, with Sphinx's typographic quotes made straight again."""
    text = "".join(site_build.parse_page(page).text).translate(str.maketrans("‘’“”", "''\"\""))
    return re.sub(r"\s+", " ", text)


def _plain(markdown: str) -> str:
    """Markdown as its rendered text reads: links, code and emphasis marks removed."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    return re.sub(r"\s+", " ", re.sub(r"[*`_]", "", text)).strip()


# --------------------------------------------------------------------------- the build
def test_the_site_builds_with_no_problem(built):
    assert built.problems == [], "\n".join(built.problems)
    assert (built.site / "index.html").is_file()


def test_the_build_ran_the_lesson_without_an_executed_copy(built):
    assert built.report["executed"] == [p.relative_to(ROOT).as_posix() for p in LESSONS]
    page = built.site / "notebooks" / f"{RUN_BY_THE_BUILD}.html"
    html = page.read_text(encoding="utf-8")
    images = [src for src in site_build.parse_page(page).links if src.startswith("../_images/")]
    assert len(images) >= 3, "lesson 02 draws charts: its page should show them"
    assert 'class="crmlab-widget-note"' in html  # the training calculator and quizzes
    assert "widget-view+json" not in html and "require.js" not in html


# --------------------------------------------------------------------------- links
def test_every_internal_link_and_anchor_resolves(site):
    pages = [p for p in site.rglob("*.html") if "_static" not in p.parts]
    assert len(pages) >= len(LESSONS) + 4
    links = sum(len(site_build.parse_page(p).links) for p in pages)
    assert links > 1000  # the check saw the navigation and the glossary's lesson links
    assert site_build.check_site(site) == []


def test_no_page_loads_anything_from_outside(site):
    outside = re.compile(r"^\s*(https?:)?//", re.I)
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        for tag in re.findall(r"<(?:script|img|iframe|source|video|audio|link)\b[^>]*>", html, re.I):
            for attr, url in re.findall(r'\b(src|href)\s*=\s*["\']([^"\']*)', tag, re.I):
                if attr.lower() == "src" or tag.lower().startswith("<link"):
                    assert not outside.match(url), f"{page.relative_to(site)} loads {url}"


def test_the_checker_finds_a_broken_link_an_anchor_and_an_outside_resource(site, tmp_path):
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    page = copy / "docs" / "glossary.html"
    html = page.read_text(encoding="utf-8")
    broken = ('<a href="../notebooks/99_missing.html">x</a> <a href="../notebooks/00_welcome.html#no-such-part">y</a>'
              ' <a href="#b">fine</a> <img src="https://cdn.example.org/logo.png">')
    page.write_text(html.replace("</body>", broken + "</body>"), encoding="utf-8")
    problems = site_build.check_site(copy)
    assert sorted(problems) == [
        "docs/glossary.html: broken link '../notebooks/00_welcome.html#no-such-part': "
        "no anchor #no-such-part in notebooks/00_welcome.html",
        "docs/glossary.html: broken link '../notebooks/99_missing.html': no file notebooks/99_missing.html",
        "docs/glossary.html: loads <img src='https://cdn.example.org/logo.png'> from outside",
    ]


def test_the_checker_reads_style_sheets(tmp_path):
    (tmp_path / "index.html").write_text('<link rel="stylesheet" href="s.css"><a href="#top" id="top">x</a>')
    (tmp_path / "s.css").write_text("@import 'https://fonts.example.org/f.css';\nbody{background:url(x.png)}")
    assert site_build.check_site(tmp_path) == ["s.css: loads https://fonts.example.org/f.css from outside"]


# --------------------------------------------------------------------------- content and navigation
@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_every_lesson_has_a_page_with_its_objectives_and_time(site, lesson):
    page = site / "notebooks" / f"{lesson.stem}.html"
    assert page.is_file(), f"no page for {lesson.name}"
    text = _text(page)
    first = next(c.source for c in nbformat.read(lesson, as_version=4).cells if c.cell_type == "markdown")
    listed = first.split("**You will learn**", 1)[1].split("**Time**")[0]
    objectives = [_plain(item) for item in re.split(r"\n- ", listed) if _plain(item)]
    assert "You will learn" in text and 3 <= len(objectives) <= 6
    for objective in objectives:
        assert objective[:60] in text, f"{lesson.stem}: objective not on the page: {objective[:60]}"
    time = site_build.lesson_summary(lesson)["time"]
    assert time and f"Time: {time}" in text


def test_the_index_lists_every_lesson_with_its_time(site):
    text = _text(site / "index.html")
    for lesson in LESSONS:
        summary = site_build.lesson_summary(lesson)
        assert f"{summary['title']} {summary['time']}" in text


def _navigation(site: Path, page: Path) -> list[str]:
    """The pages the navigation of ``page`` links to, in order, as paths in the site (no anchors)."""
    pages = []
    for link in site_build.parse_page(page).nav_links:
        path = link.split("#")[0]
        target = (page.parent / path).resolve() if path else page.resolve()
        pages.append(target.relative_to(site.resolve()).as_posix())
    return list(dict.fromkeys(pages))


@pytest.mark.parametrize("page", ["index.html", f"notebooks/{LESSONS[5].stem}.html", "docs/glossary.html"])
def test_lessons_guide_syllabus_and_glossary_are_in_the_navigation(site, page):
    expected = ["index.html", *(f"notebooks/{p.stem}.html" for p in LESSONS),
                "docs/instructors.html", "docs/syllabus.html", "docs/glossary.html"]
    assert _navigation(site, site / page) == expected


def test_instructor_guide_and_glossary_pages(site):
    glossary = _text(site / "docs" / "glossary.html")
    assert "Glossary" in glossary and "RFM" in glossary
    guide = _text(site / "docs" / "instructors.html")
    written = (ROOT / "docs" / "instructors.md").exists()
    assert ("was not written yet" in guide) is not written
    syllabus = _text(site / "docs" / "syllabus.html")
    assert "T1" in syllabus


# --------------------------------------------------------------------------- links at files that are not pages
def test_links_to_files_that_are_not_pages_and_a_missing_guide(tmp_path):
    root = tmp_path / "course"
    (root / "notebooks").mkdir(parents=True)
    (root / "exercises").mkdir()
    (root / "docs").mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "# 00 · A lesson\n\n**You will learn**\n- one;\n- two;\n- three.\n\n**Time**: about 5 minutes.\n\n"
        "Practise in [the exercises](../exercises/00_welcome_exercises.ipynb); "
        "terms in the [glossary](../docs/glossary.md#b).")])
    nbformat.write(nb, root / "notebooks" / "00_welcome.ipynb")
    nbformat.write(nbformat.v4.new_notebook(), root / "exercises" / "00_welcome_exercises.ipynb")
    (root / "docs" / "glossary.md").write_text("# Glossary\n\n## B\n\nbasket\n")
    (root / "docs" / "syllabus.md").write_text("# Syllabus\n\nSee [the exercises folder](../exercises/), "
                                               "[lesson 00](../notebooks/00_welcome.ipynb) and [the timing rule]"
                                               "(timing.md#the-rule).\n")
    (root / "docs" / "timing.md").write_text("# Timing\n\n## The rule\n\nSee the [README](../README.md).\n")
    (root / "README.md").write_text("# The course\n")
    said = []
    result = site_build.build(tmp_path / "site", tmp_path / "src", root=root, executed_dir=tmp_path / "none",
                              execute=False, echo=said.append)
    assert said == ["site/build.py: docs/instructors.md does not exist yet: "
                    "the site shows a placeholder page in its place."]
    assert result.report["placeholders"] == ["docs/instructors.md"]
    assert "was not written yet" in _text(result.site / "docs" / "instructors.html")
    lesson = site_build.parse_page(result.site / "notebooks" / "00_welcome.html")
    downloads = [link for link in lesson.links if "_downloads/" in link]
    assert [Path(d).name for d in downloads] == ["00_welcome_exercises.ipynb"]
    assert "../docs/glossary.html#b" in lesson.links
    # A Markdown file of docs/ linked from a page becomes a page (outside the navigation); README a download.
    assert "timing.html#the-rule" in site_build.parse_page(result.site / "docs" / "syllabus.html").links
    timing = site_build.parse_page(result.site / "docs" / "timing.html")
    assert [Path(link).name for link in timing.links if "_downloads/" in link] == ["README.md"]
    # A folder is no page and no file: the link checker names it.
    assert result.problems == ["docs/syllabus.html: broken link '#../exercises/': Sphinx could not resolve this "
                               "link's target (a file that is not a page of the site?)"]


def test_only_a_current_successful_run_counts_as_an_executed_copy(tmp_path):
    lesson = LESSONS[0]
    _stand_in_copy(lesson, tmp_path)
    copy = tmp_path / "notebooks" / lesson.name
    assert site_build._executed_copy(lesson, tmp_path, ROOT) == copy
    nb = nbformat.read(copy, as_version=4)
    nb.cells[0].source += " (edited since the run)"
    nbformat.write(nb, copy)
    assert site_build._executed_copy(lesson, tmp_path, ROOT) is None
    _stand_in_copy(lesson, tmp_path)
    nb = nbformat.read(copy, as_version=4)
    nb.metadata.papermill["exception"] = True
    nbformat.write(nb, copy)
    assert site_build._executed_copy(lesson, tmp_path, ROOT) is None
