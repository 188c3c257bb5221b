"""Lesson 00's exercises: the right answer passes, known mistakes get their message,
junk gets feedback (never a traceback), and the blank is "not attempted"."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pytest

import crmlab
from crmlab.exercises import lesson
from crmlab.exercises.feedback import Status


@pytest.fixture(scope="module")
def crm():
    return crmlab.practice_crm()


@pytest.fixture
def ex():
    return lesson("00_welcome")


@pytest.fixture(scope="module")
def completed(crm):
    return crm.orders[crm.orders["status"] == "completed"]


def _chart(series):
    ax = series.plot.bar()
    return ax


def _monthly(crm, tz):
    when = crm.orders["ordered_at"].dt.tz_convert(tz)
    return when[when.dt.year == 2025].dt.month.value_counts().sort_index()


def _right_answers(crm, completed):
    by_channel = completed.groupby("channel", as_index=False)["total_cents"].sum()
    by_channel["revenue_rial"] = by_channel.pop("total_cents")  # whole rials as stored: nothing to divide
    con = crmlab.connect(crm)
    return {
        "q1": completed["customer_id"].nunique(),
        "q2": by_channel,
        "q3": lambda: _chart(_monthly(crm, "Asia/Tehran")),
        "q5": con.sql("SELECT priority, count(*) AS tickets FROM tickets GROUP BY priority").df(),
    }


@pytest.mark.parametrize("qid", ["q1", "q2", "q3", "q5"])
def test_solution_passes(ex, crm, completed, qid):
    answer = _right_answers(crm, completed)[qid]
    feedback = getattr(ex, qid).check(answer() if callable(answer) else answer)
    assert feedback.status is Status.CORRECT, str(feedback)


def test_solution_variants_pass(ex, crm, completed):
    right = _right_answers(crm, completed)
    as_index = right["q2"].set_index("channel")
    assert ex.q2.check(as_index).status is Status.CORRECT
    shuffled = right["q2"].sample(frac=1, random_state=1).rename(columns={"revenue_rial": "Revenue_Rial"})
    assert ex.q2.check(shuffled).status is Status.CORRECT
    assert ex.q1.check(float(right["q1"])).status is Status.CORRECT


@pytest.mark.parametrize(
    ("qid", "wrong", "message"),
    [
        ("q1", lambda crm, done: len(done), "You counted orders, not customers"),
        ("q1", lambda crm, done: len(crm.customers), "including those who never ordered"),
        ("q1", lambda crm, done: crm.orders["customer_id"].nunique(), "cancelled and returned"),
        ("q2", lambda crm, done: done.groupby("channel", as_index=False)["total_cents"].sum()
            .assign(revenue_rial=lambda d: d.pop("total_cents") / 100), "100 times too small"),  # the cents habit
        ("q2", lambda crm, done: done.groupby("channel", as_index=False)["total_cents"].sum()
            .assign(revenue_rial=lambda d: d.pop("total_cents") / 10), "Your revenue is in toman"),
        ("q2", lambda crm, done: crm.orders.groupby("channel", as_index=False)["total_cents"].sum()
            .rename(columns={"total_cents": "revenue_rial"}), "include cancelled and returned"),
        ("q3", lambda crm, done: _chart(_monthly(crm, "UTC")), "Your months follow UTC"),
        ("q3", lambda crm, done: _chart(_monthly(crm, "Asia/Tehran").sort_values()), "not in calendar order"),
        ("q5", lambda crm, done: crmlab.connect(crm).sql(
            "SELECT priority, count(DISTINCT customer_id) AS tickets FROM tickets GROUP BY 1").df(),
         "You counted customers, not tickets"),
    ],
)
def test_known_mistakes_get_their_message(ex, crm, completed, qid, wrong, message):
    feedback = getattr(ex, qid).check(wrong(crm, completed))
    assert feedback.status is Status.INCORRECT
    assert message in feedback.message


def test_a_wrong_table_says_what_is_wrong_without_the_answer(ex, completed):
    wrong = completed.groupby("channel", as_index=False)["total_cents"].mean()
    wrong = wrong.rename(columns={"total_cents": "revenue_rial"})
    feedback = ex.q2.check(wrong)
    assert feedback.status is Status.INCORRECT
    text = str(feedback)
    assert "revenue_rial" in text
    expected = completed.groupby("channel")["total_cents"].sum()
    assert all(str(v) not in text and f"{v:,}" not in text for v in expected)  # the expected values are never shown


def test_learner_code_that_raises_is_explained(ex, crm):
    feedback = ex.q2.check_code(lambda: crm.orders.groupby("chanel")["total_cents"].sum())
    assert feedback.status is Status.LEARNER_ERROR
    assert "channel" in feedback.message  # the closest column name is suggested


@pytest.mark.parametrize(("answer", "status", "text"), [
    ("c", Status.CORRECT, "add 3 hours 30 minutes"),
    ("a", Status.INCORRECT, "That is the UTC clock"),
    ("b", Status.INCORRECT, "You subtracted the offset"),
])
def test_quiz_q4(ex, answer, status, text):
    feedback = ex.quiz("q4", answer=answer)
    assert feedback.status is status and text in feedback.message


@pytest.mark.parametrize(("answer", "status", "text"), [
    ("b", Status.CORRECT, "12,990,000 rials are 1,299,000 toman"),
    ("a", Status.INCORRECT, "as if the column held cents"),
    ("c", Status.INCORRECT, "That is the amount in rials"),
])
def test_quiz_q7_rials_and_toman(ex, answer, status, text):
    """12,990,000 whole rials are 1,299,000 toman (ten rials a toman); dividing by 100 is the cents habit."""
    import tomllib

    quiz = tomllib.loads((Path(crmlab.__file__).parent / "exercises" / "quizzes" / "00_welcome.toml").read_text())
    rials = int(quiz["q7"]["prompt"].split("is ")[1].split(".")[0])
    options = quiz["q7"]["options"]
    assert options["b"] == f"{rials // 10:,} toman" and options["a"] == f"{rials // 100:,} toman"
    assert options["c"] == f"{rials:,} toman"
    feedback = ex.quiz("q7", answer=answer)
    assert feedback.status is status and text in feedback.message


def test_hints_get_more_specific_and_solution_is_recorded(ex):
    first, third = str(ex.q1.hint()), str(ex.q1.hint(3))
    assert "status" in first and "nunique()" in third
    assert "nunique" in str(ex.q1.solution())
    progress = ex.progress()
    assert "q1" in str(progress)


def test_q2_template_and_last_hint_lead_to_a_right_answer(ex, completed):
    """The student copy's blanks (`totals = ____`, `by_channel = ____`) filled as hint 3 says pass;
    keeping `total_cents` next to `revenue_rial`, the easy slip, gets its own message."""
    import re

    import nbformat

    from crmlab.exercises.release import student_notebook

    root = Path(__file__).resolve().parents[1]
    source = nbformat.read(root / "exercises" / "source" / "00_welcome_exercises.ipynb", as_version=4)
    [template] = [c.source for c in student_notebook(source).cells if "by_channel = ____" in c.source]
    assert template == "totals = ____\nby_channel = ____"
    hint = str(ex.q2.hint(3))
    code = dict(re.findall(r"`(totals|by_channel) = ([^`]+)`", hint))
    assert set(code) == {"totals", "by_channel"}
    namespace = {"completed": completed}
    for name in ("totals", "by_channel"):
        namespace[name] = eval(code[name], namespace)  # noqa: S307 (the course's own hint)
    assert ex.q2.check(namespace["by_channel"]).status is Status.CORRECT
    totals = namespace["totals"]
    kept = totals.assign(revenue_rial=totals["total_cents"])
    feedback = ex.q2.check(kept)
    assert feedback.status is Status.INCORRECT and "still has `total_cents`" in feedback.message


def test_reflection_is_recorded_unchecked(ex):
    feedback = ex.q6.check("SQL for joins, pandas for charts.")
    assert feedback.status is Status.UNCHECKED


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")
