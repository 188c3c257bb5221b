"""Time to the next purchase, with the open gaps counted: a Kaplan-Meier lapse window.

The gaps between a customer's purchases are only half the story. Every customer also has an
*open* gap: the days from their last purchase to the end of the data, a wait that has not
ended yet. Leaving the open gaps out, as the 90th percentile of the observed gaps does,
biases the window short: a long wait is less likely to have ended inside the data than a
short one, and one-time buyers, whose only gap is open, are left out entirely.

A *spell* is one wait for the next purchase, from a purchase day to the next purchase day
(a return) or to the end of the data (censored: not returned *yet*). The Kaplan-Meier
estimator reads the chance of still waiting after ``t`` days from all spells, a censored
spell counting as long as it was observed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from crmlab.conventions import COURSE

from ._orders import ACTIVE_STATUSES, prepare

__all__ = ["next_purchase_survival", "purchase_spells", "survival_lapse_window"]


def purchase_spells(
    orders: pd.DataFrame,
    *,
    customer: str = "customer_id",
    time: str = "ordered_at",
    status: str | None = "status",
    active: Sequence[str] = ACTIVE_STATUSES,
    tz: str = COURSE.timezone,
    end=None,
) -> pd.DataFrame:
    """Every wait for a next purchase: the closed gaps between purchase days and each customer's open gap.

    Parameters
    ----------
    orders : DataFrame
        One row per order (or transaction).
    customer, time, status, active, tz
        As in :func:`purchase_gaps`.
    end : date-like, optional
        The last local day of the data (default: the last order's day); open gaps end there.

    Returns
    -------
    DataFrame
        One row per spell: the customer column, ``started_on`` (the purchase day the wait
        began), ``days`` (its length) and ``returned`` (True: it ended with a purchase;
        False: still open at ``end``, a censored spell). A customer with *k* purchase days
        has *k - 1* closed spells and one open spell.

    Examples
    --------
    >>> orders = pd.DataFrame({"customer_id": [1, 1, 2],
    ...                        "ordered_at": pd.to_datetime(["2025-01-01", "2025-01-31", "2025-02-01"])})
    >>> purchase_spells(orders, status=None, end="2025-03-02")
       customer_id started_on  days  returned
    0            1 2025-01-01    30      True
    1            1 2025-01-31    30     False
    2            2 2025-02-01    29     False
    """
    prepared = prepare(orders, customer, time, None, status, active, tz, end)
    days = prepared.frame[["customer", "day"]].drop_duplicates().sort_values(["customer", "day"], kind="stable")
    following = days.groupby("customer", sort=False)["day"].shift(-1)
    returned = following.notna()
    stop = following.where(returned, prepared.end_day)
    spells = pd.DataFrame({customer: days["customer"].to_numpy(), "started_on": days["day"].to_numpy(),
                           "days": (stop - days["day"]).dt.days.to_numpy().astype("int64"),
                           "returned": returned.to_numpy()})  # fmt: skip
    return spells.reset_index(drop=True)


def next_purchase_survival(spells: pd.DataFrame) -> pd.DataFrame:
    """The Kaplan-Meier estimate of the time to the next purchase, open spells censored.

    At each day ``t`` on which a spell returned, the chance of waiting beyond ``t`` is
    multiplied by ``1 - returns / at_risk``, where ``at_risk`` counts the spells still waiting
    at ``t`` (closed or open, not yet ended before ``t``). A spell open at ``t`` is still at
    risk on day ``t``, as usual.

    Parameters
    ----------
    spells : DataFrame
        :func:`purchase_spells`: its ``days`` and ``returned`` columns.

    Returns
    -------
    DataFrame
        Indexed by ``days`` (each length at which some spell ended): ``at_risk``,
        ``returns``, ``censored`` (open spells of that length), ``survival`` (the chance of
        still waiting after that many days), ``returned_share`` (1 - survival) and
        ``share_of_returns``: ``returned_share`` divided by its last value, the share of
        the returns seen in the data that have happened by that day.

    Examples
    --------
    Four waits: returns after 10 and 20 days, one open for 15 days, one return after 30:

    >>> spells = pd.DataFrame({"days": [10, 15, 20, 30], "returned": [True, False, True, True]})
    >>> next_purchase_survival(spells)[["at_risk", "returns", "censored", "survival"]].reset_index()
       days  at_risk  returns  censored  survival
    0    10        4        1         0     0.750
    1    15        3        0         1     0.750
    2    20        2        1         0     0.375
    3    30        1        1         0     0.000
    """
    _needs(spells, "spells", ["days", "returned"], "purchase_spells")
    if len(spells) == 0:
        raise ValueError("The table passed as `spells` is empty: no customer has bought anything.")
    days = spells["days"].to_numpy(dtype="int64")
    returned = spells["returned"].to_numpy(dtype=bool)
    if (days < 0).any():
        raise ValueError(f"The column `days` of `spells` must hold lengths of 0 days or more, but it holds "
                         f"{int(days.min())}: is `end` before the last purchase?")  # fmt: skip
    table = pd.DataFrame({"days": days, "returns": returned, "censored": ~returned})
    table = table.groupby("days").sum().astype("int64")
    ended = table["returns"] + table["censored"]
    table.insert(0, "at_risk", ended[::-1].cumsum()[::-1])
    table["survival"] = (1 - table["returns"] / table["at_risk"]).cumprod()
    table["returned_share"] = 1 - table["survival"]
    last = table["returned_share"].iloc[-1]
    table["share_of_returns"] = table["returned_share"] / last if last > 0 else np.nan
    return table


def survival_lapse_window(survival: pd.DataFrame, share: float = 0.9) -> int:
    """The lapse window: the first day by which ``share`` of the returns seen in the data have happened.

    The survival curve's own quantile (the day by which 90 % of all waits have ended) does
    not exist when more than 10 % of customers never come back, which is the very thing a
    lapse window looks for. So the window is read from the returns only: by this day,
    ``share`` of the customers who come back have come back; a customer silent for longer
    is unusual.

    Parameters
    ----------
    survival : DataFrame
        :func:`next_purchase_survival`.
    share : float
        Between 0 and 1 (0.9 is usual).

    Returns
    -------
    int
        The window in days.

    Examples
    --------
    >>> spells = pd.DataFrame({"days": [10, 15, 20, 30], "returned": [True, False, True, True]})
    >>> survival_lapse_window(next_purchase_survival(spells), share=0.5)
    20
    """
    if not 0 < share < 1:
        raise ValueError(f"The value for `share` must be between 0 and 1 (0.9 is usual), but {share!r} was passed.")
    _needs(survival, "survival", ["share_of_returns"], "next_purchase_survival")
    reached = survival.index[survival["share_of_returns"].to_numpy() >= share - 1e-12]
    if len(reached) == 0:
        raise ValueError("No spell ended with a return: no customer bought twice, so no window can be read.")
    return int(math.ceil(reached[0]))


def _needs(table: object, name: str, columns: list[str], maker: str) -> None:
    """Explain the fix when ``table`` is not the output of ``maker``."""
    if not isinstance(table, pd.DataFrame) or not set(columns) <= set(table.columns):
        got = f"columns {list(table.columns)}" if isinstance(table, pd.DataFrame) else f"a {type(table).__name__}"
        raise TypeError(f"The value for `{name}` must be the table made by `{maker}` (columns {columns}), "
                        f"but {got} was passed.")  # fmt: skip
