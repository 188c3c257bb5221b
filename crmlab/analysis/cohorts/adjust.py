"""Comparing like with like: a gap between two groups of events, before and after controls.

"After a bad ticket, fewer customers buy again" compares two groups that differ in more than
the ticket: who files tickets, and who gets bad service, depends on how much and how long a
customer has been buying, and so does buying again. :func:`purchase_history` describes each
customer's buying *before* each event; :func:`adjusted_gap` compares the groups among
customers with the same history (a logistic regression with those controls) and says how
much of the raw gap remains. What remains is still an association: only what was
controlled for is ruled out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from crmlab.conventions import COURSE

from ._orders import ACTIVE_STATUSES, check_columns, local_times, prepare

__all__ = ["adjusted_gap", "purchase_history"]


def purchase_history(
    events: pd.DataFrame,
    orders: pd.DataFrame,
    days: int = 365,
    *,
    when: str = "created_at",
    customer: str = "customer_id",
    time: str = "ordered_at",
    status: str | None = "status",
    active: Sequence[str] = ACTIVE_STATUSES,
    tz: str = COURSE.timezone,
) -> pd.DataFrame:
    """Each event's customer's buying before the event: purchases in the last ``days`` days and tenure.

    Parameters
    ----------
    events : DataFrame
        One row per event (e.g. ``crm.tickets``), with the customer and ``when`` columns.
    orders : DataFrame
        One row per order.
    days : int
        How far back to count purchases.
    when : str
        Column of ``events`` holding the event's time (converted to ``tz`` like the orders').
    customer, time, status, active, tz
        As in :func:`purchase_gaps`.

    Returns
    -------
    DataFrame
        Indexed like ``events``: ``purchases_before`` (purchase days in the ``days`` days
        before the event's day) and ``tenure_days`` (days since the first purchase; 0 for a
        customer who had not bought yet).

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": [1, 1, 1], "ordered_at": pd.to_datetime(["2024-01-01", "2025-03-01",
    ...                                                                              "2025-05-01"])})
    >>> t = pd.DataFrame({"customer_id": [1, 2], "created_at": pd.to_datetime(["2025-04-01", "2025-04-01"])})
    >>> purchase_history(t, o, status=None)
       purchases_before  tenure_days
    0                 1          456
    1                 0            0
    """
    check_columns(events, "events", {"customer": customer, "when": when})
    prepared = prepare(orders, customer, time, None, status, active, tz)
    bought = prepared.frame[["customer", "day"]].drop_duplicates()
    day = local_times(events[when], tz, "when").dt.normalize()
    pairs = pd.DataFrame({"event": np.arange(len(events)), "customer": events[customer].to_numpy(),
                          "at": day.to_numpy()}).merge(bought, on="customer")  # fmt: skip
    before = pairs[pairs["day"] < pairs["at"]]
    recent = before[(before["at"] - before["day"]).dt.days <= days].groupby("event").size()
    first = before.groupby("event")[["at", "day"]].agg({"at": "first", "day": "min"})
    tenure = (first["at"] - first["day"]).dt.days
    out = pd.DataFrame({"purchases_before": recent.reindex(range(len(events)), fill_value=0).to_numpy(),
                        "tenure_days": tenure.reindex(range(len(events)), fill_value=0).to_numpy()},
                       index=events.index)  # fmt: skip
    return out.astype("int64")


def adjusted_gap(data: pd.DataFrame, outcome: str, group: str, controls: Sequence[str] = ()) -> pd.DataFrame:
    """The gap in an outcome's rate between two groups, raw and among like customers.

    The raw gap is the difference of the two rates. The adjusted gap comes from a logistic
    regression of the outcome on the group and the ``controls``: for every row, the chance
    of the outcome predicted in the group minus the chance predicted outside it, the rest of
    the row kept; averaged over the rows (statsmodels' average marginal effect). Text
    columns among the controls become one indicator per value.

    Parameters
    ----------
    data : DataFrame
        One row per unit (e.g. per ticket); rows with a missing value in any used column
        are left out.
    outcome : str
        A yes/no column (e.g. ``reordered``).
    group : str
        A yes/no column: the groups compared (e.g. ``bad_service``).
    controls : sequence of str
        Columns that differ between the groups and may drive the outcome (e.g. the
        purchases before the event, the tenure, the segment).

    Returns
    -------
    DataFrame
        Indexed by ``comparison`` (``raw``, and ``adjusted`` when controls are given):
        ``gap`` (rate in the group minus rate outside it), ``ci_low`` and ``ci_high``
        (95 % interval), and ``rows``.

    Examples
    --------
    Frequent buyers reorder more (75 % against 25 %) and have fewer bad tickets (4 of 16
    against 12 of 16); among like buyers, bad tickets make no difference:

    >>> d = pd.DataFrame({"frequent": [1] * 16 + [0] * 16,
    ...                   "bad": [1] * 4 + [0] * 12 + [1] * 12 + [0] * 4,
    ...                   "reordered": [1, 1, 1, 0] * 4 + [1, 0, 0, 0] * 4})
    >>> (adjusted_gap(d, "reordered", "bad", ["frequent"])["gap"].round(3) + 0.0).tolist()
    [-0.25, 0.0]
    """
    import statsmodels.api as sm

    columns = [outcome, group, *controls]
    check_columns(data, "data", {c: c for c in columns})
    frame = data[columns].dropna()
    y, g = _binary(frame[outcome], outcome), _binary(frame[group], group)
    if g.nunique() < 2:
        raise ValueError(f"The column `{group}` must hold both groups (True and False), but it holds only "
                         f"{g.unique().tolist()} on the rows with every column filled.")  # fmt: skip
    inside, outside = y[g == 1], y[g == 0]
    raw = inside.mean() - outside.mean()
    se = np.sqrt(inside.var(ddof=0) / len(inside) + outside.var(ddof=0) / len(outside))
    rows = {"raw": (raw, raw - 1.96 * se, raw + 1.96 * se, len(frame))}
    if controls:
        design = pd.get_dummies(frame[list(controls)], drop_first=True, dtype="float64")
        design = sm.add_constant(pd.concat([g.rename(group), design], axis=1), has_constant="add")
        fit = sm.Logit(y, design).fit(disp=False)
        effect = fit.get_margeff(at="overall", dummy=True).summary_frame().loc[group]
        rows["adjusted"] = (effect.iloc[0], effect.iloc[4], effect.iloc[5], len(frame))
    out = pd.DataFrame.from_dict(rows, orient="index", columns=["gap", "ci_low", "ci_high", "rows"])
    return out.rename_axis("comparison").astype({"rows": "int64"})


def _binary(values: pd.Series, name: str) -> pd.Series:
    """A yes/no column as 0.0/1.0."""
    if not set(pd.unique(values)) <= {0, 1}:  # True and False are 1 and 0
        raise ValueError(f"The column `{name}` must hold yes/no values (True/False or 1/0), but it holds "
                         f"{pd.unique(values)[:5].tolist()}.")  # fmt: skip
    return values.astype("float64")
