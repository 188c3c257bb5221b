"""Assessed sessions (hints and solutions off, checks on) and the known-mistake id in the log.

Both are about what a check shows and records: in an assessed session a known mistake's
message is still shown (it names what went wrong, not the answer), and every check that
hits a known mistake logs ``"mistake": "m<k>"``, k its 1-based place in ``mistakes``.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from crmlab.exercises import AnswerError, Lesson, ProgressLog, Question, Reflection, Status, lesson, set_assessed
from crmlab.exercises.mode import ASSESSED_FILE, assessed

FIXTURES = Path(__file__).parent / "exercise_fixtures"
REFUSED = "Hints and solutions are off in this assessed session."


@pytest.fixture(autouse=True)
def _ordinary_session(monkeypatch):
    monkeypatch.delenv("CRMLAB_ASSESSED", raising=False)
    monkeypatch.delenv("CRMLAB_CHECK_MODE", raising=False)


@pytest.fixture
def folder(tmp_path):
    return tmp_path / "progress"


@pytest.fixture
def ex(folder):
    return lesson("90_example", path=FIXTURES, log=ProgressLog(folder))


def _logged(folder, lesson_id="90_example"):
    path = folder / f"{lesson_id}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def _assert_refused_and_checks_work(ex, folder):
    assert str(ex.q1.hint()) == f"q1 · Hint: {REFUSED} Your checks still work: `ex.q1.check(answer)`."
    assert str(ex.q1.hint(3)) == str(ex.q1.hint())
    assert str(ex.q2.solution()) == f"q2 · Solution: {REFUSED} Your checks still work: `ex.q2.check(answer)`."
    assert "nunique" not in str(ex.q1.hint(3)) + str(ex.q1.solution())
    assert _logged(folder) == []  # a refused hint or solution records nothing
    wrong = ex.q1.check(7)  # orders counted, not customers: known mistake 1
    assert (wrong.status, wrong.message) == (Status.INCORRECT, ex.q1.question.mistakes[0].message)
    assert ex.q1.check(4).passed
    assert [(e["event"], e["status"], e.get("mistake")) for e in _logged(folder)] == [
        ("check", "incorrect", "m1"), ("check", "correct", None)]  # fmt: skip
    row = ex.progress().items[0]
    assert (row.status, row.attempts, row.hints_used, row.solution_viewed) == ("correct", 2, 0, False)


@pytest.mark.parametrize("value", ["1", "true", "YES", " on ", "ture"])  # a typo switches hints off, not on
def test_the_environment_variable_switches_hints_and_solutions_off(ex, folder, monkeypatch, value):
    monkeypatch.setenv("CRMLAB_ASSESSED", value)
    assert ex.assessed and assessed(folder)
    _assert_refused_and_checks_work(ex, folder)


@pytest.mark.parametrize("value", ["", "0", "false", "No", "OFF"])
def test_off_values_leave_hints_on(ex, folder, monkeypatch, value):
    monkeypatch.setenv("CRMLAB_ASSESSED", value)
    assert not ex.assessed
    assert str(ex.q1.hint()) == "q1 · Hint 1 of 3: Each order row names its customer."
    assert [e["event"] for e in _logged(folder)] == ["hint"]


def test_the_file_in_the_progress_folder_switches_them_off_and_back_on(ex, folder, tmp_path):
    path = set_assessed(True, folder)
    assert path == folder / ASSESSED_FILE and json.loads(path.read_text())["assessed"] is True
    assert not assessed(tmp_path / "another learner")  # the switch is per progress folder
    _assert_refused_and_checks_work(ex, folder)
    assert set_assessed(False, folder) == path and not path.exists()
    assert str(ex.q1.solution()) == "q1 · Solution:\n    n_customers = orders['customer_id'].nunique()"
    assert _logged(folder)[-1]["event"] == "solution"
    assert set_assessed(False, folder) == path  # switching off twice is fine


def test_the_default_folder_is_the_progress_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("CRMLAB_PROGRESS_DIR", str(tmp_path / "default"))
    set_assessed()
    ex = lesson("90_example", path=FIXTURES)
    assert (tmp_path / "default" / ASSESSED_FILE).exists() and ex.assessed
    assert str(ex.q1.hint()).startswith(f"q1 · Hint: {REFUSED}")


def test_a_reflection_still_shows_its_rubric(folder, monkeypatch):
    monkeypatch.setenv("CRMLAB_ASSESSED", "1")
    ex = Lesson("99_demo", [Reflection("q1", "Why?", solution="Because.", rubric=["Names a cause."])],
                log=ProgressLog(folder))  # fmt: skip
    feedback = ex.q1.check("Because the data says so.")
    assert (feedback.status, feedback.rubric) == (Status.UNCHECKED, ("Names a cause.",))
    assert str(ex.q1.solution()).endswith(REFUSED + " Your checks still work: `ex.q1.check(answer)`.")


# --- known mistake ids ---------------------------------------------------------------------------

LESSONS = ["00_welcome", "03_data_quality"]  # 03 has many `when=` mistakes, 00 both kinds


def _wrong_answer(mistake):
    """The answer a mistake describes, as tests/test_exercise_mistakes.py feeds it."""
    if mistake.expected is not None:
        return mistake.expected()
    return mistake.when.example()


def _as_the_learner_gives_it(question, value):
    if question.prepare is None or not isinstance(value, pd.Series):
        return value
    try:
        question.prepare(value)
    except AnswerError:
        return value.plot.bar()
    return value


@pytest.mark.parametrize("assessed_session", [False, True])
@pytest.mark.parametrize("lesson_id", LESSONS)
def test_each_known_mistake_is_logged_by_its_id(tmp_path, monkeypatch, lesson_id, assessed_session):
    if assessed_session:
        monkeypatch.setenv("CRMLAB_ASSESSED", "1")
    folder = tmp_path / lesson_id
    ex = lesson(lesson_id, log=ProgressLog(folder))
    expected = []
    for question in [i for i in ex.items if isinstance(i, Question) and i.expected is not None]:
        for number, mistake in enumerate(question.mistakes, start=1):
            plt.close("all")  # a chart answer is drawn on a fresh figure, as in its own notebook cell
            feedback = getattr(ex, question.id).check(_as_the_learner_gives_it(question, _wrong_answer(mistake)))
            assert (feedback.status, feedback.message, feedback.mistake_id) == (
                Status.INCORRECT, mistake.message, f"m{number}")  # fmt: skip
            expected.append((question.id, "incorrect", f"m{number}"))
    assert len(expected) >= 10
    logged = [(e["question"], e["status"], e.get("mistake")) for e in _logged(folder, lesson_id)]
    assert logged == expected
    assert ProgressLog(folder).read(lesson_id).tampered == 0


def test_answers_that_are_no_known_mistake_log_none(ex, folder):
    assert ex.q1.check(5).mistake_id == ""  # wrong, but no known mistake
    assert ex.q1.check(4).mistake_id == ""
    assert ex.q2.check(10.0).mistake_id == ""
    assert ex.q1.check(6).mistake_id == "m2"
    assert [e.get("mistake", "-") for e in _logged(folder)] == ["-", "-", "-", "m2"]
    assert "m2" not in str(ex.q1.check(6)) and "m2" not in ex.q1.check(6)._repr_html_()  # not shown to the learner


def test_crmlab_assessed_switches_the_session(tmp_path, capsys, monkeypatch):
    """The instructor's command writes and removes assessed.json; the hints of a lesson follow it."""
    from crmlab.cli import main

    monkeypatch.delenv("CRMLAB_ASSESSED", raising=False)
    assert main(["assessed", "--dir", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "Assessed session: off.\n"
    assert main(["assessed", "on", "--dir", str(tmp_path)]) == 0
    assert (tmp_path / "assessed.json").is_file()
    assert "Hints and solutions are off" in str(lesson("00_welcome", log=ProgressLog(tmp_path)).q1.hint())
    assert main(["assessed", "off", "--dir", str(tmp_path)]) == 0
    assert not (tmp_path / "assessed.json").exists()
    assert "Hints and solutions are off" not in str(lesson("00_welcome", log=ProgressLog(tmp_path)).q1.hint())
    with pytest.raises(SystemExit):
        main(["assessed", "maybe", "--dir", str(tmp_path)])
