"""Show a quiz: ipywidgets in JupyterLab, plain text everywhere else.

:class:`QuizView` displays radio buttons (or checkboxes when several options are
right), a "Check" button and an output area. Its plain-text form, which a
frontend without widgets shows instead, lists the options and says how to answer
in code: ``ex.quiz("q4", answer="b")``. A widget callback never raises: papermill
would not notice (the traceback would hide in the widget state).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from crmlab.exercises.feedback import Feedback, Status
from crmlab.exercises.quiz import Quiz

__all__ = ["QuizView", "widgets_available"]


def widgets_available() -> bool:
    """True inside a Jupyter kernel with ipywidgets installed.

    Examples
    --------
    >>> widgets_available()
    False
    """
    try:
        import ipywidgets  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class QuizView:
    """An interactive quiz, recorded through ``on_answer``.

    Parameters
    ----------
    quiz : Quiz
        The question and options.
    on_answer : callable
        ``on_answer(choice)`` checks and records a choice and returns Feedback.
    call : str
        The code that answers this quiz without widgets, shown in the text form.

    Examples
    --------
    >>> quiz = Quiz("q4", "2 + 2?", {"a": "3", "b": "4"}, "b")
    >>> print(QuizView(quiz, quiz.evaluate, call='ex.quiz("q4", answer=...)'))
    q4. 2 + 2?
      a) 3
      b) 4
    Answer in code: ex.quiz("q4", answer=...)
    """

    def __init__(self, quiz: Quiz, on_answer: Callable[[Any], Feedback], call: str) -> None:
        self.quiz = quiz
        self._on_answer = on_answer
        self._call = call

    def __repr__(self) -> str:
        return f"{self.quiz.as_text()}\nAnswer in code: {self._call}"

    def check(self, answer: Any) -> Feedback:
        """Answer in code, like clicking "Check"."""
        return self._on_answer(answer)

    def _ipython_display_(self) -> None:
        from IPython.display import display

        if not widgets_available():
            display({"text/plain": repr(self)}, raw=True)
            return
        box = self.widget()
        bundle = box._repr_mimebundle_()
        bundle = bundle[0] if isinstance(bundle, tuple) else bundle
        bundle["text/plain"] = repr(self)
        display(bundle, raw=True)

    def widget(self):
        """Build the ipywidgets form (a VBox)."""
        import ipywidgets as w

        keys = list(self.quiz.options)
        labels = [f"{key}) {text}" for key, text in self.quiz.options.items()]
        if self.quiz.multiple:
            boxes = [w.Checkbox(value=False, description=label, indent=False) for label in labels]
            chooser = w.VBox(boxes)

            def choice() -> list[str]:
                return [key for key, box in zip(keys, boxes, strict=True) if box.value]
        else:
            chooser = w.RadioButtons(options=list(zip(labels, keys, strict=True)), value=None)

            def choice() -> str | None:
                return chooser.value

        button = w.Button(description="Check", button_style="primary")
        output = w.Output()
        button.on_click(lambda _: self._answer(choice(), output))
        prompt = w.HTML(f"<b>{html.escape(self.quiz.id)}.</b> {html.escape(self.quiz.prompt)}")
        return w.VBox([prompt, chooser, button, output])

    def _answer(self, choice: Any, output) -> None:
        from IPython.display import display

        try:
            feedback = self._on_answer(choice)
        except Exception as exc:  # never let a callback raise
            feedback = Feedback(
                Status.CHECKER_ERROR,
                f"The quiz could not record your answer ({type(exc).__name__}). "
                "This is not your fault: please report it.",
                question=self.quiz.id,
            )
        output.clear_output()
        with output:
            display(feedback)
