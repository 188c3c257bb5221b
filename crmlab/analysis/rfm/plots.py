"""The RFM grid as a picture: one colour per segment, the number of customers in each cell."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from crmlab.validation import column_arguments

from .segments import SEGMENTS, Segment, segment_grid

__all__ = ["segment_heatmap"]


def segment_heatmap(table: pd.DataFrame, segments: Sequence[Segment] = SEGMENTS, ax=None):
    """Draw the R x F grid: each cell coloured by its segment, labelled with its name and customer count.

    Parameters
    ----------
    table : DataFrame
        With ``r_score`` and ``f_score`` from 1 to 5, e.g. from :func:`rfm_table`.
    segments : sequence of Segment
        The rules that name the cells; by default :data:`SEGMENTS`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> table = pd.DataFrame({"r_score": [5, 5, 1], "f_score": [5, 4, 1]})
    >>> ax = segment_heatmap(table)
    >>> [t.get_text() for t in ax.texts][3:5]
    ['Champions\\n1', 'Champions\\n1']
    """
    import matplotlib.pyplot as plt
    import seaborn as sns
    from matplotlib.colors import ListedColormap

    column_arguments(table, {"r_score": "r_score", "f_score": "f_score"}, "table")
    names = segment_grid(segments)
    counts = pd.crosstab(table["r_score"], table["f_score"]).reindex(index=names.index, columns=names.columns,
                                                                      fill_value=0)  # fmt: skip
    order = {s.name: i for i, s in enumerate(segments)}
    codes = names.apply(lambda column: column.map(order)).astype(float)
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.5))
    palette = ListedColormap(sns.color_palette("Set3", len(order)))
    sns.heatmap(codes, annot=names + "\n" + counts.astype(str), fmt="", annot_kws={"color": "black"}, cmap=palette,
                vmin=-0.5, vmax=len(order) - 0.5, cbar=False, linewidths=1, linecolor="white", ax=ax)  # fmt: skip
    ax.set(xlabel="F score (frequency: 5 = most orders)", ylabel="R score (recency: 5 = most recent)")
    ax.tick_params(axis="y", rotation=0)
    return ax
