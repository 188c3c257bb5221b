"""Project reality: records per year, and reps' data-entry completeness, the warning sign of a failing CRM.

The one home of data-entry completeness: lesson 02 (training) and lesson 04 (BI) use these functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from crmlab.analysis.kpis.measures import as_list, local_year, ratio
from crmlab.conventions import COURSE
from crmlab.validation import require_table

# ------------------------------------------------------------------ project reality

#: table -> the column that dates its records
_DATED = {
    "interactions": "occurred_at",
    "orders": "ordered_at",
    "invoices": "issued_date",
    "payments": "paid_date",
    "shipments": "shipped_at",
    "tickets": "created_at",
    "web_registrations": "registered_at",
    "opportunities": "created_at",
    "rep_activity": "week_start",
}
#: the columns of ``rep_activity`` that completeness needs
_ACTIVITY = ["rep_id", "week_start", "required_fields_total", "required_fields_filled"]


def records_per_year(crm: Mapping[str, pd.DataFrame], *, tz: str = COURSE.timezone) -> pd.DataFrame:
    """New records per year in each dated table of the CRM: how fast the data grows.

    Parameters
    ----------
    crm : CRM or mapping of str to DataFrame
        The CRM database; tables it lacks are skipped.
    tz : str
        Time zone of the company's calendar (for instants stored in UTC).

    Returns
    -------
    DataFrame
        Indexed by ``year``, one column per table and a ``total``.

    Examples
    --------
    >>> crm = {"orders": pd.DataFrame({"ordered_at": pd.to_datetime(["2024-05-01", "2025-01-01"], utc=True)}),
    ...        "rep_activity": pd.DataFrame({"week_start": pd.to_datetime(["2025-01-06", "2025-01-13"])})}
    >>> records_per_year(crm)
          orders  rep_activity  total
    year
    2024       1             0      1
    2025       1             2      3
    """
    counts = {
        name: local_year(crm[name][col], tz).dropna().astype("int64").value_counts()
        for name, col in _DATED.items()
        if name in crm
    }
    out = pd.DataFrame(counts).fillna(0).astype("int64").sort_index().rename_axis("year")
    return out.assign(total=out.sum(axis=1))


def pooled_completeness(rep_activity: pd.DataFrame, by: str | Sequence[str] = "rep_id") -> pd.DataFrame:
    """Data-entry completeness pooled over weeks: fields filled / fields required, per group of ``by``.

    A ratio of sums, not a mean of weekly shares: a busy week weighs more than a quiet one,
    and a week without records adds nothing. Every analysis of completeness in the course
    (a rep's trend, before and after training, a training method's curve) uses this one.

    Parameters
    ----------
    rep_activity : DataFrame
        The ``rep_activity`` table, or rows of it with extra columns to group by.
    by : str or list of str
        Columns of ``rep_activity`` to group by, e.g. ``"rep_id"`` or ``["rep_id", "after"]``.

    Returns
    -------
    DataFrame
        Indexed by ``by``: ``completeness`` (NaN without any required field), ``weeks`` (rows
        pooled) and, when ``rep_activity`` has ``records_entered``, ``records_per_week``.

    Examples
    --------
    >>> a = pd.DataFrame({"rep_id": [1, 1, 2], "required_fields_total": [60, 12, 0],
    ...                   "required_fields_filled": [60, 0, 0]})
    >>> pooled_completeness(a)
            completeness  weeks
    rep_id
    1           0.833333      2
    2                NaN      1
    """
    keys = as_list(by)
    a = require_table(rep_activity, "rep_activity", [*keys, *_ACTIVITY[2:]])
    groups = a.groupby(keys)
    sums = groups[["required_fields_filled", "required_fields_total"]].sum()
    out = pd.DataFrame({"completeness": ratio(sums["required_fields_filled"], sums["required_fields_total"]),
                        "weeks": groups.size()})  # fmt: skip
    if "records_entered" in a.columns:
        out["records_per_week"] = groups["records_entered"].mean()
    return out


def weekly_completeness(rep_activity: pd.DataFrame) -> pd.DataFrame:
    """Each rep's data-entry completeness per week: the share of required fields filled in.

    Parameters
    ----------
    rep_activity : DataFrame
        The ``rep_activity`` table.

    Returns
    -------
    DataFrame
        ``rep_id``, ``week_start``, ``records_entered`` and ``completeness`` (NaN in a week
        without records).

    Examples
    --------
    >>> a = pd.DataFrame({"rep_id": [1, 1], "week_start": pd.to_datetime(["2025-01-06", "2025-01-13"]),
    ...                   "records_entered": [2, 0], "required_fields_total": [12, 0],
    ...                   "required_fields_filled": [9, 0]})
    >>> weekly_completeness(a)["completeness"].tolist()
    [0.75, nan]
    """
    a = require_table(rep_activity, "rep_activity", [*_ACTIVITY, "records_entered"])
    out = a[["rep_id", "week_start", "records_entered"]].copy()
    out["completeness"] = ratio(a["required_fields_filled"], a["required_fields_total"])
    return out


def data_entry_trend(rep_activity: pd.DataFrame, *, weeks: int = 26) -> pd.DataFrame:
    """Each rep's data entry in the last ``weeks`` weeks against the ``weeks`` weeks before.

    Completeness is pooled over the weeks (:func:`pooled_completeness`), so a week with
    many records weighs more than a quiet one. Both windows have the same length and end
    with the last week in the data; to compare only the weeks after an event (a rep's
    training), pass only those rows.

    Parameters
    ----------
    rep_activity : DataFrame
        The ``rep_activity`` table.
    weeks : int
        Length of each window, ending with the last week in the data.

    Returns
    -------
    DataFrame
        Indexed by ``rep_id``: ``completeness_before``, ``completeness_recent``, ``change``
        (recent minus before), ``records_before`` and ``records_recent`` (mean records per week).

    Examples
    --------
    >>> a = pd.DataFrame({"rep_id": [1, 1], "week_start": pd.to_datetime(["2025-01-06", "2025-01-13"]),
    ...                   "records_entered": [10, 5], "required_fields_total": [60, 30],
    ...                   "required_fields_filled": [54, 12]})
    >>> trend = data_entry_trend(a, weeks=1).round(2)
    >>> trend[["completeness_before", "completeness_recent", "change"]]
            completeness_before  completeness_recent  change
    rep_id
    1                       0.9                  0.4    -0.5
    >>> trend[["records_before", "records_recent"]]
            records_before  records_recent
    rep_id
    1                 10.0             5.0
    """
    if not isinstance(weeks, (int, np.integer)) or weeks < 1:
        raise ValueError(
            f"The value for `weeks` must be a whole number of weeks, at least 1, but {weeks!r} was passed."
        )
    a = require_table(rep_activity, "rep_activity", [*_ACTIVITY, "records_entered"])
    recent_start = a["week_start"].max() - pd.Timedelta(weeks=weeks - 1)
    before_start = recent_start - pd.Timedelta(weeks=weeks)
    windows = {
        "before": a[(a["week_start"] >= before_start) & (a["week_start"] < recent_start)],
        "recent": a[a["week_start"] >= recent_start],
    }
    parts = {}
    for name, rows in windows.items():
        pooled = pooled_completeness(rows)
        parts[f"completeness_{name}"] = pooled["completeness"]
        parts[f"records_{name}"] = pooled["records_per_week"]
    out = pd.DataFrame(parts)
    out["change"] = out["completeness_recent"] - out["completeness_before"]
    cols = ["completeness_before", "completeness_recent", "change", "records_before", "records_recent"]
    return out[cols].rename_axis("rep_id")


def disengaged_reps(rep_activity: pd.DataFrame, *, weeks: int = 26, min_drop: float = 0.15) -> pd.DataFrame:
    """Reps whose data-entry completeness fell by at least ``min_drop`` in the last ``weeks`` weeks.

    A rep who stops filling in the CRM is the early sign of a failing CRM project: the
    data others rely on thins out long before anyone complains.

    Parameters
    ----------
    rep_activity : DataFrame
        The ``rep_activity`` table.
    weeks : int
        Length of the recent window and of the window it is compared with.
    min_drop : float
        The fall in completeness (0 to 1) that raises the flag.

    Returns
    -------
    DataFrame
        The rows of :func:`data_entry_trend` for the flagged reps, biggest fall first.

    Examples
    --------
    >>> a = pd.DataFrame({"rep_id": [1, 1, 2, 2],
    ...                   "week_start": pd.to_datetime(["2025-01-06", "2025-01-13"] * 2),
    ...                   "records_entered": [10, 5, 10, 10], "required_fields_total": [60, 30, 60, 60],
    ...                   "required_fields_filled": [54, 12, 40, 42]})
    >>> disengaged_reps(a, weeks=1).index.tolist()
    [1]
    """
    if not 0 < min_drop <= 1:
        raise ValueError(f"The value for `min_drop` must be between 0 and 1 (a share), but {min_drop!r} was passed.")
    trend = data_entry_trend(rep_activity, weeks=weeks)
    return trend[trend["change"] <= -min_drop].sort_values("change")
