"""Charts a manager reads in ten seconds: intervals around an effect, and a launch board."""

from __future__ import annotations

import pandas as pd

from crmlab.validation import require_table

from .launches import DECISIONS

__all__ = ["DECISION_COLOURS", "draw_intervals", "draw_launch_board"]

#: Traffic-light colours of the launch decisions.
DECISION_COLOURS = {"stop": "#d9544f", "continue": "#f0c75e", "go": "#5cb85c"}


def _axes(ax, size):
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    return Figure(figsize=size).subplots()


def draw_intervals(table: pd.DataFrame, value: str = "uplift", reference: float | None = None, ax=None):
    """Each row's estimate as a dot with its confidence interval, against zero.

    Parameters
    ----------
    table : DataFrame
        One row per estimate (the index labels the rows), with the columns ``value``,
        ``ci_low`` and ``ci_high``, e.g. results of
        :func:`~crmlab.analysis.experiments.uplift_test` side by side, transposed.
    value : str
        The column holding the estimate.
    reference : float, optional
        A value to mark with a dotted line, e.g. the planted truth.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> table = pd.DataFrame({"uplift": [0.02, 0.10], "ci_low": [-0.01, 0.05], "ci_high": [0.05, 0.15]},
    ...                      index=["randomised", "self-selected"])
    >>> ax = draw_intervals(table)
    >>> [t.get_text() for t in ax.get_yticklabels()]
    ['randomised', 'self-selected']
    """
    require_table(table, "table", [value, "ci_low", "ci_high"])
    ax = _axes(ax, (7, 0.6 * len(table) + 1))
    y = list(range(len(table)))[::-1]
    ax.hlines(y, table["ci_low"], table["ci_high"], color="tab:blue", linewidth=3, alpha=0.5)
    ax.scatter(table[value], y, color="tab:blue", zorder=3)
    ax.axvline(0, color="grey", linewidth=1)
    if reference is not None:
        ax.axvline(reference, color="tab:green", linestyle=":", label=f"true value {reference:g}")
        ax.legend(loc="lower right")
    ax.set_yticks(y, [str(i) for i in table.index])
    ax.set_ylim(-0.7, len(table) - 0.3)
    return ax


def draw_launch_board(judged: pd.DataFrame, ax=None):
    """A traffic light per launch and phase: the decision, with the ratio to a typical launch.

    Launches are listed by category, then launch date (when ``judged`` has the columns
    ``category_id`` and ``launched_on``), so each launch sits below the earlier ones it
    was compared with.

    Parameters
    ----------
    judged : DataFrame
        The result of :func:`~crmlab.analysis.experiments.judge_launches`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> judged = pd.DataFrame({"product_id": [7, 7], "phase": [1, 2], "name": "Phone X",
    ...     "weeks": ["1-4", "5-8"], "ratio": [0.9, 1.1], "decision": ["continue", "go"]}
    ...     ).set_index(["product_id", "phase"])
    >>> ax = draw_launch_board(judged)
    >>> [t.get_text() for t in ax.texts]
    ['0.90', '1.10']
    """
    from matplotlib.patches import Patch, Rectangle

    frame = judged.reset_index() if "product_id" not in judged.columns else judged
    require_table(frame, "judged", ["product_id", "phase", "name", "weeks", "ratio", "decision"])
    if {"category_id", "launched_on"} <= set(frame.columns):
        frame = frame.sort_values(["category_id", "launched_on", "product_id", "phase"], kind="stable")
    products = list(dict.fromkeys(frame["product_id"]))
    phases = sorted(frame["phase"].unique())
    weeks = frame.drop_duplicates("phase").set_index("phase")["weeks"]
    names = frame.drop_duplicates("product_id").set_index("product_id")["name"]
    ax = _axes(ax, (1.6 * len(phases) + 3, 0.4 * len(products) + 1))
    for row in frame.itertuples(index=False):
        x, y = phases.index(row.phase), products.index(row.product_id)
        ax.add_patch(Rectangle((x - 0.5, y - 0.5), 1, 1, facecolor=DECISION_COLOURS[row.decision], edgecolor="white"))
        ax.text(x, y, f"{row.ratio:.2f}", ha="center", va="center", fontsize=9)
    ax.set_xlim(-0.5, len(phases) - 0.5)
    ax.set_ylim(len(products) - 0.5, -0.5)
    ax.set_xticks(range(len(phases)), [f"weeks {weeks[p]}" for p in phases])
    ax.set_yticks(range(len(products)), [f"{names[p]} (#{p})" for p in products])
    ax.xaxis.tick_top()
    handles = [Patch(color=DECISION_COLOURS[d], label=d) for d in DECISIONS]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    return ax
