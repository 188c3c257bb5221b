"""Do the segments depend on the customer ids? Renumber the customers and count who moves.

A segment should follow from what a customer did, not from the number the CRM gave them.
Customer ids change for reasons that have nothing to do with the customers: a migration to
a new CRM, the merge of two systems, a re-import sorted differently. :func:`id_order_moves`
gives the customers new ids at random (each keeps their own purchases), scores and segments
them again, and counts the customers whose segment changed, and, for a campaign, those who
moved in or out of it. With ``ties="min"`` (equal values share a score) the count is 0 by
construction; with ``ties="first"`` it is every customer that an id decided.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from .segments import rfm_table

__all__ = ["id_order_moves"]


def id_order_moves(
    summary: pd.DataFrame,
    ties: str = "min",
    *,
    campaign: Sequence[str] = (),
    repeats: int = 20,
    seed: int = 0,
    bins: int = 5,
    **columns: str,
) -> pd.DataFrame:
    """Renumber the customers at random ``repeats`` times: how many change segment each time?

    Parameters
    ----------
    summary : DataFrame
        One row per customer, indexed by customer id (:func:`customer_summary`).
    ties : {"min", "first"}, default "min"
        The tie rule to test (:func:`quantile_score`).
    campaign : sequence of str, optional
        Segments a campaign contacts: also count the customers who moved in or out of it.
    repeats : int, default 20
        Number of random renumberings.
    seed : int, default 0
        Seed of the random renumberings (the result is reproducible).
    bins : int, default 5
        Scores per dimension.
    **columns : str
        ``recency=``, ``frequency=``, ``monetary=`` as in :func:`rfm_table`.

    Returns
    -------
    DataFrame
        One row per renumbering (``repeat`` 1 to ``repeats``): ``moved``, the customers whose
        segment changed, ``moved_share`` (of all customers) and ``campaign_changed``, the
        customers who entered or left the campaign's segments (0 without ``campaign``).

    Examples
    --------
    Four customers, three tied on one order: with equal values sharing a score nobody moves;
    split by id, the three equal customers' F scores follow their new numbers.

    >>> summary = pd.DataFrame({"days_since_last_order": [10, 10, 10, 400], "n_orders": [1, 1, 1, 9],
    ...                         "total_spend": [100, 100, 100, 900]}, index=pd.Index([1, 2, 3, 4], name="customer_id"))
    >>> id_order_moves(summary, repeats=3)["moved"].tolist()
    [0, 0, 0]
    >>> id_order_moves(summary, "first", repeats=3)["moved"].gt(0).any()
    np.True_
    """
    if not isinstance(repeats, (int, np.integer)) or isinstance(repeats, bool) or repeats < 1:
        raise ValueError(f"The value for `repeats` must be a whole number of at least 1, but {repeats!r} was passed.")
    base = _segments(summary, bins, ties, columns)
    chosen = base.isin(list(campaign)).to_numpy()
    rng = np.random.default_rng(seed)
    ids = summary.index.to_numpy()
    rows = []
    for repeat in range(1, repeats + 1):
        new_ids = rng.permutation(ids)
        renumbered = summary.set_axis(pd.Index(new_ids, name=summary.index.name))
        again = _segments(renumbered, bins, ties, columns)
        segment = again.loc[new_ids].to_numpy()  # row i: the customer who was ids[i]
        moved = int((segment != base.to_numpy()).sum())
        changed = int((np.isin(segment, list(campaign)) != chosen).sum())
        rows.append((repeat, moved, moved / len(ids) if len(ids) else np.nan, changed))
    return pd.DataFrame(rows, columns=["repeat", "moved", "moved_share", "campaign_changed"]).set_index("repeat")


def _segments(summary: pd.DataFrame, bins: int, ties: str, columns: dict[str, str]) -> pd.Series:
    """The segment of every customer, the scoring's warnings silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return rfm_table(summary, bins=bins, ties=ties, **columns)["segment"].astype(str)
