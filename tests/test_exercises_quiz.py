"""Quizzes: TOML content, answers in code, the ipywidgets form and its fallback."""

from pathlib import Path

import ipywidgets as widgets
import pytest

from crmlab.exercises import Quiz, Status, load_quizzes
from crmlab.exercises.quiz import QuizFormatError, packaged_quizzes
from crmlab.exercises.quiz_widget import QuizView, widgets_available

FIXTURES = Path(__file__).parent / "exercise_fixtures"


@pytest.fixture
def quiz():
    return load_quizzes(FIXTURES / "90_example.toml")["q4"]


def test_toml_is_read_in_order(quiz):
    assert list(quiz.options) == ["a", "b", "c"]
    assert quiz.correct == frozenset({"b"}) and not quiz.multiple
    assert quiz.as_text().splitlines()[0] == "q4. Which table has one row per purchase?"


@pytest.mark.parametrize("answer", ["b", "B", " b) ", "orders", ["b"]])
def test_right_answers_in_any_reasonable_form(quiz, answer):
    feedback = quiz.evaluate(answer)
    assert feedback.status is Status.CORRECT
    assert str(feedback).splitlines()[0] == "q4 · Correct: Well done. Each order is one purchase."


def test_wrong_answers_explain_that_option(quiz):
    assert quiz.evaluate("a").message == (
        "customers has one row per customer, however often they bought."
    )
    assert quiz.evaluate("z").message == "`z` is not one of the options (a, b, c)."
    assert quiz.evaluate("").status is Status.NOT_ATTEMPTED
    assert quiz.evaluate(None).status is Status.NOT_ATTEMPTED


def test_choose_all_that_apply():
    quiz = Quiz("q1", "Which are tables?", {"a": "orders", "b": "sum", "c": "customers"},
                ["a", "c"], why={"b": "sum is a function."})  # fmt: skip
    assert quiz.multiple and "(Choose all that apply.)" in quiz.as_text()
    assert quiz.evaluate("a, c").passed and quiz.evaluate(["c", "a"]).passed
    assert "choose all that apply" in quiz.evaluate("a").message
    assert quiz.evaluate(["a", "b"]).message == "sum is a function."


@pytest.mark.parametrize(
    ("text", "match"),
    [('[q1]\nprompt = "?"\ncorrect = "z"\n[q1.options]\na = "A"\nb = "B"\n', r"names \['z'\]"),
     ('[q1]\nprompt = "?"\ncorrect = "a"\n[q1.options]\na = "A"\n', "at least two options"),
     ('[q1]\nprompt = "?"\nanswer = "a"\n', "it needs `prompt`, `options` and `correct`"),
     ("[q1\n", "not valid TOML")],
)  # fmt: skip
def test_malformed_quiz_files_say_what_to_fix(text, match):
    with pytest.raises(QuizFormatError, match=match):
        load_quizzes(text)


def test_packaged_quizzes_are_read_with_importlib_resources():
    assert packaged_quizzes("99_no_such_lesson") == {}


def test_plain_text_fallback(quiz):
    answers = []
    view = QuizView(quiz, lambda choice: answers.append(choice) or quiz.evaluate(choice),
                    call='ex.quiz("q4", answer="...")')  # fmt: skip
    assert not widgets_available()  # no kernel under pytest: the text form is what shows
    assert repr(view).endswith('Answer in code: ex.quiz("q4", answer="...")')
    assert view.check("b").passed and answers == ["b"]


def _find(widget, kind):
    if isinstance(widget, kind):
        return [widget]
    return [w for child in getattr(widget, "children", ()) for w in _find(child, kind)]


def test_widget_records_a_click_and_never_raises(quiz):
    answers = []
    view = QuizView(quiz, lambda choice: answers.append(choice) or quiz.evaluate(choice), "")
    form = view.widget()
    radio = _find(form, widgets.RadioButtons)[0]
    assert radio.options == (("a) customers", "a"), ("b) orders", "b"), ("c) products", "c"))
    assert radio.value is None  # nothing pre-selected
    radio.value = "b"
    _find(form, widgets.Button)[0].click()
    assert answers == ["b"]

    def broken(choice):
        raise RuntimeError("disk full")

    form = QuizView(quiz, broken, "").widget()
    _find(form, widgets.Button)[0].click()  # the error is shown, not raised


def test_checkbox_form_for_several_right_options():
    quiz = Quiz("q1", "?", {"a": "x", "b": "y", "c": "z"}, ["a", "b"])
    answers = []
    form = QuizView(quiz, lambda choice: answers.append(choice) or quiz.evaluate(choice), "").widget()
    boxes = _find(form, widgets.Checkbox)
    boxes[0].value = boxes[1].value = True
    _find(form, widgets.Button)[0].click()
    assert answers == [["a", "b"]]
