"""B6, hard choices: strengths and weaknesses of each region side by side."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from crmlab.conventions import COURSE, Conventions
from crmlab.validation import require_table

from .questions import support_quality
from .systems import delivery_quality, invoice_payments

#: For each metric of :func:`region_scorecard`: is a higher value good news?
HIGHER_IS_BETTER = {
    "revenue_per_customer": True,
    "sla_breach_rate": False,
    "unhappy_rate": False,
    "late_delivery_rate": False,
    "days_to_pay": False,
}

# ------------------------------------------------------------------ B6: regions side by side


def region_scorecard(
    crm: Mapping[str, pd.DataFrame], *, as_of=None, last_day=None, conventions: Conventions = COURSE
) -> pd.DataFrame:
    """Strengths and weaknesses of each region on a few key metrics, in one table.

    Parameters
    ----------
    crm : CRM or dict of DataFrames
        Needs ``customers``, ``orders``, ``tickets``, ``shipments``, ``invoices`` and ``payments``.
    as_of, last_day : Timestamp
        The end of the export (see :func:`~crmlab.analysis.kpis.ticket_sla` and :func:`shipment_lateness`);
        default ``conventions.end`` and ``conventions.as_of``.
    conventions : Conventions, optional
        The company's end of data and purchase statuses (default :data:`crmlab.conventions.COURSE`).

    Returns
    -------
    DataFrame
        Indexed by ``region``: ``customers``, ``revenue_per_customer`` (completed
        orders, in the currency's major unit), ``sla_breach_rate``, ``unhappy_rate`` (surveys
        scoring 1-2), ``late_delivery_rate`` and
        ``days_to_pay`` (mean, business invoices paid in full). See :data:`HIGHER_IS_BETTER`.

    Examples
    --------
    >>> from crmlab import load_crm
    >>> crm = load_crm(tables=["customers", "orders", "tickets", "shipments", "invoices", "payments"])
    >>> card = region_scorecard(crm)
    >>> card["late_delivery_rate"].nlargest(2).index.tolist()
    ['South', 'East']
    """
    as_of = conventions.end if as_of is None else as_of
    last_day = conventions.as_of if last_day is None else last_day
    customers, orders = crm["customers"], crm["orders"]
    require_table(customers, "customers", ["customer_id", "region", "segment"])
    require_table(orders, "orders", ["order_id", "customer_id", "status", "total_cents"])
    region = customers.set_index("customer_id")["region"]
    done = orders[orders["status"].isin(conventions.purchase_statuses)]
    revenue = conventions.major(done.groupby(done["customer_id"].map(region))["total_cents"].sum())
    pay = invoice_payments(crm["invoices"], crm["payments"])
    business = pay["customer_id"].map(customers.set_index("customer_id")["segment"]) != "consumer"
    paid = pay[business & pay["paid_in_full"]]
    out = pd.DataFrame({"customers": region.value_counts()}).rename_axis("region").sort_index()
    out["revenue_per_customer"] = revenue.reindex(out.index).fillna(0) / out["customers"]
    service = support_quality(crm["tickets"], customers, "region", as_of)
    out["sla_breach_rate"] = service["sla_breach_rate"]
    out["unhappy_rate"] = service["unhappy_rate"]
    out["late_delivery_rate"] = delivery_quality(crm["shipments"], orders, customers, "region", last_day)["late_rate"]
    out["days_to_pay"] = paid.groupby(paid["customer_id"].map(region))["days_to_pay"].mean()
    return out


_LABELS = {
    "revenue_per_customer": "revenue per\ncustomer",
    "sla_breach_rate": "SLA breaches",
    "unhappy_rate": "unhappy\ncustomers",
    "late_delivery_rate": "late\ndeliveries",
    "days_to_pay": "days to pay\n(business)",
}
_FORMATS = {
    "revenue_per_customer": "{:,.0f}",
    "sla_breach_rate": "{:.0%}",
    "unhappy_rate": "{:.0%}",
    "late_delivery_rate": "{:.0%}",
    "days_to_pay": "{:.1f}",
}


def scorecard_heatmap(
    scorecard: pd.DataFrame, higher_is_better: Mapping[str, bool] | None = None, ax=None, limit: float = 0.5
):
    """A heatmap a manager reads in ten seconds: green is better than the average row, red worse.

    The colour of a cell is how far the value is from the average of the rows (regions),
    in percent of that average, signed so that good is always green and saturated at
    ``limit``; small differences stay pale. The text is the metric's own value.

    Parameters
    ----------
    scorecard : DataFrame
        Rows to compare (regions) by metric columns, e.g. from :func:`region_scorecard`.
    higher_is_better : mapping of str to bool, optional
        For each column to draw, whether higher is good news (default :data:`HIGHER_IS_BETTER`).
        Columns not in it are not drawn.
    ax : matplotlib Axes, optional
        Where to draw; a new figure by default.
    limit : float
        The relative difference drawn in the strongest colour (0.5: 50% better or worse).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> card = pd.DataFrame({"sla_breach_rate": [0.1, 0.3], "unhappy_rate": [0.08, 0.08]},
    ...                     index=pd.Index(["North", "South"], name="region"))
    >>> ax = scorecard_heatmap(card)
    >>> [t.get_text() for t in ax.texts]
    ['10%', '8%', '30%', '8%']
    >>> relative_to_average(card, {"sla_breach_rate": False}).round(2)["sla_breach_rate"].tolist()
    [0.5, -0.5]
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    better = dict(HIGHER_IS_BETTER if higher_is_better is None else higher_is_better)
    score = relative_to_average(scorecard, better)
    values = scorecard[score.columns].astype(float)
    text = pd.DataFrame({c: values[c].map(_FORMATS.get(c, "{:.3g}").format) for c in score.columns})
    if ax is None:
        _, ax = plt.subplots(figsize=(1.5 * score.shape[1] + 2, 0.5 * len(score) + 1.5))
    sns.heatmap(score, annot=text.to_numpy(), fmt="", cmap="RdYlGn", center=0, vmin=-limit, vmax=limit,
                linewidths=1, cbar_kws={"label": "worse  <-  than the average region  ->  better",
                                        "format": "{x:+.0%}"},
                xticklabels=[_LABELS.get(c, c) for c in score.columns], ax=ax)  # fmt: skip
    ax.set(xlabel="", ylabel="")
    ax.tick_params(axis="x", rotation=0)
    ax.tick_params(axis="y", rotation=0)
    return ax


def relative_to_average(scorecard: pd.DataFrame, higher_is_better: Mapping[str, bool]) -> pd.DataFrame:
    """How much better than the average row each value is, as a share of that average.

    Positive is better, whatever the metric's direction: for a metric where lower is
    better (late deliveries), a value below the average scores positive.

    Parameters
    ----------
    scorecard : DataFrame
        Rows to compare by metric columns.
    higher_is_better : mapping of str to bool
        The columns to score, and whether higher is good news for each.

    Returns
    -------
    DataFrame
        The scored columns, same index as ``scorecard``.

    Examples
    --------
    >>> card = pd.DataFrame({"late_delivery_rate": [0.1, 0.3], "satisfaction": [4.0, 4.0]})
    >>> relative_to_average(card, {"late_delivery_rate": False, "satisfaction": True})
       late_delivery_rate  satisfaction
    0                 0.5           0.0
    1                -0.5           0.0
    """
    columns = [c for c in scorecard.columns if c in higher_is_better]
    if not columns:
        raise ValueError(
            f"None of the scorecard's columns {list(scorecard.columns)} is in `higher_is_better` "
            f"({sorted(higher_is_better)}). Pass `higher_is_better={{column: True or False}}`."
        )
    values = scorecard[columns].astype(float)
    average = values.mean().replace(0, np.nan)
    sign = [1 if higher_is_better[c] else -1 for c in columns]
    return ((values - average) / average.abs() * sign).fillna(0)


