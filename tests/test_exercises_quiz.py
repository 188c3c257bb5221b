"""Quizzes: TOML content, answers in code, the ipywidgets form and its fallback."""

from pathlib import Path

import ipywidgets as widgets
import pytest

from crmlab.exercises import Quiz, Status, load_quizzes
from crmlab.exercises.quiz import QuizFormatError, packaged_quizzes
from crmlab.exercises.quiz_widget import (
    OPTION_CLASS,
    SINGLE_CLASS,
    QuizView,
    _bundle,
    inline_markdown,
    widgets_available,
)
from crmlab.exercises.registry import available_lessons, lesson

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


def _rows(form):
    return [w for w in _find(form, widgets.HBox) if OPTION_CLASS in w._dom_classes]


def test_one_full_width_row_per_option(quiz):
    """Each option is its own row (box + text), never ipywidgets' RadioButtons (20 px labels overlap)."""
    form = QuizView(quiz, quiz.evaluate, "").widget()
    assert _find(form, widgets.RadioButtons) == []
    rows = _rows(form)
    assert len(rows) == 3 and all(row.layout.width == "100%" for row in rows)
    assert [row.children[1].value for row in rows] == ["<b>a)</b> customers", "<b>b)</b> orders", "<b>c)</b> products"]
    assert all(SINGLE_CLASS in row._dom_classes for row in rows)  # one right option: drawn as radio buttons
    assert [box.value for box in _find(form, widgets.Checkbox)] == [False, False, False]  # nothing pre-selected


def test_widget_records_a_click_and_never_raises(quiz):
    answers = []
    view = QuizView(quiz, lambda choice: answers.append(choice) or quiz.evaluate(choice), "")
    form = view.widget()
    boxes, check = _find(form, widgets.Checkbox), _find(form, widgets.Button)[0]
    check.click()
    boxes[1].value = True
    check.click()
    boxes[2].value = True  # choosing c clears b: one answer only
    assert [box.value for box in boxes] == [False, False, True]
    check.click()
    assert answers == [None, "b", "c"]

    def broken(choice):
        raise RuntimeError("disk full")

    form = QuizView(quiz, broken, "").widget()
    _find(form, widgets.Button)[0].click()  # the error is shown, not raised


def test_every_option_of_every_course_quiz_is_recorded_and_judged():
    """Outside a browser, every option of every lesson's quiz, through its form: the browser tests
    answer a sample of the quizzes (tests/test_browser.py, ``answered_sample``)."""
    quizzes = [(lid, item) for lid in available_lessons() for item in lesson(lid).items if isinstance(item, Quiz)]
    assert len(quizzes) >= len(available_lessons())
    for lesson_id, quiz in quizzes:
        answers = []

        def record(choice, quiz=quiz, answers=answers):
            answers.append(choice)
            return quiz.evaluate(choice)

        form = QuizView(quiz, record, "").widget()
        boxes, check = _find(form, widgets.Checkbox), _find(form, widgets.Button)[0]
        assert len(boxes) == len(quiz.options), (lesson_id, quiz.id)
        for j in range(len(boxes)):
            for i, box in enumerate(boxes):
                box.value = i == j
            check.click()
        assert answers == [[key] if quiz.multiple else key for key in quiz.options], (lesson_id, quiz.id)
        for key in quiz.options:
            feedback = quiz.evaluate(key)
            assert (feedback.status is Status.CORRECT) == (quiz.correct == {key}), (lesson_id, quiz.id, key)
            assert feedback.status in (Status.CORRECT, Status.INCORRECT) and feedback.message, (lesson_id, quiz.id)


def test_checkbox_form_for_several_right_options():
    quiz = Quiz("q1", "?", {"a": "x", "b": "y", "c": "z"}, ["a", "b"])
    answers = []
    form = QuizView(quiz, lambda choice: answers.append(choice) or quiz.evaluate(choice), "").widget()
    boxes = _find(form, widgets.Checkbox)
    assert not any(SINGLE_CLASS in row._dom_classes for row in _rows(form))
    boxes[0].value = boxes[1].value = True
    _find(form, widgets.Button)[0].click()
    assert answers == [["a", "b"]]
    assert "Choose all that apply." in _find(form, widgets.HTML)[0].value


@pytest.mark.parametrize(
    ("text", "html"),
    [("Use `pd.qcut`, *not* **this**", "Use <code>pd.qcut</code>, <em>not</em> <strong>this</strong>"),
     ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
     ('<img src=x onerror="alert(1)">', "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"),
     ("![logo](http://example.com/a.png)", "![logo](http://example.com/a.png)"),  # nothing is fetched
     ("[click](javascript:alert(1))", "[click](javascript:alert(1))"),
     ("`a < b` & c", "<code>a &lt; b</code> &amp; c"),
     ("1. not a list", "1. not a list"),
     ("days_since_last_order", "days_since_last_order"),
     ("First.\n\nSecond.", "<p>First.</p>\n<p>Second.</p>")],
)  # fmt: skip
def test_quiz_text_is_markdown_rendered_safely(text, html):
    assert inline_markdown(text) == html


def test_dollars_never_become_latex():
    """JupyterLab's MathJax would typeset "$757.98 ... $456.97"; each $ sits in a span it skips."""
    rendered = inline_markdown("$757.98 ... $456.97")
    assert rendered.count('<span class="tex2jax_ignore mathjax_ignore">$</span>') == 2
    assert rendered.replace('<span class="tex2jax_ignore mathjax_ignore">$</span>', "") == "757.98 ... 456.97"


def test_quiz_feedback_keeps_its_dollars():
    quiz = Quiz("q1", "Cost?", {"a": "$5", "b": "$7"}, "b", explanation="It is $7, not $5.")
    data = _bundle(quiz.evaluate("b"))
    assert data["text/plain"].startswith("q1 · Correct: Well done. It is $7, not $5.")
    assert "$7" not in data["text/html"] and data["text/html"].count("mathjax_ignore") >= 2
    assert _bundle("not a Feedback") == {"text/plain": "not a Feedback"}


def test_text_fallback_stays_plain():
    quiz = Quiz("q1", "Is `x` *big*?", {"a": "$5 <b>", "b": "no"}, "b")
    text = repr(QuizView(quiz, quiz.evaluate, 'ex.quiz("q1", answer="...")'))
    assert text.splitlines()[:3] == ["q1. Is `x` *big*?", "  a) $5 <b>", "  b) no"]
