"""Contractual churn: the customer cancels, and the company sees it happen.

A shop never hears a goodbye: churn there is *inferred* (BG/NBD's probability of being alive,
or no order in a year). A phone company, a subscription or an insurer holds a contract: the
cancellation is a recorded event with a date. Churn is then *observed*, and the question
becomes how long customers stay. Customers still under contract have not left *yet*: their
tenure so far is a lower bound (censored), which the Kaplan-Meier estimator counts correctly
(:func:`crmlab.analysis.cohorts.next_purchase_survival` is the same estimator).

:func:`tenure_survival` gives the retention curve of each group (e.g. contract type) and
:func:`retention_at` reads it at a few tenures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.analysis.cohorts import next_purchase_survival

__all__ = ["retention_at", "tenure_survival"]


def _column(data: pd.DataFrame, name: str, argument: str) -> pd.Series:
    if name not in data.columns:
        raise KeyError(f"The value for `{argument}` must be a column of `data` ({list(data.columns)}), "
                       f"but {name!r} was passed.")  # fmt: skip
    return data[name]


def tenure_survival(
    data: pd.DataFrame,
    group: str | None = "contract",
    *,
    tenure: str = "tenure",
    left: str = "churn",
    left_value="Yes",
) -> pd.DataFrame:
    """The Kaplan-Meier retention curve of each group: the share still a customer after each tenure.

    Parameters
    ----------
    data : DataFrame
        One row per customer, followed from the start of the contract: ``tenure`` (periods,
        e.g. months, until they left or until the data was taken) and ``left``.
    group : str or None
        Column whose values get a curve each (e.g. ``"contract"``); None: one curve for all.
    tenure, left : str
        Column names.
    left_value
        The value of ``left`` that means the customer cancelled (``"Yes"`` in the telco data;
        True for a boolean column). Any other value is a customer still there: censored.

    Returns
    -------
    DataFrame
        Indexed by the group and ``tenure`` (each tenure at which someone left or was censored):
        ``at_risk`` (customers still there at the start of that tenure), ``left``, ``censored``
        and ``retained`` (the Kaplan-Meier share still a customer after that tenure).

    Examples
    --------
    >>> data = pd.DataFrame({"plan": ["a"] * 4 + ["b"] * 2, "tenure": [1, 2, 2, 5, 3, 6],
    ...                      "churn": ["Yes", "No", "Yes", "No", "No", "Yes"]})
    >>> tenure_survival(data, "plan")
                 at_risk  left  censored  retained
    plan tenure
    a    1             4     1         0      0.75
         2             3     1         1      0.50
         5             1     0         1      0.50
    b    3             2     0         1      1.00
         6             1     1         0      0.00
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"`data` must be a DataFrame with one row per customer, but a {type(data).__name__} was passed."
        )
    months = pd.to_numeric(_column(data, tenure, "tenure"), errors="coerce")
    if months.isna().any() or (months < 0).any():
        raise ValueError(f"The column {tenure!r} must hold tenures of 0 or more, none missing.")
    gone = _column(data, left, "left") == left_value
    if not gone.any():
        held = sorted(map(str, data[left].unique()))[:5]
        raise ValueError(f"No customer has {left} == {left_value!r}: pass the value that means 'cancelled' "
                         f"as `left_value` (the column holds {held}).")  # fmt: skip
    keys = _column(data, group, "group") if group is not None else pd.Series("all", index=data.index)
    spells = pd.DataFrame({"group": keys.to_numpy(), "days": months.to_numpy().astype("int64"),
                           "returned": gone.to_numpy()})  # fmt: skip
    tables = {}
    for key, part in spells.groupby("group", sort=True):
        table = next_purchase_survival(part) if part["returned"].any() else _no_event(part)
        tables[key] = table.rename(columns={"returns": "left", "survival": "retained"})
    out = pd.concat(tables, names=[group or "group", tenure])
    return out[["at_risk", "left", "censored", "retained"]]


def _no_event(part: pd.DataFrame) -> pd.DataFrame:
    """A group where nobody left: everyone censored, retention stays 1."""
    counts = part.groupby("days").size()
    at_risk = counts[::-1].cumsum()[::-1]
    return pd.DataFrame({"at_risk": at_risk, "returns": 0, "censored": counts, "survival": 1.0}).rename_axis("days")


def retention_at(survival: pd.DataFrame, tenures) -> pd.DataFrame:
    """The share of each group still a customer after each of ``tenures`` (read off :func:`tenure_survival`).

    Beyond a group's longest observed tenure the value is unknown (NaN), not the last one.

    Examples
    --------
    >>> data = pd.DataFrame({"plan": ["a"] * 4, "tenure": [1, 2, 2, 5], "churn": ["Yes", "No", "Yes", "No"]})
    >>> retention_at(tenure_survival(data, "plan"), [0, 1, 3, 6])
            0     1    3   6
    plan
    a     1.0  0.75  0.5 NaN
    """
    if not isinstance(survival, pd.DataFrame) or "retained" not in survival.columns:
        raise TypeError("`survival` must be the table of `tenure_survival(data, group)`.")
    wanted = np.asarray(tenures, dtype="float64")
    rows = {}
    for key, part in survival.groupby(level=0, sort=True):
        steps = part.index.get_level_values(1).to_numpy(dtype="float64")
        position = np.searchsorted(steps, wanted, side="right") - 1
        values = np.where(position >= 0, part["retained"].to_numpy()[np.maximum(position, 0)], 1.0)
        rows[key] = np.where(wanted > steps.max(), np.nan, values)
    out = pd.DataFrame(rows, index=pd.Index(list(tenures))).T
    return out.rename_axis(survival.index.names[0])
