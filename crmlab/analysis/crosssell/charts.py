"""Two charts a marketing manager reads in ten seconds: the gains curve and profit by depth."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from crmlab.validation import require_table

from .mailing import best_depth

__all__ = ["draw_gains", "draw_profit"]


def _axes(ax):
    return ax if ax is not None else plt.subplots(figsize=(6, 4))[1]


def draw_gains(gains: Mapping[str, pd.DataFrame], ax=None, *, who: str = "buyers"):
    """Share of ``who`` reached against share of customers mailed, one curve per model.

    Parameters
    ----------
    gains : dict of str to DataFrame
        Label -> :func:`crmlab.analysis.churn.gains_table` of a model.
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).
    who : str
        What the outcome is called on the y axis ("buyers", "donors" ...).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from crmlab.analysis.churn import gains_table
    >>> g = gains_table([1, 0, 1, 0, 0, 0, 0, 1], [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2], n_groups=4)
    >>> ax = draw_gains({"model": g})
    >>> [line.get_label() for line in ax.get_lines()]
    ['model', 'mailing at random']
    >>> plt.close("all")
    """
    ax = _axes(ax)
    for label, table in gains.items():
        table = require_table(table, "gains", ["share_contacted", "share_caught"])
        ax.plot(np.r_[0, table["share_contacted"]], np.r_[0, table["share_caught"]], "o-", label=label)
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="mailing at random")
    ax.set(xlabel="share of customers mailed (best scores first)", ylabel=f"share of all {who} reached",
           xlim=(0, 1), ylim=(0, 1.02))  # fmt: skip
    ax.legend()
    return ax


def draw_profit(tables: Mapping[str, pd.DataFrame], ax=None, *, currency: str = "€"):
    """Profit against the share of customers mailed; the best depth of each curve is marked and named in the legend.

    Parameters
    ----------
    tables : dict of str to DataFrame
        Label -> :func:`~crmlab.analysis.crosssell.profit_by_depth` table.
    ax : matplotlib Axes, optional
        Where to draw (default: a new figure).
    currency : str
        Shown in the axis label.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from crmlab.analysis.crosssell import profit_by_depth
    >>> t = profit_by_depth([1, 0, 1, 0, 0], [0.9, 0.8, 0.7, 0.2, 0.1], cost=10, margin=30)
    >>> ax = draw_profit({"model": t})
    >>> ax.get_lines()[0].get_label()
    'model: best to mail 3'
    >>> plt.close("all")
    """
    ax = _axes(ax)
    for label, table in tables.items():
        table = require_table(table, "tables", ["share_mailed", "profit", "cost"])
        best = best_depth(table)
        label = f"{label}: best to mail {int(best['mailed']):,}"
        line = ax.plot(np.r_[0, table["share_mailed"]], np.r_[0, table["profit"]], label=label)[0]
        ax.plot([best["share_mailed"]], [best["profit"]], "o", color=line.get_color())
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set(xlabel="share of customers mailed (best scores first)", ylabel=f"profit ({currency})", xlim=(0, 1))
    ax.legend()
    return ax
