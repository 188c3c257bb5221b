"""The two known unit mistakes on the practice company's money columns.

The course's company is an Iranian retailer. Its money columns keep the export's names
(``total_cents``, ``amount_cents``, ...) but hold whole rials: the rial has no minor unit
in use, so there is nothing to divide. Two wrong answers come up again and again:
dividing by 100 out of the cents habit, and answering in toman (a tenth of the rials).
:func:`unit_mistakes` writes both as :class:`~crmlab.exercises.Mistake` objects for a
question, with one wording for the whole course.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from crmlab.exercises.question import Mistake

__all__ = ["unit_mistakes"]


def unit_mistakes(
    column: str, compute: Callable[[float], Any], what: str = "revenue", *, note: str = ""
) -> list[Mistake]:
    """The cents-habit and the toman mistakes of a question whose answer is money in rials.

    Parameters
    ----------
    column : str
        The money column the answer is computed from, e.g. ``"total_cents"``; named in
        both messages.
    compute : callable
        ``compute(divide)`` computes the answer with the amounts of ``column`` divided by
        ``divide``: ``compute(1)`` would be the right answer. It is called lazily, with
        100 and with 10, on the first check that compares with these mistakes.
    what : str, default "revenue"
        The quantity the question asks for, as the learner reads it (a singular noun:
        "revenue", "velocity", "weighted pipeline").
    note : str, optional
        A sentence added to both messages, for what is particular to the question
        (e.g. that a quote it is compared with is in rials too).

    Returns
    -------
    list of Mistake
        The answer divided by 100 (as if ``column`` held cents), then the answer in
        toman (divided by 10).

    Examples
    --------
    >>> cents, toman = unit_mistakes("total_cents", lambda divide: 12_990_000 / divide)
    >>> cents.expected(), toman.expected()
    (129900.0, 1299000.0)
    >>> print(cents.message.partition(". ")[0])  # the first sentence
    Your revenue is 100 times too small: you divided `total_cents` by 100 as if it held cents
    >>> print(toman.message.partition(": ")[0])
    Your revenue is in toman, a tenth of the rials asked for
    """
    extra = f" {note}" if note else ""
    return [
        Mistake(
            f"Your {what} is 100 times too small: you divided `{column}` by 100 as if it held cents. "
            "On this company it holds whole rials (the rial has no smaller unit in use; the column keeps "
            f"the export's name): use the amounts as they are.{extra}",
            expected=functools.partial(compute, 100),
        ),
        Mistake(
            f"Your {what} is in toman, a tenth of the rials asked for: prices are often quoted in toman, "
            f"but `{column}` holds rials. Do not divide by 10; use the amounts as they are.{extra}",
            expected=functools.partial(compute, 10),
        ),
    ]
