"""What ``check``, ``hint`` and ``solution`` return: results with a stable text form.

A :class:`Feedback` says what happened to one answer: its :class:`Status`, a
message first, then how many checks passed, then at most a few differing rows.
Its plain text (``str`` and ``repr``) holds no ids, timestamps or addresses, so an
executed notebook is reproducible; ``_repr_html_`` gives a colour-coded box in
JupyterLab. A :class:`Message` is the same idea for hints, solutions and notices.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Check", "Feedback", "Message", "Status"]


class Status(StrEnum):
    """The outcome of checking one answer."""

    CORRECT = "correct"
    INCORRECT = "incorrect"
    NOT_ATTEMPTED = "not_attempted"
    LEARNER_ERROR = "learner_error"
    CHECKER_ERROR = "checker_error"
    UNCHECKED = "unchecked"


_HEADLINES = {
    Status.CORRECT: "Correct",
    Status.INCORRECT: "Not quite",
    Status.NOT_ATTEMPTED: "Not attempted yet",
    Status.LEARNER_ERROR: "Your code raised an error",
    Status.CHECKER_ERROR: "Problem in the checker (not your fault)",
    Status.UNCHECKED: "Recorded (not checked automatically)",
}

# (border colour, background colour) per status, for the HTML form.
_COLOURS = {
    Status.CORRECT: ("#2e7d32", "#e8f5e9"),
    Status.INCORRECT: ("#c62828", "#ffebee"),
    Status.NOT_ATTEMPTED: ("#616161", "#f5f5f5"),
    Status.LEARNER_ERROR: ("#ef6c00", "#fff3e0"),
    Status.CHECKER_ERROR: ("#6a1b9a", "#f3e5f5"),
    Status.UNCHECKED: ("#1565c0", "#e3f2fd"),
}

_TICK, _CROSS = "✓", "✗"


@dataclass(frozen=True)
class Check:
    """One named check of an answer, e.g. "has the expected columns".

    Parameters
    ----------
    label : str
        What was checked, in a few words.
    passed : bool
        Whether the answer passed it.
    """

    label: str
    passed: bool

    def __str__(self) -> str:
        return f"{_TICK if self.passed else _CROSS} {self.label}"


@dataclass(frozen=True)
class Feedback:
    """The result of checking one answer.

    Parameters
    ----------
    status : Status
        What happened.
    message : str
        What is right or wrong and how to look at it; never the expected answer.
    checks : tuple of Check
        The checks run, in order.
    rows : str
        A few rows of the learner's answer that differ, already rendered as text.
    question : str
        The question id, e.g. ``"q1"``.
    rubric : tuple of str
        For a reflection the learner has answered: what a good answer does, shown
        under the message so the learner can judge their own text.
    mistake_id : str
        For an answer showing a known mistake of the question: ``"m<k>"``, the
        mistake's 1-based place in ``Question.mistakes``; ``""`` otherwise. Recorded in
        the progress log as ``"mistake"``; not part of the text shown.

    Examples
    --------
    >>> fb = Feedback(Status.INCORRECT, "Column `x` differs.",
    ...               (Check("is a table", True), Check("values of `x`", False)), question="q1")
    >>> print(fb)
    q1 · Not quite: Column `x` differs.
    1 of 2 checks passed: ✓ is a table; ✗ values of `x`
    >>> fb.passed
    False
    """

    status: Status
    message: str
    checks: tuple[Check, ...] = ()
    rows: str = ""
    question: str = ""
    rubric: tuple[str, ...] = ()
    mistake_id: str = ""

    @property
    def passed(self) -> bool:
        """True when the answer is correct."""
        return self.status is Status.CORRECT

    @property
    def headline(self) -> str:
        """A short title for the status, e.g. "Not quite"."""
        return _HEADLINES[self.status]

    def summary(self) -> str:
        """The "2 of 3 checks passed" line, or "" when there were no checks."""
        if not self.checks:
            return ""
        n_ok = sum(check.passed for check in self.checks)
        return f"{n_ok} of {len(self.checks)} checks passed"

    def __str__(self) -> str:
        prefix = f"{self.question} · " if self.question else ""
        lines = [f"{prefix}{self.headline}: {self.message}"]
        if self.checks:
            lines.append(f"{self.summary()}: " + "; ".join(str(c) for c in self.checks))
        if self.rows:
            lines.append(self.rows)
        if self.rubric:
            lines.append(_RUBRIC_TITLE)
            lines.extend(f"- {item}" for item in self.rubric)
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        border, background = _COLOURS[self.status]
        title = html.escape(f"{self.question} · " if self.question else "") + html.escape(
            self.headline
        )
        parts = [
            f'<div class="crmlab-feedback crmlab-{self.status.value} {_NO_MATH}" style="border-left:6px '
            f"solid {border};background:{background};padding:0.5em 0.8em;margin:0.3em 0;"
            f'font-family:sans-serif">',
            f'<div style="font-weight:bold;color:{border}">{title}</div>',
            f"<div>{_inline_code(self.message)}</div>",
        ]
        if self.checks:
            items = "".join(
                f'<li style="list-style:none;color:{"#2e7d32" if c.passed else "#c62828"}">'
                f"{_inline_code(str(c))}</li>"
                for c in self.checks
            )
            parts.append(
                f"<div style=\"margin-top:0.4em\">{html.escape(self.summary())}</div>"
                f'<ul style="margin:0.2em 0;padding-left:0.5em">{items}</ul>'
            )
        if self.rows:
            parts.append(f'<pre style="margin:0.3em 0">{html.escape(self.rows)}</pre>')
        if self.rubric:
            items = "".join(f"<li>{_inline_code(item)}</li>" for item in self.rubric)
            parts.append(
                f'<div class="crmlab-rubric" style="margin-top:0.4em"><b>{html.escape(_RUBRIC_TITLE)}</b>'
                f'<ul style="margin:0.2em 0">{items}</ul></div>'
            )
        parts.append("</div>")
        return "".join(parts)


_RUBRIC_TITLE = "Rubric, a good answer:"


@dataclass(frozen=True)
class Message:
    """A hint, a solution or a notice, shown as plain text or as HTML.

    Parameters
    ----------
    title : str
        E.g. ``"q1 · Hint 1 of 3"``.
    body : str
        The text; backticks mark code.
    code : str
        Code shown verbatim under the body (for solutions).

    Examples
    --------
    >>> print(Message("q1 · Hint 1 of 2", "Use `.nunique()`."))
    q1 · Hint 1 of 2: Use `.nunique()`.
    """

    title: str
    body: str = ""
    code: str = ""

    def __str__(self) -> str:
        text = f"{self.title}: {self.body}" if self.body else f"{self.title}:"
        if self.code:
            text += "\n" + "\n".join("    " + line for line in self.code.splitlines())
        return text

    __repr__ = __str__

    def _repr_html_(self) -> str:
        parts = [
            f'<div class="crmlab-message {_NO_MATH}" style="border-left:6px solid #1565c0;'
            'background:#e3f2fd;padding:0.5em 0.8em;margin:0.3em 0;font-family:sans-serif">',
            f'<div style="font-weight:bold;color:#1565c0">{html.escape(self.title)}</div>',
        ]
        if self.body:
            parts.append(f"<div>{_inline_code(self.body)}</div>")
        if self.code:
            parts.append(f'<pre style="margin:0.3em 0">{html.escape(self.code)}</pre>')
        parts.append("</div>")
        return "".join(parts)


# MathJax (2 and 3+) skips elements with these classes: "$5 ... $7" in a message stays money.
_NO_MATH = "tex2jax_ignore mathjax_ignore"


def _inline_code(text: str) -> str:
    """Escape ``text`` for HTML and turn `backticked` spans into <code>."""
    escaped = html.escape(text)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped).replace("\n", "<br>")
