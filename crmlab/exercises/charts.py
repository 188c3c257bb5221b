"""Read the data back out of a learner's chart, to check it like any other answer.

Use :func:`chart_data` as a question's ``prepare`` step: the learner passes the
Axes their plot returned (``ax = monthly.plot.bar()``) and the question compares
the bars' heights, or a line's values, with the expected Series.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from crmlab.exercises.comparison import describe
from crmlab.exercises.question import AnswerError

__all__ = ["chart_data"]


def chart_data(chart: Any) -> pd.Series:
    """The data drawn in a bar or line chart.

    Parameters
    ----------
    chart : matplotlib Axes or Figure
        What the plotting call returned (pandas' ``.plot`` returns an Axes), or its
        figure. Objects with an ``ax`` attribute (seaborn grids) work too.

    Returns
    -------
    pandas.Series
        For bars: their heights (widths for horizontal bars), indexed by the tick
        labels. For lines: the first line's y values, in order, with a default index.

    Raises
    ------
    AnswerError
        When ``chart`` is not a chart, or holds neither bars nor lines; the
        message says what to pass instead.

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> ax = pd.Series([3, 5], index=["Jan", "Feb"]).plot.bar()
    >>> chart_data(ax).to_dict()
    {'Jan': 3.0, 'Feb': 5.0}
    >>> plt.close("all")
    """
    ax = _axes(chart)
    if ax.containers:
        return _bars(ax)
    if ax.lines:
        return pd.Series(ax.lines[0].get_ydata(), dtype=float, name="value")
    raise AnswerError(
        "Your chart has no bars or lines to check. Pass the Axes of a bar or line chart, "
        "e.g. `ax = table['column'].plot.bar()` and then `check(ax)`."
    )


def _axes(chart: Any):
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    if isinstance(chart, Figure) and chart.axes:
        return chart.axes[0]
    if isinstance(getattr(chart, "ax", None), Axes):
        chart = chart.ax
    if isinstance(chart, Axes):
        return chart
    tip = " `plt.show()` returns None: keep what `.plot...()` returned." if chart is None else ""
    raise AnswerError(
        f"The question asks for a chart (the Axes a plotting call returns); you gave "
        f"{describe(chart)}.{tip} For example `ax = table.plot.bar()`, then `check(ax)`."
    )


def _bars(ax) -> pd.Series:
    container = ax.containers[0]
    horizontal = getattr(container, "orientation", "vertical") == "horizontal"
    sizes = [p.get_width() if horizontal else p.get_height() for p in container.patches]
    ticks = ax.get_yticklabels() if horizontal else ax.get_xticklabels()
    labels = [t.get_text() for t in ticks]
    if len(labels) != len(sizes) or not all(labels):
        labels = list(range(len(sizes)))
    return pd.Series(sizes, index=labels, dtype=float, name="value")
