"""Charts for choosing k and reading clusters."""

from __future__ import annotations

import pandas as pd

from crmlab.conventions import COURSE, Conventions

from .features import MONEY_FEATURES

__all__ = ["FORMATS", "k_chart", "profile_heatmap"]

#: How each feature is written in a profile: days and counts; money (:data:`MONEY_FEATURES`) with the
#: currency's code, e.g. "GBP 1,250"; the rest as percentages.
FORMATS = {
    "days_since_last_order": "{:.0f} d",
    "n_orders": "{:.1f}",
}


def k_chart(scores: pd.DataFrame, axes=None):
    """Inertia (look for the elbow) and silhouette (higher is better) against k, side by side.

    Parameters
    ----------
    scores : DataFrame
        From :func:`k_scores`: indexed by k, columns ``inertia`` and ``silhouette``.
    axes : two matplotlib Axes, optional
        Where to draw; a new figure by default.

    Returns
    -------
    array of two Axes

    Examples
    --------
    >>> scores = pd.DataFrame({"inertia": [90.0, 50.0, 45.0], "silhouette": [0.3, 0.5, 0.4]},
    ...                       index=pd.Index([2, 3, 4], name="k"))
    >>> axes = k_chart(scores)
    >>> axes[1].get_title()
    'Silhouette: best at k = 3'
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    best = int(scores["silhouette"].idxmax())
    axes[0].plot(scores.index, scores["inertia"], marker="o", color="tab:gray")
    axes[0].set(xlabel="k (number of clusters)", ylabel="inertia", title="Inertia: look for the elbow")
    axes[1].plot(scores.index, scores["silhouette"], marker="o", color="tab:blue")
    axes[1].plot([best], [scores.loc[best, "silhouette"]], marker="o", markersize=12, color="tab:orange")
    axes[1].set(xlabel="k (number of clusters)", ylabel="silhouette", title=f"Silhouette: best at k = {best}")
    for ax in axes:
        ax.set_xticks(list(scores.index))
    return axes


def _text(value, column: str, conventions: Conventions) -> str:
    if pd.isna(value):
        return ""
    if column in MONEY_FEATURES:
        return conventions.money_major(float(value), decimals=0)
    return FORMATS.get(column, "{:.0%}").format(value)


def profile_heatmap(
    z: pd.DataFrame, profile: pd.DataFrame, ax=None, limit: float = 2.0, *, conventions: Conventions = COURSE
):
    """Clusters by features: colour = standard deviations from the average customer, text = the cluster's average.

    Parameters
    ----------
    z : DataFrame
        From :func:`standardised_profile`; its index labels the rows (e.g. cluster names).
    profile : DataFrame
        The averages to print, same index and columns as ``z`` (e.g. from :func:`cluster_profile`).
        Shares are printed as percentages, days and counts as :data:`FORMATS` says, money
        (``total_spend``, in the major unit) with the currency's code.
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.
    limit : float
        Standard deviations drawn in the strongest colour (red above average, blue below).
    conventions : Conventions, optional
        The conventions the features were built with: their currency is written with the
        money (default :data:`crmlab.conventions.COURSE`, US dollars).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> z = pd.DataFrame({"n_orders": [1.0, -1.0], "share_web": [-1.2, 1.2]}, index=["Loyal", "Web"])
    >>> profile = pd.DataFrame({"n_orders": [9.0, 2.0], "share_web": [0.1, 0.9]}, index=["Loyal", "Web"])
    >>> ax = profile_heatmap(z, profile)
    >>> [t.get_text() for t in ax.texts]
    ['9.0', '10%', '2.0', '90%']
    >>> from crmlab.conventions import from_mapping
    >>> shop = from_mapping({"timezone": "Europe/London", "currency": "GBP", "as_of": "2011-12-09"})
    >>> profile["total_spend"], z["total_spend"] = [1249.5, 80.0], [1.0, -1.0]
    >>> [t.get_text() for t in profile_heatmap(z, profile, conventions=shop).texts][2::3]
    ['GBP 1,250', 'GBP 80']
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    shown = profile.loc[z.index, z.columns]
    text = pd.DataFrame({c: [_text(v, c, conventions) for v in shown[c]] for c in z.columns}, index=z.index)
    if ax is None:
        _, ax = plt.subplots(figsize=(1.2 * len(z.columns) + 2, 0.6 * len(z) + 1.5))
    sns.heatmap(z, annot=text, fmt="", cmap="RdBu_r", center=0, vmin=-limit, vmax=limit, linewidths=1,
                cbar_kws={"label": "standard deviations from the average customer"}, ax=ax)  # fmt: skip
    ax.set(xlabel="", ylabel="")
    ax.tick_params(axis="y", rotation=0)
    ax.tick_params(axis="x", rotation=30)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    return ax
