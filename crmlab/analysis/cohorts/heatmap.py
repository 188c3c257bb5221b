"""The cohort heatmap: cohorts down, months since acquisition across, the future left blank."""

from __future__ import annotations

import pandas as pd

from crmlab.calendars import calendar_of

__all__ = ["cohort_heatmap"]


def _labels(matrix: pd.DataFrame, sizes: pd.Series | None) -> list[str]:
    if sizes is None:
        return [str(c) for c in matrix.index]
    n = sizes.reindex(matrix.index)
    return [f"{c}  (n={int(k):,})" if pd.notna(k) else str(c) for c, k in zip(matrix.index, n, strict=True)]


def cohort_heatmap(
    matrix: pd.DataFrame,
    sizes: pd.Series | None = None,
    *,
    fmt: str = ".0%",
    ax=None,
    title: str | None = None,
    cmap: str = "YlGnBu",
    skip_first: bool = True,
    calendar: str | None = None,
):
    """Draw a cohort matrix as an annotated seaborn heatmap.

    Cells not observed yet (NaN: the export ended before that month) are masked, so
    the blank triangle at the bottom right shows where the future begins.

    Parameters
    ----------
    matrix : DataFrame
        From :func:`retention_matrix` or :func:`revenue_matrix` (cohorts as rows).
    sizes : Series, optional
        Customers per cohort (:func:`cohort_sizes`), shown next to each cohort's label.
    fmt : str
        Format of the numbers in the cells (``".0%"`` for shares, ``",.0f"`` for money).
    ax : matplotlib Axes, optional
        Where to draw; a new figure sized to the matrix by default.
    title : str, optional
        The chart's title.
    cmap : str
        Colour map.
    skip_first : bool
        Leave month 0 out of the colour scale (it is 100% for every cohort and would
        wash out the other months); its cells are still written.
    calendar : {"gregorian", "jalali"}, optional
        The calendar of the matrix's months, named in the axis labels. A matrix made with
        ``calendar="jalali"`` is labelled "Farvardin 1403" ... and needs nothing more;
        a matrix of Gregorian months cannot be relabelled as Jalali (its cohorts split at
        other days), so passing ``"jalali"`` with one is refused. The Jalali month names are
        transliterated because matplotlib does not join Arabic-script letters.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> m = pd.DataFrame([[1.0, 0.2, 0.1], [1.0, 0.3, None]],
    ...                  index=pd.period_range("2025-01", periods=2, freq="M", name="cohort"),
    ...                  columns=pd.RangeIndex(3, name="months_since_acquisition"))
    >>> ax = cohort_heatmap(m, pd.Series([50, 40], index=m.index))
    >>> [t.get_text() for t in ax.texts]
    ['100%', '20%', '10%', '100%', '30%']
    >>> ax.get_yticklabels()[0].get_text()
    '2025-01  (n=50)'
    >>> j = m.set_axis(pd.CategoricalIndex(["Dey 1403", "Bahman 1403"], name="cohort"))
    >>> cohort_heatmap(j, calendar="jalali").get_ylabel()
    'acquisition cohort (Jalali month)'
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    if not isinstance(matrix, pd.DataFrame):
        raise TypeError(f"The value for `matrix` must be a DataFrame (e.g. from retention_matrix), "
                        f"but a {type(matrix).__name__} was passed.")  # fmt: skip
    calendar = None if calendar is None else calendar_of(calendar)
    if calendar == "jalali" and isinstance(matrix.index, pd.PeriodIndex):
        raise ValueError("The matrix's cohorts are Gregorian months, which cannot be relabelled as Jalali months: "
                         "make the matrix with `calendar='jalali'` (e.g. retention_matrix(orders, calendar='jalali')).")
    values = matrix.astype("float64")
    scale = values.iloc[:, 1:] if skip_first and values.shape[1] > 1 else values
    if ax is None:
        _, ax = plt.subplots(figsize=(0.55 * values.shape[1] + 3, 0.32 * len(values) + 1.5))
    sns.heatmap(values, mask=values.isna(), annot=True, fmt=fmt, cmap=cmap, linewidths=0.5,
                vmin=float(scale.min().min()), vmax=float(scale.max().max()), cbar=False,
                annot_kws={"fontsize": 7}, yticklabels=_labels(values, sizes), ax=ax)  # fmt: skip
    unit = " (Jalali month)" if calendar == "jalali" else ""
    ax.set(xlabel=f"months since acquisition{unit.replace('month', 'months')}", ylabel=f"acquisition cohort{unit}",
           title=title or "")  # fmt: skip
    ax.tick_params(axis="y", rotation=0)
    ax.tick_params(axis="x", rotation=0)
    return ax
