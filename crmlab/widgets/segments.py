"""The RFM segment explorer over any company's export: pick a segment, see who is in it and what it weighs.

A thin view over :mod:`crmlab.analysis.rfm` (the scores and named segments of lesson 05):
the customers are summarised from the purchases on the company's clock up to its as-of
day, scored 1 to 5 by quintile and named; the widget shows every segment's size and
share of revenue, the chosen segment's ranges and its customers (ids and scores only, no
contact data), and states the active choice in one line. The one scoring option lesson 05
offers can be chosen: how equal values are scored (``ties``, see
:mod:`crmlab.analysis.rfm.scores`). Data whose purchases belong to too few customers gets
one message saying why (:func:`segment_problem`), never a traceback. ``crmlab dashboard
segments`` serves it by Voila (:mod:`crmlab.dashboards`).
"""

from __future__ import annotations

import base64
import html
import warnings
from collections.abc import Mapping
from io import BytesIO

import ipywidgets as widgets
import pandas as pd
from matplotlib.figure import Figure

from crmlab.analysis import bi, rfm
from crmlab.analysis.bi import purchases_of
from crmlab.conventions import COURSE, Conventions
from crmlab.datasets.needs import MIN_CUSTOMERS, customer_problem

__all__ = ["TIES_CHOICES", "SegmentExplorer", "segment_problem", "segment_table"]

#: How many of a segment's customers the explorer lists (highest spend first).
LISTED = 20
#: The scoring of equal values the explorer offers (see :mod:`crmlab.analysis.rfm.scores`), in words, default first.
TIES_CHOICES = {
    "min": "equal values share a score",
    "first": "equal values split by customer id (equal-sized scores that move when ids change)",
}


def segment_problem(orders: pd.DataFrame, conventions: Conventions = COURSE) -> str:
    """Why ``orders`` cannot be split into RFM segments, in one sentence for a manager ("" when they can).

    RFM scores customers one by one, so the purchases must carry customer ids of enough
    distinct buyers (:data:`crmlab.datasets.needs.MIN_CUSTOMERS`); a till that books every
    sale to a guest account cannot be segmented.

    Examples
    --------
    >>> till = pd.DataFrame({"customer_id": [0, 0, 0]})
    >>> print(segment_problem(till))  # doctest: +ELLIPSIS
    RFM segments need customer ids: they score customers one by one and need the purchases of at least 50 \
distinct customers, but this export's 3 purchases all belong to one customer (customer_id 0, ...
    >>> segment_problem(pd.DataFrame({"customer_id": range(50)}))
    ''
    """
    problem = customer_problem(orders, conventions.purchase_statuses)
    if not problem:
        return ""
    found = problem.split(" customers, but ", 1)[-1]
    return (f"RFM segments need customer ids: they score customers one by one and need the purchases of at least "
            f"{MIN_CUSTOMERS} distinct customers, but {found}")


def segment_table(orders: pd.DataFrame, conventions: Conventions = COURSE, ties: str = "min") -> pd.DataFrame:
    """One row per customer: the lesson 05 RFM summary, scores and segment, on the company's clock.

    Parameters
    ----------
    orders : DataFrame
        ``customer_id``, ``ordered_at`` (UTC), ``total_cents`` (minor units); ``status`` optional.
    conventions : Conventions
        Clock, as-of day and purchase statuses.
    ties : {"min", "first"}
        How equal values are scored (see :func:`crmlab.analysis.rfm.quantile_score`); by
        default they share a score, so the segments do not depend on the customer ids.

    Returns
    -------
    DataFrame
        As :func:`crmlab.analysis.rfm.rfm_table`: ``days_since_last_order``, ``n_orders``,
        ``total_spend`` (minor units), ``r_score``, ``f_score``, ``m_score``, ``rfm_code``, ``segment``.

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": range(10), "total_cents": range(100, 1100, 100),
    ...                   "ordered_at": pd.date_range("2025-01-01", periods=10, freq="MS", tz="UTC")})
    >>> segment_table(o).loc[9, ["days_since_last_order", "n_orders", "total_spend", "r_score"]].tolist()
    [91, 1, 1000, 5]
    """
    purchases = purchases_of(orders, conventions)
    purchases = purchases.assign(ordered_local=purchases["ordered_at"].dt.tz_convert(conventions.timezone))
    purchases = purchases[purchases["day"] <= conventions.as_of]
    summary = rfm.customer_summary(purchases, datetime_col="ordered_local", as_of=conventions.as_of)
    return rfm.rfm_table(summary, ties=ties)


class SegmentExplorer:
    """Pick an RFM segment and see its size, its weight in revenue, its ranges and its customers.

    Parameters
    ----------
    crm : CRM or dict of DataFrames
        ``orders`` (see :func:`segment_table`).
    conventions : Conventions, optional
        Default ``crm.conventions`` when it has them, else the course's.

    Attributes
    ----------
    segment : ipywidgets.Dropdown or None
        The segments present, largest first (None when the data cannot be segmented).
    ties : ipywidgets.Dropdown or None
        How equal values are scored (:data:`TIES_CHOICES`, shared scores first); changing it
        rescores the customers.
    table : DataFrame or None
        :func:`segment_table` of the data.
    profile : DataFrame or None
        Every segment's customers, shares and revenue.
    members : DataFrame or None
        The chosen segment's customers shown, highest spend first.
    problem : str
        Why the data cannot be segmented ("" when it can, see :func:`segment_problem`).
    notes : list of str
        What the scoring warned about: scores left empty when equal values share a score, or
        the customers whose score their id decided when equal values are split by id.
    widget : ipywidgets.VBox

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": [0, 0, 0], "total_cents": [100, 200, 300],
    ...                   "ordered_at": pd.to_datetime(["2025-01-01", "2025-02-01", "2025-03-01"], utc=True)})
    >>> SegmentExplorer({"orders": o}).problem[:30]
    'RFM segments need customer ids'
    """

    def __init__(self, crm: Mapping[str, pd.DataFrame], conventions: Conventions | None = None,
                 title: str = "Customer segments (RFM)") -> None:
        self.conventions = conventions or getattr(crm, "conventions", None) or COURSE
        self.orders = crm["orders"]
        self.table = self.profile = self.members = None
        self.segment = self.ties = None
        self.notes: list[str] = []
        self.stated, self.view, self.detail, self.chart, self.status = (widgets.HTML() for _ in range(5))
        heading = widgets.HTML(f"<h3>{html.escape(title)}</h3>")
        self.problem = segment_problem(self.orders, self.conventions)
        if self.problem:
            self.status.value = f"<p class='crmlab-problem'><b>{html.escape(self.problem)}</b></p>"
            self.widget = widgets.VBox([heading, self.status])
            return
        self.segment = widgets.Dropdown(description="Segment", layout=widgets.Layout(width="360px"))
        self.ties = widgets.Dropdown(options=[(words, key) for key, words in TIES_CHOICES.items()],
                                     description="Ties", layout=widgets.Layout(width="420px"))  # fmt: skip
        self._score()
        self.segment.observe(self._on_change, names="value")
        self.ties.observe(self._on_ties, names="value")
        self.widget = widgets.VBox([heading, widgets.HBox([self.segment, self.ties]), self.stated, self.view,
                                    self.chart, self.detail, self.status])  # fmt: skip
        self.refresh()

    def _score(self) -> None:
        """Score the customers with the chosen ties rule and offer the segments present, largest first."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.table = segment_table(self.orders, self.conventions, ties=self.ties.value)
        self.notes = [" ".join(str(w.message).split()) for w in caught if issubclass(w.category, UserWarning)]
        self.profile = rfm.segment_profile(self.table).assign(
            revenue=self.table.groupby("segment", observed=True)["total_spend"].sum().rename(index=str))
        order = self.profile["customers"].sort_values(ascending=False, kind="stable").index
        chosen = self.segment.value
        self.segment.options = [(f"{s} ({self.profile.loc[s, 'customers']:,})", s) for s in order]
        self.segment.value = chosen if chosen in order else order[0]  # the largest segment at first

    def refresh(self) -> None:
        """Show the chosen segment; shows an error instead of raising."""
        if self.segment is None:
            return
        try:
            name = self.segment.value
            mine = self.table[self.table["segment"].astype(str).eq(name)]
            members = mine.sort_values(["total_spend", "n_orders"], ascending=False, kind="stable").head(LISTED)
            stated = (f"Showing: segment {name} · {len(mine):,} of {len(self.table):,} customers · "
                      f"scores 1-5 by quintile of the customers, {TIES_CHOICES[self.ties.value]} · "
                      f"money in {self.conventions.currency} · "
                      f"data up to {bi.day_label(self.conventions.as_of, self.conventions)} "
                      f"(clock {self.conventions.timezone})")  # fmt: skip
            view = _profile_html(self.profile, name, self.conventions)
            detail = _detail_html(mine, members, name, self.conventions)
            chart = _chart(self.profile, name)
        except Exception as exc:  # a callback must never raise: say what happened instead
            self.status.value = ("<p style='color:#b00020'><b>The segment could not be shown</b>: "
                                 f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</p>")  # fmt: skip
            return
        self.members = members
        notes = "".join(f"<p class='crmlab-note'>{html.escape(n)}</p>" for n in self.notes)
        self.view.value, self.detail.value, self.chart.value, self.status.value = notes + view, detail, chart, ""
        # last: the line saying what is shown changes once everything it describes is on the page
        self.stated.value = f"<p class='crmlab-filters'><b>{html.escape(stated)}</b></p>"

    def _on_ties(self, change) -> None:
        try:
            self._score()
        except Exception as exc:  # a callback must never raise: say what happened instead
            self.status.value = ("<p style='color:#b00020'><b>The customers could not be scored</b>: "
                                 f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</p>")  # fmt: skip
            return
        self.refresh()

    def _on_change(self, change) -> None:
        self.refresh()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"SegmentExplorer(segment={None if self.segment is None else self.segment.value!r})"


_CELL = "style='padding:2px 10px;text-align:{}'"


def _row(values: list[str], bold: bool = False, header: bool = False) -> str:
    tag = "th" if header else "td"
    cells = "".join(f"<{tag} {_CELL.format('left' if i == 0 else 'right')}>{html.escape(v)}</{tag}>"
                    for i, v in enumerate(values))  # fmt: skip
    return f"<tr style='font-weight:{'bold' if bold else 'normal'}'>{cells}</tr>"


def _profile_html(profile: pd.DataFrame, chosen: str, conventions: Conventions) -> str:
    head = _row(["segment", "customers", "share of customers", "median days since last order", "median orders",
                 "revenue", "share of revenue"], header=True)  # fmt: skip
    rows = "".join(
        _row([s, f"{p.customers:,}", f"{p.share_of_customers:.1%}", f"{p.median_days_since_last_order:,.0f}",
              f"{p.median_orders:,.1f}", conventions.money(int(p.revenue)), f"{p.share_of_revenue:.1%}"],
             bold=s == chosen)
        for s, p in zip(profile.index, profile.itertuples(), strict=True))  # fmt: skip
    return f"<table class='crmlab-segments'>{head}{rows}</table>"


def _detail_html(mine: pd.DataFrame, members: pd.DataFrame, name: str, conventions: Conventions) -> str:
    def span(column: str, money: bool = False) -> str:
        lo, hi = mine[column].min(), mine[column].max()
        return " – ".join(conventions.money(int(v)) if money else f"{v:,}" for v in (lo, hi))

    ranges = (f"<p>In {html.escape(name)}: days since the last order {span('days_since_last_order')}; "
              f"orders {span('n_orders')}; spend {html.escape(span('total_spend', money=True))}.</p>")  # fmt: skip
    head = _row(["customer", "days since last order", "orders", "spend", "R", "F", "M"], header=True)
    rows = "".join(
        _row([str(i), f"{r.days_since_last_order:,}", f"{r.n_orders:,}", conventions.money(int(r.total_spend)),
              str(r.r_score), str(r.f_score), str(r.m_score)])
        for i, r in zip(members.index, members.itertuples(), strict=True))  # fmt: skip
    caption = f"<p>{len(members):,} of {len(mine):,} customers of the segment, highest spend first.</p>"
    return f"{ranges}{caption}<table class='crmlab-members'>{head}{rows}</table>"


def _chart(profile: pd.DataFrame, chosen: str) -> str:
    ax = Figure(figsize=(7, 0.45 * len(profile) + 0.8)).subplots()
    names = list(profile.index)[::-1]
    y = range(len(names))
    colours = ["#c44e52" if n == chosen else "#4c72b0" for n in names]
    ax.barh([i + 0.2 for i in y], profile.loc[names, "share_of_customers"], height=0.4, color=colours, alpha=0.5,
            label="share of customers")  # fmt: skip
    ax.barh([i - 0.2 for i in y], profile.loc[names, "share_of_revenue"], height=0.4, color=colours,
            label="share of revenue")  # fmt: skip
    ax.set_yticks(list(y), names)
    ax.xaxis.set_major_formatter("{x:.0%}")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title("Share of customers (light) and of revenue (dark)")
    buffer = BytesIO()
    ax.figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"<img alt='Segments: share of customers and revenue' src='data:image/png;base64,{data}'/>"
