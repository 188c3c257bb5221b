"""The instructor guide (docs/instructors.md) agrees with the course, and the answer key builds.

The guide quotes the course: lesson times, the checkers' mistake messages, the reflections'
rubrics, the planted truths. These tests recompute every quoted number and look up every quoted
text, so the guide cannot drift from the lessons. One test builds the answer key of lesson 00
with a kernel; the others read files only.
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path

import nbformat
import pytest

from crmlab.classroom.answer_key import answer_key_main, build_answer_key, outside_urls, solution_notebooks
from crmlab.exercises import Quiz, Reflection, lesson
from crmlab.exercises import timing as T

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "instructors.md"
TEXT = GUIDE.read_text(encoding="utf-8")
LESSONS = {p.stem[:2]: p.stem for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))}
LIMITS = {"Half-day": (240, 1), "One-day": (480, 1), "Two-day": (480, 2), "Six-week": (180, 6)}  # minutes, tables
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_MISTAKE = re.compile(r'^- \*\*(q\d+)\*\* \(.*?\): "(.*)"$')
_ROW = re.compile(r"^\| (\d\d:\d\d) \| (.*?) \|\s*(\d*)\s*\|$")
_LESSON_ROW = re.compile(r"^Lesson \[(\d\d) [^]]*\]\(\.\./notebooks/(\d\d_\w+)\.ipynb\)(?:, Part (\d))?$")
_EXERCISE_ROW = re.compile(
    r"^Exercises \[(\d\d)\]\(\.\./exercises/(\d\d_\w+)_exercises\.ipynb\) in class: (q\d+(?:, q\d+)*)$")
_HOMEWORK = re.compile(r"\[exercises (\d\d)\]\(\.\./exercises/(\d\d_\w+)_exercises\.ipynb\) \((\d+) min in all\)")


def _sections(text: str, level: str) -> dict[str, str]:
    """Headings of ``level`` (``"## "``, ``"### "``) mapped to their text, up to the next heading as high."""
    out, name, lines = {}, None, []
    depth = len(level) - 1
    for line in text.splitlines():
        heading = re.match(r"^(#+) ", line)
        if heading and len(heading.group(1)) <= depth:
            if name is not None:
                out[name] = "\n".join(lines)
            name, lines = (line[len(level):].strip(), []) if len(heading.group(1)) == depth else (None, [])
            continue
        lines.append(line)
    if name is not None:
        out[name] = "\n".join(lines)
    return out


LESSON_SECTIONS = {name[:2]: body
                   for name, body in _sections(_sections(TEXT, "## ")["Lesson by lesson"], "### ").items()}


def _module(nn: str):
    return importlib.import_module(f"crmlab.exercises.lessons.l{LESSONS[nn]}")


def _notebook(nn: str) -> Path:
    return ROOT / "notebooks" / f"{LESSONS[nn]}.ipynb"


def _exercises(nn: str) -> Path:
    return ROOT / "exercises" / f"{LESSONS[nn]}_exercises.ipynb"


def _block(section: str, title: str) -> list[str]:
    """The list lines under a bold title such as ``**Talking points**``."""
    lines = section.splitlines()
    start = lines.index(title) + 1
    block = []
    for line in lines[start:]:
        if not line.startswith(("- ", "  ")):
            break
        block.append(line)
    return block


# --------------------------------------------------------------------------- lesson sections
def test_every_lesson_has_its_section():
    assert sorted(LESSON_SECTIONS) == sorted(LESSONS), "one '### NN · Title' section per lesson, 00-13"
    assert len(LESSONS) == 14


@pytest.mark.parametrize("nn", sorted(LESSONS))
def test_a_section_has_talking_points_mistakes_truths_and_rubrics(nn):
    section = LESSON_SECTIONS[nn]
    points = [line for line in _block(section, "**Talking points**") if line.startswith("- ")]
    assert 3 <= len(points) <= 5, f"lesson {nn}: {len(points)} talking points, 3 to 5 wanted"
    mistakes = _block(section, "**The mistakes to expect**")
    assert len(mistakes) == 3 and all(_MISTAKE.match(line) for line in mistakes), mistakes
    assert "**Planted truths to reveal**" in section
    assert f"(../notebooks/{LESSONS[nn]}.ipynb)" in section
    assert f"(../exercises/{LESSONS[nn]}_exercises.ipynb)" in section


@pytest.mark.parametrize("nn", sorted(LESSONS))
def test_quoted_mistakes_are_the_checkers_own_words(nn):
    questions = {q.id: q for q in _module(nn).QUESTIONS}
    for line in _block(LESSON_SECTIONS[nn], "**The mistakes to expect**"):
        qid, quoted = _MISTAKE.match(line).groups()
        assert qid in questions, f"lesson {nn}: no question {qid}"
        messages = [m.message for m in questions[qid].mistakes]
        assert quoted in messages, f"lesson {nn} {qid}: not a Mistake message of the checker: {quoted[:80]}..."


@pytest.mark.parametrize("nn", sorted(LESSONS))
def test_every_reflection_has_its_rubric_word_for_word(nn):
    section = LESSON_SECTIONS[nn]
    reflections = [q for q in _module(nn).QUESTIONS if isinstance(q, Reflection)]
    assert reflections, f"lesson {nn} has no reflection: drop its Rubrics heading"
    for reflection in reflections:
        assert f"**Rubric for {reflection.id}**" in section, f"lesson {nn}: no rubric for {reflection.id}"
        assert reflection.rubric, f"lesson {nn} {reflection.id}: the module has no rubric to quote"
        for line in reflection.rubric:
            assert f"  - {line}\n" in section + "\n", f"lesson {nn} {reflection.id}: rubric line missing: {line}"


@pytest.mark.parametrize("nn", sorted(LESSONS))
def test_a_section_states_the_lessons_own_times(nn):
    match = re.search(r"^\*\*Time\*\*: (\d+) minutes(?: in (?:two|three) parts \(([\d and]+)\))?; "
                      r"exercises (\d+) minutes\.", LESSON_SECTIONS[nn], re.MULTILINE)
    assert match, f"lesson {nn}: no '**Time**: N minutes...; exercises M minutes.' line"
    total, parts, exercises = match.groups()
    assert int(total) == T.stated_minutes(_notebook(nn))
    assert [int(p) for p in re.findall(r"\d+", parts or "")] == T.stated_parts(_notebook(nn))
    assert int(exercises) == T.stated_minutes(_exercises(nn))


# --------------------------------------------------------------------------- agendas
def _agendas() -> list[tuple[str, list[tuple[str, str, str]], str]]:
    """(format heading, rows, the text after the table) of every agenda table."""
    found, fmt = [], None
    lines = _sections(TEXT, "## ")["Agendas"].splitlines()
    for i, line in enumerate(lines):
        if line.startswith("### "):
            fmt = line[4:]
        if line == "| time | block | minutes |":
            rows, j = [], i + 2
            while j < len(lines) and lines[j].startswith("|"):
                rows.append(_ROW.match(lines[j]).groups())
                j += 1
            found.append((fmt, rows, "\n".join(lines[j:j + 3])))
    return found


AGENDAS = _agendas()


def _item_minutes(nn: str, qid: str) -> int:
    item = next((i for i in lesson(LESSONS[nn]).items if i.id == qid), None)
    assert item is not None, f"lesson {nn} has no question {qid}"
    if isinstance(item, Reflection):
        return T.REFLECTION_MINUTES
    return T.QUIZ_MINUTES if isinstance(item, Quiz) else T.QUESTION_MINUTES


def _minutes(clock: str) -> int:
    hours, minutes = map(int, clock.split(":"))
    return 60 * hours + minutes


def test_every_format_has_its_agendas():
    counts = {key: sum(fmt.startswith(key) for fmt, _, _ in AGENDAS) for key in LIMITS}
    assert counts == {key: tables for key, (_, tables) in LIMITS.items()}


@pytest.mark.parametrize("index", range(len(AGENDAS)))
def test_agenda_lesson_and_exercise_times_are_the_courses(index):
    fmt, rows, _ = AGENDAS[index]
    for _, block, minutes in rows:
        lesson_row, exercise_row = _LESSON_ROW.match(block), _EXERCISE_ROW.match(block)
        if lesson_row:
            nn, slug, part = lesson_row.groups()
            assert slug == LESSONS[nn]
            stated = T.stated_parts(_notebook(nn))[int(part) - 1] if part else T.stated_minutes(_notebook(nn))
            assert int(minutes) == stated, f"{fmt}: {block} takes {stated} minutes by the notebook, not {minutes}"
        elif exercise_row:
            nn, slug, qids = exercise_row.groups()
            assert slug == LESSONS[nn]
            rule = sum(_item_minutes(nn, q) for q in qids.split(", "))
            assert int(minutes) == rule, f"{fmt}: {block} takes {rule} minutes by the timing rule, not {minutes}"
        else:
            assert not block.startswith(("Lesson", "Exercises")), f"{fmt}: unreadable row {block!r}"


@pytest.mark.parametrize("index", range(len(AGENDAS)))
def test_agenda_clock_total_and_limit(index):
    fmt, rows, after = AGENDAS[index]
    *blocks, (end, last, blank) = rows
    assert last == "End" and blank == ""
    for (start, _, minutes), (following, _, _) in zip(blocks, rows[1:], strict=True):
        assert _minutes(start) + int(minutes) == _minutes(following), f"{fmt}: the clock jumps at {following}"
    total = sum(int(minutes) for _, _, minutes in blocks)
    assert _minutes(end) - _minutes(blocks[0][0]) == total
    said = re.search(r"\*\*Total: (\d+) minutes\*\* \((\d+) h (\d+) min; at most (\d+) h\)", after)
    assert said and int(said.group(1)) == total and 60 * int(said.group(2)) + int(said.group(3)) == total
    limit = next(limit for key, (limit, _) in LIMITS.items() if fmt.startswith(key))
    assert int(said.group(4)) * 60 == limit
    assert total <= limit, f"{fmt}: {total} minutes, more than the format's {limit}"
    assert any(block in ("Break", "Lunch") for _, block, _ in blocks), f"{fmt}: no break"


def test_the_six_week_course_teaches_every_lesson_part_once_in_order():
    taught = []
    for fmt, rows, _ in AGENDAS:
        if fmt.startswith("Six-week"):
            for _, block, _ in rows:
                match = _LESSON_ROW.match(block)
                if match:
                    taught.append((match.group(1), int(match.group(3) or 0)))
    expected = [(nn, part) for nn in sorted(LESSONS)
                for part in (range(1, len(T.stated_parts(_notebook(nn))) + 1) or [0])]
    assert taught == expected


def test_homework_times_are_the_exercise_notebooks_own():
    quoted = _HOMEWORK.findall(TEXT)
    assert len(quoted) >= 14
    for nn, slug, minutes in quoted:
        assert slug == LESSONS[nn] and int(minutes) == T.stated_minutes(_exercises(nn)), (nn, minutes)


# --------------------------------------------------------------------------- links
def _slug(heading: str) -> str:
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(markdown: str) -> set[str]:
    return {_slug(line.lstrip("#")) for line in markdown.splitlines() if re.match(r"^#{1,6} ", line)}


def _link_problem(base: Path, target: str, own_text: str) -> str:
    path, _, anchor = target.partition("#")
    if not path:
        return "" if anchor in _anchors(own_text) else f"no heading for #{anchor}"
    file = (base / path).resolve()
    if not file.is_file():
        return f"{file} is not a file"
    if anchor and file.suffix == ".md" and anchor not in _anchors(file.read_text(encoding="utf-8")):
        return f"no heading for #{anchor} in {path}"
    return ""


def test_every_relative_link_of_the_guide_resolves_to_a_file():
    links = [t for t in _LINK.findall(TEXT) if not re.match(r"^[a-z]+:", t)]
    assert len(links) > 100
    problems = {t: p for t in links if (p := _link_problem(GUIDE.parent, t, TEXT))}
    assert problems == {}


def test_lesson_00_links_to_the_guide():
    nb = nbformat.read(_notebook("00"), as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    targets = [t for t in _LINK.findall(text) if t.split("#")[0] == "../docs/instructors.md"]
    assert len(targets) >= 2, "lesson 00 should link the instructor path and the class gradebook to the guide"
    assert all(_link_problem(_notebook("00").parent, t, "") == "" for t in targets)
    row = next(line for line in text.splitlines() if line.startswith("| an instructor"))
    assert "instructor guide" in row and "class gradebook" in row


# --------------------------------------------------------------------------- the answer key, on paper
def _truth_rows() -> dict[str, str]:
    table = _sections(TEXT, "## ")["The answer key"]
    return {m.group(1): m.group(2) for m in re.finditer(r"^\| ([^|]+?) \| ([^|]+?) \| [^|]+ \|$", table, re.MULTILINE)}


def test_every_planted_truth_is_mapped_to_a_lesson():
    readme = (ROOT / "datasets" / "README.md").read_text(encoding="utf-8")
    section = readme.split("## For instructors: the planted truths", 1)[1].split("\n## ", 1)[0]
    planted = re.findall(r"^\| ([^|]+?) \| [^|]+ \| [^|]+ \|$", section, re.MULTILINE)
    planted = [name for name in planted if name not in ("truth", "---")]
    assert len(planted) >= 20
    assert sorted(planted) == sorted(set(_truth_rows()) - {"truth", "---"})


def test_the_planted_numbers_are_the_course_companys():
    truth = json.loads((ROOT / "datasets" / "crm" / "truth.json").read_text(encoding="utf-8"))
    rows = _truth_rows()
    sizes = truth["experiment_group_sizes"]
    assert f"{sizes['treatment']} treated, {sizes['control']} controls" in rows["randomised campaign uplift"]
    assert f"+{truth['planted']['experiment_uplift'] * 100:g} percentage points" in rows["randomised campaign uplift"]
    assert rows["weak support region"] == truth["weak_support_region"]
    reps = " and ".join(map(str, truth["disengaged_rep_ids"]))
    assert f"reps {reps} stop" in rows["failing adoption"]
    assert rows["duplicates"].startswith(f"{len(truth['duplicates'])} duplicate")
    assert rows["test records"] == f"{len(truth['test_customer_ids'])} test customers with " \
                                   f"{len(truth['test_order_ids'])} test orders"
    assert rows["totals typed in toman"].startswith(f"{len(truth['unit_mixup_order_ids'])} raw orders")
    assert rows["malformed e-mails"].startswith(f"{len(truth['malformed_emails'])} e-mails")
    assert f"reps {reps}" in LESSON_SECTIONS["01"]


def test_the_practice_companys_reps_are_its_own():
    import crmlab

    practice = " and ".join(map(str, crmlab.practice_crm(tables=["reps"]).truth["disengaged_rep_ids"]))
    assert f"its disengaged reps, {practice}," in " ".join(TEXT.split())


# --------------------------------------------------------------------------- the answer key, built
def test_choosing_lessons_and_usage_errors(tmp_path, monkeypatch, capsys):
    assert [p.name for p in solution_notebooks(ROOT, ["13", "00_welcome"])] == [
        "00_welcome_exercises.ipynb", "13_capstone_exercises.ipynb"]
    monkeypatch.chdir(ROOT)
    assert answer_key_main(["--lesson", "99", "--out", str(tmp_path / "key")]) == 2
    assert "No exercise source for lesson '99'" in capsys.readouterr().err
    assert not (tmp_path / "key").exists()
    monkeypatch.chdir(tmp_path)
    assert answer_key_main([]) == 2
    assert "run this from the course folder" in capsys.readouterr().err


def test_the_answer_key_of_lesson_00(tmp_path):
    """Lesson 00's key: executed in solution mode, every check correct, a page that fetches nothing."""
    said = []
    key = build_answer_key(tmp_path / "key", lessons=["00"], root=ROOT, echo=said.append)
    assert key.ok and len(key.pages) == 1 and len(said) == 1
    (page,) = key.pages
    assert page.result.mode == "solution"
    assert page.notebook.resolve() == (tmp_path / "key" / "00_welcome_exercises.ipynb").resolve()
    executed = nbformat.read(page.notebook, as_version=4)
    code = [c for c in executed.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code) and sum(bool(c.outputs) for c in code) >= 7
    items = lesson("00_welcome").items
    reflections = {i.id for i in items if isinstance(i, Reflection)}
    assert sorted(q for q, _ in page.checks) == sorted(i.id for i in items)  # every question and quiz checked
    for qid, headline in page.checks:
        assert headline == ("Recorded (not checked automatically)" if qid in reflections else "Correct"), qid
    html = page.html.read_text(encoding="utf-8")
    assert outside_urls(html) == []
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*https?://""", html, re.IGNORECASE)
    assert "q1 · Correct" in html and "data:image/png;base64" in html
    index = key.index.read_text(encoding="utf-8")
    assert 'href="00_welcome_exercises.html"' in index and outside_urls(index) == []
