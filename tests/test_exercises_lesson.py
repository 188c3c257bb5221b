"""The example lesson end to end: checks, mistakes, junk, blanks, strict modes, hints."""

import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from crmlab.exercises import (
    Feedback,
    Lesson,
    LessonError,
    Mistake,
    Question,
    Reflection,
    Status,
    ____,
    available_lessons,
    lesson,
)
from crmlab.exercises.progress_log import ProgressLog
from crmlab.exercises.quiz_widget import QuizView

FIXTURES = Path(__file__).parent / "exercise_fixtures"


def _fixture_module():
    spec = importlib.util.spec_from_file_location("example_lesson_data", FIXTURES / "l90_example.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


data = _fixture_module()
orders, customers = data.orders(), data.customers()


@pytest.fixture(autouse=True)
def _isolated(tmp_path, monkeypatch):
    monkeypatch.setenv("CRMLAB_PROGRESS_DIR", str(tmp_path / "progress"))
    monkeypatch.delenv("CRMLAB_CHECK_MODE", raising=False)


@pytest.fixture
def ex():
    return lesson("90_example", path=FIXTURES)


def _solution_rfm():
    per_customer = orders.groupby("customer_id")
    return per_customer.agg(
        frequency=("order_date", lambda d: d.nunique() - 1), total=("amount", "sum")
    ).reset_index()


class Hostile:
    """An object all of whose methods raise."""

    def _boom(self, *args):
        raise RuntimeError("boom")

    __eq__ = __ne__ = __len__ = __iter__ = __bool__ = __float__ = __getitem__ = _boom
    __repr__ = __str__ = __hash__ = _boom


class BadList(list):
    def __iter__(self):
        raise RuntimeError("cannot iterate")

    def __len__(self):
        raise RuntimeError("no length")


JUNK = [None, "a string", [1, 2, 3], pd.DataFrame({"wrong": [1, 2]}), Hostile(), BadList([1])]


def test_registry_finds_the_lesson_and_its_quiz(ex):
    assert available_lessons(FIXTURES) == ["90_example"]
    assert [(i.id, getattr(i, "kind", "")) for i in ex.items] == [
        ("q1", "question"), ("q2", "question"), ("q3", "question"), ("q4", "quiz"),
        ("q5", "reflection"),
    ]  # fmt: skip
    assert ex.title == "Example lesson"
    with pytest.raises(LessonError, match=r"Did you mean '90_example'\?"):
        lesson("90_exampel", path=FIXTURES)
    with pytest.raises(AttributeError, match="has no question `q9`; it has q1, q2, q3, q4, q5"):
        ex.q9  # noqa: B018


def test_solutions_are_correct(ex):
    assert ex.q1.check(orders["customer_id"].nunique()).status is Status.CORRECT
    assert ex.q2.check(orders.groupby("customer_id")["amount"].sum().mean()).passed
    assert ex.q3.check(_solution_rfm()).passed
    assert ex.q3.check(_solution_rfm().set_index("customer_id").rename(columns=str.upper)).passed
    assert ex.quiz("q4", answer="b").passed
    assert ex.q5.check("They bought nothing to average.").status is Status.UNCHECKED


@pytest.mark.parametrize(
    ("question", "answer", "message"),
    [("q1", lambda: len(orders), "You counted orders, not customers"),
     ("q1", lambda: len(customers), "You counted every customer, including those who never"),
     ("q2", lambda: orders["amount"].sum() / len(customers),
      "You averaged over all customers, including those with no orders."),
     ("q2", lambda: orders["amount"].mean(), "You averaged single orders"),
     ("q3", lambda: _solution_rfm().assign(frequency=lambda d: d["frequency"] + 1),
      "You counted the first purchase as a repeat purchase"),
     ("q3", lambda: _solution_rfm().assign(frequency=[1, 0, 2, 0]),
      "You counted orders, not distinct purchase days")],
)  # fmt: skip
def test_known_mistakes_get_their_message(ex, question, answer, message):
    feedback = getattr(ex, question).check(answer())
    assert feedback.status is Status.INCORRECT
    assert feedback.message.startswith(message)


def test_mistake_feedback_keeps_checks_and_rows(ex):
    feedback = ex.q3.check(_solution_rfm().assign(frequency=lambda d: d["frequency"] + 1))
    assert feedback.summary() == "6 of 7 checks passed"
    assert feedback.rows.startswith("Rows of your answer that differ (3 of 4 shown):")


@pytest.mark.parametrize("junk", JUNK, ids=lambda j: type(j).__name__)
@pytest.mark.parametrize("question", ["q1", "q2", "q3"])
def test_junk_gets_feedback_never_a_traceback(ex, question, junk):
    feedback = getattr(ex, question).check(junk)
    assert isinstance(feedback, Feedback)
    assert feedback.status in (Status.INCORRECT, Status.LEARNER_ERROR)
    assert feedback.message and str(feedback).startswith(f"{question} · ")


def test_junk_quiz_and_reflection_answers(ex):
    for junk in JUNK:
        assert ex.quiz("q4", answer=junk).status in (Status.INCORRECT, Status.NOT_ATTEMPTED)
        expected = Status.UNCHECKED if isinstance(junk, str) else Status.INCORRECT
        assert ex.q5.check(junk).status is expected


def test_blank_is_not_attempted_everywhere(ex):
    for view in (ex.q1, ex.q2, ex.q3, ex.q5):
        feedback = view.check(____)
        assert feedback.status is Status.NOT_ATTEMPTED
        assert "Replace the blank `____`" in feedback.message
    assert ex.q1.check(____ * 2).status is Status.NOT_ATTEMPTED
    assert ex.q1.check(lambda: orders[____].nunique()).status is Status.NOT_ATTEMPTED
    assert ex.q1.check().status is Status.NOT_ATTEMPTED
    assert ex.quiz("q4", answer=____).status is Status.NOT_ATTEMPTED


def test_learner_code_that_raises_is_explained(ex):
    feedback = ex.q1.check(lambda: orders["custmer_id"].nunique())
    assert feedback.status is Status.LEARNER_ERROR
    assert feedback.message.startswith("There is no column `custmer_id`")
    assert "Did you mean `customer_id`?" in feedback.message
    assert ex.q2.check_code(lambda: len(orders) / 0).message.startswith("You divided by zero")
    with pytest.warns(RuntimeWarning, match="divide by zero"):  # the learner's warning shows
        assert "infinite" in ex.q2.check_code(lambda: orders["amount"].sum() / 0).message
    assert ex.q1.check_code(lambda: orders["customer_id"].nunique()).passed


def test_methods_raising_inside_comparison_blame_the_answer_not_the_checker():
    q = Question("q1", "List the ids.", expected=lambda: [1, 2, 3])
    feedback = q.evaluate(BadList([1, 2, 3]))
    assert feedback.status is Status.LEARNER_ERROR
    assert feedback.message.startswith("Your answer (a BadList object) could not")
    assert "could not be examined: using it raised RuntimeError" in feedback.message


def test_checker_faults_are_never_blamed_on_the_learner():
    broken = Question("q1", "?", expected=lambda: 1 / 0)
    feedback = broken.evaluate(3)
    assert feedback.status is Status.CHECKER_ERROR
    assert "not in your answer" in feedback.message
    odd = Question("q2", "?", expected=lambda: Hostile())
    assert odd.evaluate(Hostile()).status is Status.CHECKER_ERROR
    flaky = Question("q3", "?", expected=lambda: 2,
                     mistakes=[Mistake("never shown", when=lambda a: 1 / 0)])  # fmt: skip
    assert flaky.evaluate(5).message.startswith("Your number, 5, is not the expected value.")


def test_expected_value_is_computed_once_and_lazily():
    calls = []
    q = Question("q1", "?", expected=lambda: calls.append(1) or 42)
    assert calls == []
    q.evaluate(1)
    q.evaluate(42)
    assert calls == [1]


def test_hints_and_solution_are_progressive_and_recorded(ex):
    assert str(ex.q1.hint()) == "q1 · Hint 1 of 3: Each order row names its customer."
    assert str(ex.q1.hint(2)) == "q1 · Hint 2 of 3: Count distinct values, not rows."
    assert "There are only 3 hints" in str(ex.q1.hint(7))
    assert str(ex.q1.solution()) == (
        "q1 · Solution:\n    n_customers = orders['customer_id'].nunique()"
    )
    row = ex.progress().items[0]
    assert (row.hints_used, row.solution_viewed, row.attempts) == (3, True, 0)


def test_progress_counts_attempts_and_score(ex):
    ex.q1.check(7)
    ex.q1.check(4)
    ex.q1.check(____)
    ex.q2.check(1.0)
    ex.quiz("q4", answer="a")
    ex.q5.check("Because.")
    progress = ex.progress()
    assert [(i.id, i.status, i.attempts) for i in progress.items] == [
        ("q1", "correct", 2), ("q2", "incorrect", 1), ("q3", "not_attempted", 0),
        ("q4", "incorrect", 1), ("q5", "unchecked", 1),
    ]  # fmt: skip
    assert (progress.score, progress.max_score, progress.remaining) == (1, 4, ["q2", "q3", "q4"])
    assert str(progress).splitlines()[-1] == "Score: 1 of 4 (25%). Still to do: q2, q3, q4."


def test_quiz_view_without_answer(ex):
    view = ex.quiz("q4")
    assert isinstance(view, QuizView)
    assert repr(view).splitlines() == [
        "q4. Which table has one row per purchase?", "  a) customers", "  b) orders",
        "  c) products", 'Answer in code: ex.quiz("q4", answer="...")',
    ]  # fmt: skip
    assert view.check("orders").passed  # an option's text works too
    with pytest.raises(LessonError, match=r"has no quiz 'q1'; its quizzes are \['q4'\]"):
        ex.quiz("q1")


def test_solution_mode_raises_on_anything_but_correct(ex, monkeypatch):
    monkeypatch.setenv("CRMLAB_CHECK_MODE", "solution")
    assert ex.q1.check(orders["customer_id"].nunique()).passed
    with pytest.raises(AssertionError, match="You counted orders, not customers"):
        ex.q1.check(len(orders))
    with pytest.raises(AssertionError, match="Not attempted"):
        ex.q2.check(____)
    with pytest.raises(AssertionError):
        ex.quiz("q4")
    with pytest.raises(AssertionError):
        ex.quiz("q4", answer="a")
    assert ex.quiz("q4", answer="b").passed


def test_learner_mode_raises_on_anything_but_not_attempted(ex, monkeypatch):
    monkeypatch.setenv("CRMLAB_CHECK_MODE", "learner")
    assert ex.q1.check(____).status is Status.NOT_ATTEMPTED
    assert isinstance(ex.quiz("q4"), QuizView)
    with pytest.raises(AssertionError, match="CRMLAB_CHECK_MODE=learner"):
        ex.q1.check(orders["customer_id"].nunique())
    with pytest.raises(AssertionError, match="no column"):
        ex.q1.check(lambda: orders["nope"])


def test_unset_mode_never_raises_and_bad_mode_is_reported(ex, monkeypatch):
    assert ex.q1.check(Hostile()).status is Status.INCORRECT
    monkeypatch.setenv("CRMLAB_CHECK_MODE", "strict")
    with pytest.raises(ValueError, match="must be one of 'solution', 'learner' or empty"):
        ex.q1.check(4)


def test_plain_text_of_feedback_is_reproducible(tmp_path, monkeypatch):
    texts = []
    for run in range(2):
        monkeypatch.setenv("CRMLAB_PROGRESS_DIR", str(tmp_path / f"run{run}"))
        fresh = lesson("90_example", path=FIXTURES)
        texts.append([repr(fresh.q3.check(_solution_rfm().assign(total=0.0))),
                      repr(fresh.q1.check(lambda: orders["amout"])),
                      repr(fresh.q3.check(Hostile()))])  # fmt: skip
    assert texts[0] == texts[1]
    joined = "\n".join(texts[0])
    assert "0x" not in joined and str(tmp_path) not in joined
    assert texts[0][0].splitlines()[0] == (
        "q3 · Not quite: Values in column `total` differ in 4 of 4 rows (rows matched by "
        "`customer_id`). Look at those rows of your table (below) and re-check how you "
        "computed them."
    )


def test_unwritable_progress_folder_does_not_break_checks(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("CRMLAB_PROGRESS_DIR", str(blocker / "progress"))
    ex = lesson("90_example", path=FIXTURES)
    with pytest.warns(RuntimeWarning, match="Progress could not be saved"):
        assert ex.q1.check(4).passed
    assert ex.q1.check(4).passed  # warned once only


def test_certificate_only_when_complete(ex, tmp_path):
    assert str(ex.certificate()).startswith("Certificate: Not yet: lesson 90_example needs")
    ex.q1.check(4)
    ex.q2.check(orders.groupby("customer_id")["amount"].sum().mean())
    ex.q3.check(_solution_rfm())
    ex.quiz("q4", answer="b")
    target = tmp_path / "cert.html"
    message = ex.certificate(target, name="Ada <Lovelace>")
    assert str(message) == f"Certificate: Well done! Your certificate is at {target}"
    page = target.read_text(encoding="utf-8")
    assert "Ada &lt;Lovelace&gt;" in page and "Score: 4 of 4 (100%)" in page
    assert "http" not in page and "<script" not in page and "src=" not in page


def test_reflection_and_lesson_validation():
    r = Reflection("q1", "Why?")
    assert r.evaluate("   ").status is Status.NOT_ATTEMPTED
    assert "as text in quotes" in r.evaluate(3).message
    with pytest.raises(LessonError, match="used twice"):
        Lesson("x", [Question("q1", "?", expected=lambda: 1)] * 2)
    with pytest.raises(LessonError, match="must be a Python name"):
        Lesson("x", [Question("progress", "?", expected=lambda: 1)])


def test_lesson_uses_an_explicit_log(tmp_path):
    log = ProgressLog(tmp_path / "elsewhere")
    ex = lesson("90_example", path=FIXTURES, log=log)
    ex.q1.check(4)
    assert [e["status"] for e in log.read("90_example").events] == ["correct"]


def test_blank_survives_item_assignment_and_lookup():
    from crmlab.exercises import ____
    from crmlab.exercises.blank import is_blank

    table = ____
    table["revenue_usd"] = ____ / 100
    del table["x"]
    assert is_blank(table) and is_blank(table["revenue_usd"])
