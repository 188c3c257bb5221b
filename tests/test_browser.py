"""What the learner sees, in a real browser: Debian's Chromium driven by Playwright.

JupyterLab and Voila run on 127.0.0.1 over copies of the notebooks (Lab autosaves). Every
scenario asserts on what the page shows: lesson 00's table and chart after Run All; an
exercise's feedback for a blank, a known mistake and the right answer, and the progress view;
every quiz of every lesson (rows that never overlap, a click that selects the clicked option
and records it); the lesson 02 calculator; the Voila dashboard and its filter. No request may
leave 127.0.0.1. Screenshots of the final states go to build/screenshots/.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from browser_support import (
    CHROMIUM,
    LAUNCH_ARGS,
    NO_PROXY,
    SCREENSHOTS,
    NetworkLog,
    browser_skip_reason,
    course_copy,
    lab_server,
    voila_server,
)

import crmlab
from crmlab.analysis import bi
from crmlab.analysis.training import TrainingPlan, cost_by_method
from crmlab.exercises import Quiz
from crmlab.exercises.lessons import l02_training_users
from crmlab.exercises.registry import available_lessons, lesson
from crmlab.widgets.dashboard import format_value, month_options

pytestmark = pytest.mark.skipif(browser_skip_reason() is not None, reason=str(browser_skip_reason()))

KERNEL = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
ALL_QUIZZES = "all_quizzes.ipynb"
# Done when no cell waits and every code cell has a number, or an error stopped the run.
_RUN_FINISHED = """() => {
  const nb = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
  if (!nb) return false;
  const prompts = [...nb.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(p => p.textContent);
  if (prompts.some(p => p.includes('*'))) return false;
  const error = nb.querySelector('[data-mime-type="application/vnd.jupyter.error"]');
  return error !== null || prompts.every(p => /\\[\\d+\\]/.test(p));
}"""


def _quizzes() -> list[tuple[str, Quiz]]:
    return [(lid, item) for lid in available_lessons() for item in lesson(lid).items if isinstance(item, Quiz)]


def _quizzes_shown(notebook: Path, lesson_id: str) -> list[tuple[str, Quiz]]:
    """The quizzes a notebook shows with ``ex.quiz("qN")``, in order."""
    quizzes = {item.id: item for item in lesson(lesson_id).items if isinstance(item, Quiz)}
    sources = [cell.source for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "code"]
    shown = [quizzes[q] for source in sources for q in re.findall(r"""ex\.quiz\(["'](q\d+)["']\)""", source)]
    assert shown, f"{notebook.name} shows no quiz"
    return [(lesson_id, quiz) for quiz in shown]


def _write_quiz_notebook(path: Path) -> None:
    cells = [nbformat.v4.new_code_cell("from crmlab.exercises import lesson")]
    cells += [nbformat.v4.new_code_cell(f'lesson("{lid}").quiz("{quiz.id}")') for lid, quiz in _quizzes()]
    nbformat.write(nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": KERNEL}), path)


# ---------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = course_copy(tmp_path_factory.mktemp("course"))
    _write_quiz_notebook(root / ALL_QUIZZES)
    return root


@pytest.fixture(scope="module")
def progress_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("progress")


@pytest.fixture(scope="module")
def lab(course, progress_dir, tmp_path_factory):
    with lab_server(course, tmp_path_factory.mktemp("lab"), progress_dir) as server:
        yield server


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS,
                                              env={**os.environ, **NO_PROXY})  # fmt: skip
        yield chromium
        chromium.close()


@pytest.fixture
def network():
    return NetworkLog()


def _new_tab(browser, network: NetworkLog):
    """A tab in a fresh browser context whose every request ``network`` logs."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    network.attach(context)
    return context.new_page()


def _screenshot(tab, request) -> None:
    """Save the tab's final state to build/screenshots/<test>.png."""
    tab.screenshot(path=str(SCREENSHOTS / f"{request.node.name.removeprefix('test_')}.png"))


def _assert_loopback_only(network: NetworkLog) -> None:
    assert network.urls, "the browser made no request at all"
    assert network.outside == [], f"requests left 127.0.0.1: {network.outside[:5]}"
    assert network.hosts() == {"127.0.0.1"}


@pytest.fixture
def page(browser, network, request):
    """A fresh browser tab; its final state is saved to build/screenshots/<test>.png, and no
    request may have left 127.0.0.1."""
    tab = _new_tab(browser, network)
    yield tab
    _screenshot(tab, request)
    tab.context.close()
    _assert_loopback_only(network)


@pytest.fixture(scope="module")
def lab_tab(browser, lab):
    """One JupyterLab tab for every Lab scenario: the app loads once (a load costs Chromium about
    5 CPU-seconds); each scenario opens its notebook in it (:func:`open_notebook`)."""
    network = NetworkLog()
    tab = _new_tab(browser, network)
    yield tab, network
    tab.context.close()


@pytest.fixture
def lab_page(lab_tab, lab, request):
    """The Lab tab, with no notebook open; afterwards its final state is saved to
    build/screenshots/<test>.png, its notebooks are closed and their kernels shut down, and no
    request may have left 127.0.0.1."""
    page, network = lab_tab
    yield page
    _screenshot(page, request)
    close_notebooks(page)
    lab.shutdown_kernels()  # each notebook's kernel ends with its test
    _assert_loopback_only(network)


# ---------------------------------------------------------------------------------------------- JupyterLab


def open_notebook(page, lab, path: str) -> None:
    """Open ``path`` as `make lab` opens its start page (the URL) in a new tab, or in the Lab already
    loaded in ``page`` as File > Open from Path does, and wait for its kernel."""
    if page.evaluate("() => window.jupyterapp === undefined"):
        page.goto(lab.url(f"lab/tree/{path}", reset=""))
    else:
        page.evaluate("p => window.jupyterapp.commands.execute('docmanager:open', {path: p})", path)
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=60_000)
    page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=60_000)  # the kernel is ready


def close_notebooks(page) -> None:
    """Close every open document without saving (the run's outputs): the next scenario starts with none."""
    page.evaluate("""() => {
      if (window.jupyterapp === undefined) return;
      for (const w of Array.from(window.jupyterapp.shell.widgets('main'))) {
        if (w.context && w.context.model) w.context.model.dirty = false;
        w.dispose();
      }
    }""")
    page.wait_for_function("() => document.querySelectorAll('.jp-NotebookPanel').length === 0")


def run_all(page, seconds: float = 90) -> None:
    page.click(".lm-MenuBar-itemLabel:text-is('Run')")
    page.click("[data-command='runmenu:run-all']")
    page.wait_for_function(_RUN_FINISHED, timeout=seconds * 1000)


def errors_shown(page) -> list[str]:
    return page.locator(".jp-NotebookPanel [data-mime-type='application/vnd.jupyter.error']").all_inner_texts()


def code_cell(page, pattern: str):
    """The code cell whose source matches the regular expression ``pattern`` (exactly one)."""
    sources = page.locator(".jp-NotebookPanel .jp-CodeCell .jp-InputArea .cm-content").all_inner_texts()
    found = [i for i, source in enumerate(sources) if re.search(pattern, source, flags=re.M)]
    assert len(found) == 1, f"{len(found)} cells match {pattern!r}"
    return page.locator(".jp-NotebookPanel .jp-CodeCell").nth(found[0])


def replace_and_run(page, cell, code: str) -> None:
    """Type ``code`` over a cell's source in Lab's editor, then run the cell in place."""
    cell.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(code)
    page.keyboard.press("Control+Enter")


def run_in_place(page, cell) -> None:
    cell.locator(".jp-InputPrompt").click()
    page.keyboard.press("Control+Enter")


def _progress_lines(progress_dir: Path, lesson_id: str) -> list[dict]:
    path = progress_dir / f"{lesson_id}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# ---------------------------------------------------------------------------------------------- quizzes


def _overlaps(a: dict, b: dict, tolerance: float = 0.5) -> bool:
    return (min(a["x"] + a["width"], b["x"] + b["width"]) - max(a["x"], b["x"]) > tolerance
            and min(a["y"] + a["height"], b["y"] + b["height"]) - max(a["y"], b["y"]) > tolerance)  # fmt: skip


# What the checks below read of every quiz form, in one call: its first line, (row box, box of the
# rendered text) of every option in page coordinates, its text, and how many code spans and formulas.
_FORMS = """() => [...document.querySelectorAll('.crmlab-quiz')].map(f => {
  const box = e => {
    const r = e.getBoundingClientRect();
    return {x: r.x, y: r.y, width: r.width, height: r.height};
  };
  const boxes = [...f.querySelectorAll('.crmlab-quiz-option')].map(row => {
    const text = document.createRange();  // where the text really is, even if it overflows its box
    text.selectNodeContents(row.querySelector('.widget-html-content'));
    return [box(row), box(text)];
  });
  return {first: f.querySelector('.widget-html-content').innerText, boxes, text: f.innerText,
          code: f.querySelectorAll('code').length, formulas: f.querySelectorAll('mjx-container').length};
})"""


def assert_options_laid_out(boxes: list, quiz: Quiz, where: str) -> None:
    assert len(boxes) == len(quiz.options), where
    for i, (row, text) in enumerate(boxes):
        assert row["height"] >= text["height"] > 0, f"{where}: option {i} text is taller than its row"
        assert text["y"] >= row["y"] - 0.5 and text["y"] + text["height"] <= row["y"] + row["height"] + 0.5, where
        for j, (other, other_text) in enumerate(boxes[:i]):
            assert not _overlaps(row, other), f"{where}: options {j} and {i} overlap: {other} {row}"
            assert not _overlaps(text, other_text), f"{where}: texts of options {j} and {i} overlap"


def assert_markdown_rendered(form: dict, quiz: Quiz, where: str) -> None:
    texts = [quiz.prompt, *quiz.options.values()]
    if any("`" in text for text in texts):
        assert form["code"] >= 1, f"{where}: `code` is not rendered as code"
    if not any("`" in text and text.count("`") % 2 for text in texts):
        assert "`" not in form["text"], f"{where}: raw backticks on screen"
    assert form["formulas"] == 0, f"{where}: text was typeset as LaTeX"
    for key in quiz.options:
        assert f"{key})" in form["text"], where


_FEEDBACK_HEADLINE = "f => { const h = f.querySelector('.crmlab-feedback > div'); return h && h.innerText.trim(); }"


def _poll(get, expected, seconds: float = 10):
    """``get()`` until it returns ``expected`` or the time is up; the last value."""
    deadline = time.monotonic() + seconds
    while (value := get()) != expected and time.monotonic() < deadline:
        time.sleep(0.03)
    return value


# Scrolls a form to the middle of the view and returns where to click: each option's circle
# and text, and the Check button (centres, in page coordinates).
_TARGETS = """f => {
  f.scrollIntoView({block: 'center'});
  const centre = e => { const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; };
  const rows = [...f.querySelectorAll('.crmlab-quiz-option')];
  return {circles: rows.map(r => centre(r.querySelector('input'))),
          texts: rows.map(r => centre(r.querySelector('.widget-html-content'))),
          check: centre(f.querySelector('.widget-button'))};
}"""
# For every form, scrolled to the middle of the view: does a click at each target (as in _TARGETS)
# reach it? The browser's hit test says what a click there lands on: an option's circle and its
# text must land on that option's box or the box's label (stretched under the text, which lets
# clicks through: crmlab/exercises/quiz_widget.py), Check on the button. "" when it does, else
# what the click lands on.
_HITS = """() => [...document.querySelectorAll('.crmlab-quiz')].map(f => {
  f.scrollIntoView({block: 'center'});
  const lands = (e, ok) => {
    const r = e.getBoundingClientRect();
    const t = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
    if (t !== null && ok(t)) return '';
    return t === null ? 'nothing' : `${t.tagName}.${t.className} "${(t.innerText || '').slice(0, 40)}"`;
  };
  const box = row => t => row.contains(t) && t.closest('.crmlab-quiz-option') === row && t.closest('label') !== null;
  const rows = [...f.querySelectorAll('.crmlab-quiz-option')];
  const button = f.querySelector('.widget-button');
  return {circles: rows.map(r => lands(r.querySelector('input'), box(r))),
          texts: rows.map(r => lands(r.querySelector('.widget-html-content'), box(r))),
          check: lands(button, t => t.closest('.widget-button') === button)};
})"""
# What every form shows: its verdict's headline, which boxes are checked, how many formulas.
_STATES = """() => [...document.querySelectorAll('.crmlab-quiz')].map(f => {
  const h = f.querySelector('.crmlab-feedback > div');
  return [h && h.innerText.trim(), [...f.querySelectorAll('.crmlab-quiz-option input')].map(i => i.checked),
          f.querySelectorAll('mjx-container').length];
})"""


def _new_lines(progress_dir: Path, counts: dict[str, int], wanted: Counter) -> dict[tuple[str, str], dict]:
    """The answers recorded since ``counts``, once ``wanted[lesson]`` lines per lesson have come."""
    deadline = time.monotonic() + 45
    while True:
        lines = {lid: _progress_lines(progress_dir, lid)[counts[lid]:] for lid in wanted}
        if all(len(lines[lid]) >= n for lid, n in wanted.items()) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert {lid: len(new) for lid, new in lines.items()} == dict(wanted), "answers recorded per lesson"
    return {(lid, line["question"]): line for lid, new in lines.items() for line in new}


def check_quiz_forms(page, pairs: list[tuple[str, Quiz]], progress_dir: Path, label: str,
                     clicked: set[int] | None = None) -> None:  # fmt: skip
    """Every quiz form: laid out without overlaps, Markdown rendered, every option within reach.

    Every form is scrolled to the middle of the view, and the browser's own hit test
    (``elementFromPoint``, what a click at that point reaches) must find each option's circle,
    each option's text and the Check button where a click aims at them. Then the forms in
    ``clicked`` (indices into ``pairs``; by default all) are answered: in round ``k``, option
    ``k`` of every such quiz is clicked (on its circle or on its text, in turn) and Check pressed
    at once, quiz after quiz, as a quick learner would; then each quiz must show that option
    alone selected, have recorded it, and show the verdict for it. (One round of clicks takes
    about as long as one option's round trip to the kernel.)
    """
    forms = page.locator(".crmlab-quiz")
    page.wait_for_function("n => document.querySelectorAll('.crmlab-quiz').length >= n", arg=len(pairs))
    # Room below the last form: when a verdict is redrawn at the very end of a page (Voila), the page
    # shrinks for a moment and the browser clamps the scroll, moving every form above it between our
    # reading a button's position and clicking it. A person sees the move; this test clicks blind.
    page.add_style_tag(content="body { padding-bottom: 100vh !important; }")
    assert forms.count() == len(pairs), f"{label}: {forms.count()} quiz forms for {len(pairs)} quizzes"
    assert len({(lid, quiz.id) for lid, quiz in pairs}) == len(pairs), "each quiz is shown once"
    shown = page.evaluate(_FORMS)  # the layout does not depend on scrolling (no windowing: TEST_SETTINGS)
    for (lesson_id, quiz), form in zip(pairs, shown, strict=True):
        where = f"{label}: lesson {lesson_id} {quiz.id}"
        assert form["first"].startswith(f"{quiz.id}."), where
        assert_options_laid_out(form["boxes"], quiz, where)
        assert_markdown_rendered(form, quiz, where)
    for (lesson_id, quiz), hits in zip(pairs, page.evaluate(_HITS), strict=True):
        missed = [f"{part} of option {key} (lands on {hit})" for part in ("circles", "texts")
                  for key, hit in zip(quiz.options, hits[part], strict=True) if hit]  # fmt: skip
        missed += [f"Check (lands on {hits['check']})"] if hits["check"] else []
        assert missed == [], f"{label}: lesson {lesson_id} {quiz.id}: a click misses {missed}"
    clicked = set(range(len(pairs))) if clicked is None else clicked
    handles = forms.element_handles()  # the forms stay in place; only their verdicts are redrawn
    for k in range(max(len(pairs[i][1].options) for i in clicked)):
        active = [(i, lid, quiz) for i, (lid, quiz) in enumerate(pairs) if i in clicked and k < len(quiz.options)]
        counts = {lid: len(_progress_lines(progress_dir, lid)) for _, lid, _ in active}
        done = Counter()
        for i, lid, quiz in reversed(active):  # bottom up: a verdict appearing shifts only forms already done
            targets = handles[i].evaluate(_TARGETS)
            clicks = [targets["texts"][k - 1]] if quiz.multiple and k else []  # clear the previous round's box
            clicks += [targets["circles" if (i + k) % 2 else "texts"][k], targets["check"]]
            for x, y in clicks:
                page.mouse.click(x, y)
            # Wait for this answer to be recorded before the next form: a verdict being redrawn moves
            # the page (the last form of a Voila page shrinks it for a moment), and a click aimed
            # blind at a position read before the move would land elsewhere. A person sees the move.
            done[lid] += 1
            wanted = counts[lid] + done[lid]
            # Generous: on a loaded machine (CI installing beside it) a round trip has taken over 10 s.
            _poll(lambda lid=lid, wanted=wanted: len(_progress_lines(progress_dir, lid)) >= wanted, True, seconds=45)
            # And for its verdict to be drawn: the answer is logged before the page shows it, and the redraw
            # moves what is around it.
            verdict = f"{quiz.id} · {quiz.evaluate(list(quiz.options)[k]).headline}"
            page.wait_for_function(f"([f, v]) => ({_FEEDBACK_HEADLINE})(f) === v", arg=[handles[i], verdict],
                                   timeout=45_000)  # fmt: skip
        recorded = _new_lines(progress_dir, counts, Counter(lid for _, lid, _ in active))
        expected = {}
        for i, lid, quiz in active:
            key, feedback = list(quiz.options)[k], quiz.evaluate(list(quiz.options)[k])
            line = recorded[(lid, quiz.id)]
            assert (line["answer"], line["status"]) == (key, feedback.status.value), f"{label}: {lid} {quiz.id} {key}"
            expected[i] = [f"{quiz.id} · {feedback.headline}", [j == k for j in range(len(quiz.options))], 0]
        states = _poll(lambda wanted=expected: [page.evaluate(_STATES)[i] for i in wanted], list(expected.values()))
        for (i, lid, quiz), state in zip(active, states, strict=True):
            where = f"{label}: lesson {lid} {quiz.id} option {list(quiz.options)[k]}"
            assert state == expected[i], f"{where}: [verdict, boxes checked, formulas] {state} != {expected[i]}"


# ---------------------------------------------------------------------------------------------- scenarios


def test_start_page_runs_lesson_00(lab_page, lab):
    page = lab_page
    open_notebook(page, lab, "notebooks/00_welcome.ipynb")  # make lab's start page
    assert page.locator(".jp-MarkdownCell h1").first.inner_text().startswith("00 · Welcome to crmlab")
    run_all(page)
    assert errors_shown(page) == []
    crm = crmlab.load_crm(tables=["orders", "customers"])
    done = crm.orders[crm.orders["status"] == "completed"].merge(crm.customers, on="customer_id")
    per_region = done.groupby("region").size()
    table = code_cell(page, r"^by_region_sql = ").locator(".jp-OutputArea-output table")
    cells = [row.split("\t") for row in table.locator("tbody tr").all_inner_texts()]  # index, region, revenue, orders
    assert {row[1]: int(row[-1]) for row in cells} == per_region.to_dict()
    assert f"SQL and pandas agree on {len(per_region)} regions" in code_cell(page, r"assert_frame_equal").inner_text()
    chart = code_cell(page, r"sns\.barplot").locator(".jp-RenderedImage img")
    chart.scroll_into_view_if_needed()
    assert chart.evaluate("img => img.complete && img.naturalWidth") > 300
    chart.scroll_into_view_if_needed()  # in the final screenshot


def test_exercise_feedback_and_progress(lab_page, lab, course):
    page = lab_page
    notebook = sorted(course.glob("exercises/00_*.ipynb"))[0].relative_to(course).as_posix()
    open_notebook(page, lab, notebook)
    run_all(page)
    assert errors_shown(page) == []
    check, progress = code_cell(page, r"^ex\.q1\.check\("), code_cell(page, r"^ex\.progress\(\)")
    assert "q1 · Not attempted yet" in check.inner_text()
    before = progress.locator(".crmlab-progress").inner_text()
    assert re.search(r"q1\s+question\s+not attempted", before), before
    score = int(re.search(r"Score: (\d+) of", before).group(1))

    answer = code_cell(page, r"^n_buyers = ")
    replace_and_run(page, answer, "completed = crm.orders[crm.orders['status'] == 'completed']\n"
                                  "n_buyers = len(completed)")  # fmt: skip
    run_in_place(page, check)
    page.wait_for_function("e => e.innerText.includes('You counted orders, not customers')", arg=check.element_handle())
    assert "q1 · Not quite" in check.inner_text()

    replace_and_run(page, answer, "completed = crm.orders[crm.orders['status'] == 'completed']\n"
                                  "n_buyers = completed['customer_id'].nunique()")  # fmt: skip
    run_in_place(page, check)
    page.wait_for_function("e => e.innerText.includes('q1 · Correct')", arg=check.element_handle())

    run_in_place(page, progress)
    # re-running the cell replaces its output: look the table up inside the (stable) cell on every poll
    page.wait_for_function("([c, b]) => { const e = c.querySelector('.crmlab-progress');"
                           " return e !== null && e.innerText !== b && e.innerText.includes('Score'); }",
                           arg=[progress.element_handle(), before])  # fmt: skip
    after = progress.locator(".crmlab-progress").inner_text()
    # two attempts: the mistake and the right answer (a blank is no attempt)
    assert re.search(r"q1\s+question\s+correct\s+2\s", after), after
    assert f"Score: {score + 1} of" in after
    progress.scroll_into_view_if_needed()  # in the final screenshot


def answered_sample(pairs: list[tuple[str, Quiz]]) -> set[int]:
    """The quizzes a browser test answers: in each lesson the one with the longest option, every
    quiz with the most options, every quiz with several answers.

    Each answer costs Chromium about 0.2 CPU-seconds of style and layout (docs/test-time.md);
    every option of every quiz is evaluated in Python (tests/test_exercise_contract.py), and
    every option's reach by a click is checked in the browser for all quizzes.
    """
    most = max(len(quiz.options) for _, quiz in pairs)
    chosen = {i for i, (_, quiz) in enumerate(pairs) if quiz.multiple or len(quiz.options) == most}
    for lesson_id in dict.fromkeys(lid for lid, _ in pairs):
        mine = [i for i, (lid, _) in enumerate(pairs) if lid == lesson_id]
        chosen.add(max(mine, key=lambda i: max(map(len, pairs[i][1].options.values()))))
    return chosen


def test_every_quiz_of_every_lesson(lab_page, lab, progress_dir):
    page = lab_page
    pairs = _quizzes()
    assert len({lid for lid, _ in pairs}) == len(available_lessons())  # every lesson has quizzes
    open_notebook(page, lab, ALL_QUIZZES)
    run_all(page)
    assert errors_shown(page) == []
    check_quiz_forms(page, pairs, progress_dir, ALL_QUIZZES, clicked=answered_sample(pairs))
    long_form = max(range(len(pairs)), key=lambda i: max(map(len, pairs[i][1].options.values())))
    page.locator(".crmlab-quiz").nth(long_form).scroll_into_view_if_needed()  # in the final screenshot


def test_quizzes_in_lesson_05(lab_page, lab, course, progress_dir):
    """The real lesson, whose quizzes have the longest options of the course."""
    page = lab_page
    open_notebook(page, lab, "notebooks/05_rfm.ipynb")
    run_all(page, seconds=120)
    assert errors_shown(page) == []
    # the worked example's amounts, recounted with pandas: customer 46's purchase days (Tehran dates)
    orders = crmlab.load_crm(tables=["orders"]).orders
    mine = orders[(orders["customer_id"] == 46) & (orders["status"] == "completed")]
    days = mine.groupby(mine["ordered_at"].dt.tz_convert("Asia/Tehran").dt.date)["total_cents"].sum()
    two_orders, first = f"IRR {days[pd.Timestamp('2023-12-12').date()]:,}", f"IRR {days.iloc[0]:,}"
    money = page.locator(".jp-MarkdownCell", has_text=two_orders)
    money.scroll_into_view_if_needed()
    assert two_orders in money.inner_text() and first in money.inner_text()
    assert page.locator(".jp-MarkdownCell mjx-container").count() == 0  # no money typeset as a formula
    check_quiz_forms(page, _quizzes_shown(course / "notebooks/05_rfm.ipynb", "05_rfm"), progress_dir, "05_rfm.ipynb")
    page.locator(".crmlab-quiz").last.scroll_into_view_if_needed()  # in the final screenshot


def test_training_calculator_follows_its_inputs(lab_page, lab):
    page = lab_page
    open_notebook(page, lab, "notebooks/02_training_users.ipynb")
    run_all(page, seconds=120)
    assert errors_shown(page) == []
    calculator = code_cell(page, r"^training_calculator\(plan\)")
    users = calculator.locator(".widget-text", has=page.locator("label", has_text="Users to train")).locator("input")
    table = calculator.locator("table")

    def per_user(n_users: int) -> list[str]:
        costs = cost_by_method(TrainingPlan(n_users=n_users, n_sites=3, **l02_training_users.PRICES))
        return [f"IRR {v:,.0f}" for v in costs["per_user"]]  # the lesson's prices, in whole rials

    assert users.input_value() == "40"
    assert all(text in table.inner_text() for text in per_user(40))
    users.fill("120")
    users.press("Enter")
    expected = per_user(120)
    assert expected != per_user(40)
    # the HTML widget replaces its table: read it through the cell
    page.wait_for_function("([e, t]) => t.every(x => e.querySelector('table').innerText.includes(x))",
                           arg=[calculator.element_handle(), expected])  # fmt: skip
    calculator.scroll_into_view_if_needed()  # in the final screenshot


def test_voila_dashboard_follows_its_filter(page, course, progress_dir, tmp_path):
    notebook = "notebooks/04_bi_questions.ipynb"
    with voila_server(notebook, course, tmp_path / "voila", progress_dir) as voila:
        page.goto(voila.url(""), timeout=120_000)
        kpis = page.locator("table.crmlab-kpis")
        kpis.wait_for(timeout=120_000)
        assert "Traceback" not in page.inner_text("body")
        crm = crmlab.load_crm(tables=["customers", "orders", "tickets", "shipments", "invoices", "payments"])
        days = crm.orders["ordered_at"].dt.tz_convert(bi.LOCAL_TZ).dt.tz_localize(None)
        months = month_options(days.min(), days.max())
        start, end = months[0][1], months[-1][1] + pd.offsets.MonthEnd(0)
        south = bi.kpi_table(crm, region="South", start=start, end=end, channel=None)
        late = format_value(south.loc["Late deliveries", "value"], south.loc["Late deliveries", "unit"])

        page.locator(".widget-dropdown", has=page.locator("label", has_text="Region")).locator("select").select_option(
            label="South"
        )
        page.wait_for_function("() => document.querySelector('.crmlab-kpis th:nth-child(2)').innerText === 'South'")
        row = kpis.locator("tr", has=page.locator("td", has_text="Late deliveries"))
        assert row.locator("td").nth(1).inner_text() == late
        # Font Awesome comes from Voila's own files, not from a CDN.
        assert page.evaluate("""() => [...document.styleSheets].some(s => {
            try { return [...s.cssRules].some(r => (r.selectorText || '').includes('.fa-')); }
            catch (e) { return false; }
        })""")
        assert not page.locator("link[href*='cdn']").count()
        check_quiz_forms(page, _quizzes_shown(course / notebook, "04_bi_questions"), progress_dir, "Voila")
        kpis.scroll_into_view_if_needed()  # in the final screenshot
