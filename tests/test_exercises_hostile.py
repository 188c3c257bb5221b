"""The checker against hostile answers, piece by piece: the time limit, safe quoting,
explanations of odd exceptions, bounded work on endless and huge answers.

The lesson-wide sweep is in ``test_exercise_contract.py``; here each mechanism is
tested on its own, with what the learner reads.
"""

from __future__ import annotations

import itertools
import signal
import threading
import time

import pandas as pd
import pytest
from helpers import CHEAP_HOSTILE, RaisingArgsError, SleepingEq, SleepingFloat

from crmlab.exercises import Mistake, Question, Quiz
from crmlab.exercises.explain import explain_exception
from crmlab.exercises.feedback import Status
from crmlab.exercises.guard import DEFAULT_TIMEOUT, ENV_TIMEOUT, Budget, CheckTimeout, check_timeout
from crmlab.exercises.safe_text import cut, exception_text, quote, type_name

LIMIT = 0.3
MARGIN = 1.0


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


# ---------------------------------------------------------------- the time limit


def test_the_default_limit_is_five_seconds_and_the_variable_changes_it(monkeypatch):
    monkeypatch.delenv(ENV_TIMEOUT, raising=False)
    assert check_timeout() == DEFAULT_TIMEOUT == 5.0
    monkeypatch.setenv(ENV_TIMEOUT, "1.5")
    assert check_timeout() == 1.5
    monkeypatch.setenv(ENV_TIMEOUT, "off")
    assert check_timeout() == 0.0
    assert check_timeout(2) == 2.0


def test_a_bad_limit_is_named_in_the_message(monkeypatch):
    monkeypatch.setenv(ENV_TIMEOUT, "soon")
    with pytest.raises(ValueError, match="CRMLAB_CHECK_TIMEOUT.*'soon'"):
        check_timeout()
    feedback = Question("q1", "?", expected=lambda: 1).evaluate(1)
    assert feedback.status is Status.CHECKER_ERROR
    assert "'soon'" in feedback.message


def test_the_alarm_stops_a_sleep_and_restores_the_handler():
    assert signal.getsignal(signal.SIGALRM) is signal.SIG_DFL
    with pytest.raises(CheckTimeout):
        _, seconds = _timed(lambda: Budget(LIMIT).run(lambda: time.sleep(30)))
    assert signal.getsignal(signal.SIGALRM) is signal.SIG_DFL
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_a_swallowed_alarm_comes_again():
    def stubborn():
        for _ in range(3):
            try:
                time.sleep(30)
            except BaseException:  # noqa: BLE001, S110 - a learner's bare except
                pass
        time.sleep(30)

    start = time.perf_counter()
    with pytest.raises(CheckTimeout):
        Budget(LIMIT).run(stubborn)
    assert time.perf_counter() - start < LIMIT + MARGIN


def test_an_alarm_someone_else_set_is_left_alone():
    """With another SIGALRM handler and timer in place, the watchdog thread is used instead."""
    fired = []
    previous = signal.signal(signal.SIGALRM, lambda *_: fired.append(1))
    signal.setitimer(signal.ITIMER_REAL, 30)
    try:
        with pytest.raises(CheckTimeout):
            Budget(LIMIT).run(lambda: [None for _ in iter(int, 1)])  # a loop in Python code
        assert signal.getitimer(signal.ITIMER_REAL)[0] > 25  # their timer still runs
        assert signal.getsignal(signal.SIGALRM) is not signal.SIG_DFL
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert not fired


def test_outside_the_main_thread_a_watchdog_stops_python_loops():
    outcome = {}

    def work():
        start = time.perf_counter()
        try:
            Budget(LIMIT).run(_spin)
        except CheckTimeout:
            outcome["stopped"] = time.perf_counter() - start
        time.sleep(0.3)  # a pending exception would land here
        outcome["after"] = True

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(10)
    assert outcome["stopped"] < LIMIT + MARGIN
    assert outcome["after"]


def _spin():
    n = 0
    while True:
        n += 1


def test_a_budget_is_shared_by_the_parts_of_one_check():
    budget = Budget(LIMIT)
    budget.run(lambda: time.sleep(LIMIT / 2))
    with pytest.raises(CheckTimeout):
        budget.run(lambda: time.sleep(LIMIT))
    with pytest.raises(CheckTimeout):
        budget.run(lambda: 1)


@pytest.mark.parametrize(
    ("expected", "answer"), [(42.0, SleepingFloat(1.0)), ([1.0], [SleepingEq()])], ids=["float", "eq"]
)
def test_a_sleeping_answer_gets_the_timeout_message(expected, answer, monkeypatch):
    monkeypatch.setenv(ENV_TIMEOUT, str(LIMIT))
    question = Question("q1", "?", expected=lambda: expected)
    feedback, seconds = _timed(lambda: question.evaluate(answer))
    assert seconds < LIMIT + MARGIN
    assert feedback.status is Status.LEARNER_ERROR
    assert feedback.message.startswith(f"Checking your answer took longer than {LIMIT:g} s")


def test_the_expected_value_is_computed_outside_the_limit():
    def slow_expected():
        time.sleep(2 * LIMIT)
        return 42

    question = Question("q1", "?", expected=slow_expected, time_limit=LIMIT)
    assert question.evaluate(42).status is Status.CORRECT


def test_a_slow_mistake_is_computed_outside_the_limit():
    def slow_wrong():
        time.sleep(2 * LIMIT)
        return 13

    question = Question("q1", "?", expected=lambda: 42, time_limit=LIMIT,
                        mistakes=[Mistake("You added.", expected=slow_wrong)])  # fmt: skip
    assert question.evaluate(13).message == "You added."


def test_many_slow_comparisons_are_cut_short(monkeypatch):
    """An unordered list of slow-to-compare objects: pairwise matching is quadratic."""
    calls = []

    class Slow:
        def __eq__(self, other):
            calls.append(1)
            time.sleep(0.001)
            return False

        __hash__ = object.__hash__

    question = Question("q1", "?", expected=lambda: list(range(400)), time_limit=LIMIT)
    feedback, seconds = _timed(lambda: question.evaluate([Slow() for _ in range(400)]))
    assert feedback.status is Status.LEARNER_ERROR
    assert seconds < LIMIT + MARGIN
    assert len(calls) < 400 * 400


# ---------------------------------------------------------------- quoting and explaining


def test_long_text_is_quoted_cut_with_its_length():
    assert quote("x" * 10_000_000) == "'" + "x" * 200 + "…' (10,000,000 characters)"
    assert cut("y" * 10_000_000, 5) == "yyyyy… (10,000,000 characters)"


def test_quote_never_calls_the_learners_methods():
    for name, make in CHEAP_HOSTILE.items():
        text, seconds = _timed(lambda make=make: quote(make()))
        assert len(text) < 400, name
        assert seconds < 1, name
    assert quote(CHEAP_HOSTILE["recursive_list"]()) == "[1, 2, [...]]"
    assert quote(10**100_000) == "an int of about 100,001 digits"
    assert quote(CHEAP_HOSTILE["raising_str"]()).startswith("<Raising_str")


def test_an_exception_whose_args_and_str_raise_is_explained():
    try:
        raise RaisingArgsError("x")
    except RaisingArgsError as exc:
        caught = exc
    assert exception_text(caught) == "x"  # read from the real arguments, not the raising property
    text = explain_exception(caught)
    assert text.startswith("Your code raised RaisingArgsError.")
    assert "Python said: RaisingArgsError" in text


def test_a_key_error_with_a_huge_key_is_explained_quickly():
    frame = pd.DataFrame({"amount": [1.0]})
    try:
        frame["a" * 1_000_000]
    except KeyError as exc:
        caught = exc
    text, seconds = _timed(lambda: explain_exception(caught))
    assert seconds < 1
    assert len(text) < 1500
    assert "(1,000,000 characters)" in text


# ---------------------------------------------------------------- endless and huge answers


@pytest.mark.parametrize("answer", [itertools.count(), (n for n in itertools.count())], ids=type_name)
def test_an_endless_iterator_is_refused_without_reading_it(answer):
    question = Question("q1", "?", expected=lambda: [1, 2, 3],
                        mistakes=[Mistake("m", when=lambda a: "x" in a)])  # fmt: skip
    feedback, seconds = _timed(lambda: question.evaluate(answer))
    assert seconds < 1
    assert feedback.status is Status.INCORRECT
    assert "turn it into a list first" in feedback.message
    assert next(answer) == 0  # nothing was consumed


def test_a_10_mb_text_is_refused_in_linear_time():
    question = Question("q1", "?", expected=lambda: "Champions")
    feedback, seconds = _timed(lambda: question.evaluate("x" * 10_000_000))
    assert seconds < 1
    assert feedback.status is Status.INCORRECT
    assert "10,000,000 characters" in feedback.message
    assert len(str(feedback)) < 500


def test_a_long_but_allowed_text_is_quoted_cut():
    question = Question("q1", "?", expected=lambda: "Champions")
    feedback = question.evaluate("z" * 50_000)
    assert "(50,000 characters)" in feedback.message
    assert len(feedback.message) < 400


def test_a_str_subclass_whose_strip_raises_is_read_as_text():
    question = Question("q1", "?", expected=lambda: "hello")
    assert question.evaluate(CHEAP_HOSTILE["str_raising_strip"]()).status is Status.CORRECT


def test_a_huge_int_is_just_wrong():
    feedback = Question("q1", "?", expected=lambda: 42).evaluate(10**100_000)
    assert feedback.status is Status.INCORRECT
    assert "an int of about 100,001 digits" in feedback.message


def test_a_table_with_a_huge_cell_shows_the_cell_cut():
    expected = pd.DataFrame({"name": ["a", "b"]})
    feedback = Question("q1", "?", expected=lambda: expected).evaluate(
        pd.DataFrame({"name": ["a", "q" * 1_000_000]})
    )
    assert feedback.status is Status.INCORRECT
    assert len(str(feedback)) < 1000


@pytest.mark.parametrize("answer", [itertools.count(), pd.DataFrame({"b": [1]}), CHEAP_HOSTILE["str_raising_strip"]()],
                         ids=type_name)  # fmt: skip
def test_a_quiz_reads_only_text_or_a_list_of_keys(answer):
    quiz = Quiz("q4", "2 + 2?", {"a": "3", "b": "4"}, "b")
    feedback, seconds = _timed(lambda: quiz.evaluate(answer))
    assert seconds < 1
    assert feedback.status is Status.INCORRECT


def test_a_reflection_in_a_hostile_str_subclass_is_recorded_as_plain_text(tmp_path):
    from crmlab.exercises import Lesson, ProgressLog, Reflection

    ex = Lesson("99_demo", [Reflection("q1", "Why?")], log=ProgressLog(tmp_path))
    feedback = ex.q1.check(CHEAP_HOSTILE["str_raising_strip"]())
    assert feedback.status is Status.UNCHECKED
    events = ex._log.read("99_demo").events
    assert events[-1]["answer"] == "hello"
    assert ex.q1.check("y" * 10_000_000).status is Status.UNCHECKED
    assert len(ex._log.read("99_demo").events[-1]["answer"]) == 2000
