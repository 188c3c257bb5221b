"""Show a quiz: ipywidgets in JupyterLab and Voila, plain text everywhere else.

:class:`QuizView` displays the question, one full-width row per option, a "Check"
button and an output area. Each row is a checkbox whose label is stretched over the
whole row, under the option's text, so a click anywhere on the row selects exactly
that option, and long option texts wrap inside their own row instead of running
over the next one (ipywidgets' RadioButtons give each label a fixed 20 px height in
a 300 px box: wrapped lines covered the next option and clicks landed on it). When
only one option is right, choosing a row clears the others and the boxes look like
radio buttons. tests/test_browser.py checks all of this in Chromium.

Prompt and options are Markdown (backticks for code, ``*emphasis*``), rendered by
:func:`inline_markdown`: any HTML in the text is shown as text, never run, and
dollar signs stay dollar signs in JupyterLab, which would otherwise typeset
``$757.98 ... $456.97`` as LaTeX; the verdict shown under the form keeps its
dollar signs too.

The plain-text form, which a frontend without widgets shows instead, lists the
options unrendered and says how to answer in code: ``ex.quiz("q4", answer="b")``.
A widget callback never raises: papermill would not notice (the traceback would
hide in the widget state).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from crmlab.exercises.feedback import Feedback, Status
from crmlab.exercises.quiz import Quiz

__all__ = ["QuizView", "inline_markdown", "widgets_available"]

#: CSS classes of the form, for styling and for browser tests.
FORM_CLASS = "crmlab-quiz"
OPTION_CLASS = "crmlab-quiz-option"
SINGLE_CLASS = "crmlab-quiz-single"

# Scoped to the quiz's own classes and shipped inside the form (an HTML widget), so it works in
# JupyterLab and Voila without an extension. A row is an HBox [Checkbox, HTML]: the checkbox's
# label is stretched over the whole row and the text lets clicks through to it, so a click
# anywhere on the row toggles that row's box. The text is an HTML widget, never typeset as math
# (a Checkbox description would be: "$757.98 ... $456.97" became a formula).
_STYLE = f"""<style>
.{FORM_CLASS} .widget-html-content {{ height: auto; line-height: 1.4; white-space: normal; }}
.{FORM_CLASS} code {{
  font-family: var(--jp-code-font-family, monospace); font-size: 0.92em; padding: 0 0.25em;
  background: var(--jp-layout-color2, #eee); border-radius: 3px;
}}
.{OPTION_CLASS} {{
  position: relative; width: 100%; height: auto; margin: 2px 0; box-sizing: border-box;
  padding: 4px 8px 4px 34px; border: 1px solid var(--jp-border-color2, #ddd); border-radius: 4px;
}}
.{OPTION_CLASS}:hover {{ border-color: var(--jp-brand-color1, #1976d2); }}
.{OPTION_CLASS}:has(input:checked) {{
  border-color: var(--jp-brand-color1, #1976d2); background: var(--jp-brand-color4, #e3f2fd);
}}
.{OPTION_CLASS} > .widget-checkbox {{ position: absolute; inset: 0; width: auto; height: auto; margin: 0; }}
.{OPTION_CLASS} > .widget-checkbox > label.widget-label-basic {{
  position: absolute; inset: 0; width: auto; height: auto; margin: 0; padding: 0 0 0 10px;
  display: flex; align-items: flex-start; cursor: pointer;
}}
.{OPTION_CLASS} > .widget-checkbox > label.widget-label-basic > input {{ margin: 9px 0 0 0; flex: none; }}
.{OPTION_CLASS} > .widget-html {{ pointer-events: none; margin: 0; height: auto; flex: 1 1 auto; min-width: 0; }}
.{OPTION_CLASS} > .widget-html > .widget-html-content {{
  height: auto; line-height: 1.4; padding: 1px 0; white-space: normal; overflow-wrap: anywhere;
  overflow: visible;
}}
.{SINGLE_CLASS} > .widget-checkbox input {{
  appearance: none; width: 14px; height: 14px; border-radius: 50%;
  border: 2px solid var(--jp-ui-font-color2, #616161); background: transparent;
}}
.{SINGLE_CLASS} > .widget-checkbox input:checked {{
  border-color: var(--jp-brand-color1, #1976d2);
  background: radial-gradient(circle, var(--jp-brand-color1, #1976d2) 45%, transparent 50%);
}}
</style>"""


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


# MathJax 2 and 3+ skip elements with these classes; the $ inside can never open a formula.
_DOLLAR = '<span class="tex2jax_ignore mathjax_ignore">$</span>'


@cache
def _markdown():
    import mistune
    from mistune.block_parser import BlockParser
    from mistune.inline_parser import InlineParser

    inline = InlineParser(hard_wrap=False)
    # No links, images or raw HTML: nothing a quiz shows can load or run anything.
    inline.rules = ["escape", "codespan", "emphasis", "linebreak"]
    block = BlockParser()
    block.rules = ["blank_line"]  # paragraphs only: "1." or "#" at the start stay text
    return mistune.Markdown(mistune.HTMLRenderer(escape=True), block=block, inline=inline)


def inline_markdown(text: str) -> str:
    """Quiz text as safe HTML: code, emphasis and paragraphs; everything else is text.

    HTML in ``text`` is escaped, links and images stay text, and each ``$`` sits in
    a span that MathJax skips, so that JupyterLab never typesets ``$5 ... $7`` as a
    formula wherever the HTML is shown.

    Parameters
    ----------
    text : str
        Markdown: ```code```, ``*emphasis*``, ``**strong**``; blank lines separate paragraphs.

    Returns
    -------
    str
        HTML; a single paragraph comes without its ``<p>`` tags.

    Examples
    --------
    >>> inline_markdown("Use `pd.qcut`, *not* <b>this</b>")
    'Use <code>pd.qcut</code>, <em>not</em> &lt;b&gt;this&lt;/b&gt;'
    >>> inline_markdown("$5")
    '<span class="tex2jax_ignore mathjax_ignore">$</span>5'
    """
    rendered = _markdown()(str(text)).strip()
    single = re.fullmatch(r"<p>(.*)</p>", rendered, flags=re.S)
    if single and "<p>" not in single.group(1):
        rendered = single.group(1)
    return _dollar_safe(rendered)


def _dollar_safe(markup: str) -> str:
    """Put every ``$`` of the text (not of a tag) in a span that MathJax skips."""
    return re.sub(r"\$(?![^<]*>)", _DOLLAR, markup)


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
        """Build the ipywidgets form: a VBox of prompt, option rows, button and output."""
        import ipywidgets as w

        rows = {key: _option_row(key, text, self.quiz.multiple) for key, text in self.quiz.options.items()}
        boxes = {key: box for key, (_, box) in rows.items()}
        if not self.quiz.multiple:
            _make_exclusive(boxes)
        how = "Choose all that apply." if self.quiz.multiple else "Choose one."
        prompt = w.HTML(
            f"{_STYLE}<div><b>{html.escape(self.quiz.id)}.</b> {inline_markdown(self.quiz.prompt)}</div>"
            f'<div style="color:var(--jp-ui-font-color2, #616161)">{how}</div>'
        )
        button = w.Button(description="Check", button_style="primary")
        output = w.Output()
        button.on_click(lambda _: self._answer(_chosen(boxes, self.quiz.multiple), output))
        options = w.VBox([row for row, _ in rows.values()], layout=w.Layout(width="100%"))
        form = w.VBox([prompt, options, button, output], layout=w.Layout(width="100%"))
        form.add_class(FORM_CLASS)
        return form

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
            display(_bundle(feedback), raw=True)


def _bundle(feedback: Feedback) -> dict[str, str]:
    """Feedback as text and as HTML whose dollar signs JupyterLab never typesets as math."""
    bundle = {"text/plain": str(feedback)}
    try:
        bundle["text/html"] = _dollar_safe(feedback._repr_html_())
    except Exception:  # not a Feedback, or one that cannot render: the text is enough
        pass
    return bundle


def _option_row(key: str, text: str, multiple: bool) -> tuple[Any, Any]:
    """One option: (the row to show, its checkbox)."""
    import ipywidgets as w

    box = w.Checkbox(value=False, indent=False, description="", tooltip=f"{key}) {text}")
    label = w.HTML(f"<b>{html.escape(key)})</b> {inline_markdown(text)}")
    row = w.HBox([box, label], layout=w.Layout(width="100%", height="auto"))
    row.add_class(OPTION_CLASS)
    if not multiple:
        row.add_class(SINGLE_CLASS)
    return row, box


def _make_exclusive(boxes: dict) -> None:
    """Choosing one row clears the others (a radio group made of checkboxes)."""

    def on_change(change: dict) -> None:
        if change["new"]:
            for other in boxes.values():
                if other is not change["owner"] and other.value:
                    other.value = False

    for box in boxes.values():
        box.observe(on_change, names="value")


def _chosen(boxes: dict, multiple: bool) -> list[str] | str | None:
    keys = [key for key, box in boxes.items() if box.value]
    if multiple:
        return keys
    return keys[0] if len(keys) == 1 else (keys or None)
