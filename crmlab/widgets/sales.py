"""The KPI dashboard over any company's export: period, region and channel filters, stated in words.

A thin view over :func:`crmlab.analysis.bi.sales_kpis`, :func:`~crmlab.analysis.bi.operations_kpis`
and :func:`~crmlab.analysis.bi.monthly_sales`: the widget collects the filters the data
allows (region only when customers have one, channel only when orders have one, the period
always, in months of the company's calendar), states them in one line above the numbers,
and shows the sales KPIs next to the same KPIs for the whole data, the service, delivery and
payment KPIs the export's tables allow (each one it cannot show is listed with the reason),
and a chart of revenue per month. Its callbacks never raise: an error is shown instead.
``crmlab dashboard kpi`` serves it by Voila (:mod:`crmlab.dashboards`).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from io import BytesIO

import ipywidgets as widgets
import pandas as pd
from matplotlib.figure import Figure

from crmlab.analysis import bi
from crmlab.conventions import COURSE, Conventions

__all__ = ["SalesDashboard", "stated_filters"]


def stated_filters(filters: Mapping[str, object], conventions: Conventions, has: Mapping[str, object]) -> str:
    """The active filters in one line of words, as the dashboard shows them above its numbers.

    Parameters
    ----------
    filters : dict
        ``region``, ``channel``, ``start``, ``end`` (None: all).
    conventions : Conventions
        For the currency, the clock and the end of the data.
    has : dict
        The filters the data offers (see :func:`crmlab.analysis.bi.filter_options`); a filter it
        lacks is stated as not in the data.

    Examples
    --------
    >>> f = {"region": None, "channel": "web", "start": pd.Timestamp("2025-01-01"), "end": pd.Timestamp("2025-03-31")}
    >>> print(stated_filters(f, COURSE, {"channel": ["web"]}).replace(" · ", "\\n"))
    Showing: 1 Jan 2025 – 31 Mar 2025
    channel web
    no regions in this data
    money in IRR
    data up to 31 Dec 2025 (clock Asia/Tehran)
    """
    parts = [f"{_day(filters['start'], conventions)} – {_day(filters['end'], conventions)}"]
    for name, plural in (("channel", "channels"), ("region", "regions")):
        if name not in has:
            parts.append(f"no {plural} in this data")
        else:
            parts.append(f"{name} {filters[name]}" if filters.get(name) is not None else f"all {plural}")
    parts += [f"money in {conventions.currency}",
              f"data up to {_day(conventions.as_of, conventions)} (clock {conventions.timezone})"]  # fmt: skip
    return "Showing: " + " · ".join(parts)


def _day(day, conventions: Conventions) -> str:
    return "…" if day is None else bi.day_label(day, conventions)


class SalesDashboard:
    """Sales KPIs of any export, filtered by period, and by region and channel where the data has them.

    Parameters
    ----------
    crm : CRM or dict of DataFrames
        ``orders`` at least (see :func:`crmlab.analysis.bi.sales_kpis`); ``customers`` with ``region``.
    conventions : Conventions, optional
        Default ``crm.conventions`` when it has them, else the course's.
    title : str
        Shown above the filters.

    Attributes
    ----------
    region, channel : ipywidgets.Dropdown or None
        The filters the data allows (None when it has no such column).
    period : ipywidgets.SelectionRangeSlider
        First and last month.
    months : DataFrame
        The months of the slider (:func:`~crmlab.analysis.bi.calendar_months`).
    table, overall, operations, monthly : DataFrame
        The sales KPIs of the selection and of the whole data for the same period, the
        service, delivery and payment KPIs of the selection, and its sales per month.
    widget : ipywidgets.VBox

    Examples
    --------
    >>> o = pd.DataFrame({"customer_id": [1, 1, 2], "total_cents": [1_000_000, 3_050_000, 999_000],  # rials
    ...                   "channel": ["web", "web", "shop"],
    ...                   "ordered_at": pd.to_datetime(["2025-01-05", "2025-02-10", "2025-02-11"], utc=True)})
    >>> dash = SalesDashboard({"orders": o})
    >>> dash.channel.value = "web"
    >>> dash.table.loc["Revenue", "text"], dash.region is None
    ('IRR 4,050,000', True)
    """

    def __init__(self, crm: Mapping[str, pd.DataFrame], conventions: Conventions | None = None,
                 title: str = "KPI dashboard") -> None:
        self.crm = crm
        self.conventions = conventions or getattr(crm, "conventions", None) or COURSE
        self.table = self.overall = self.operations = self.monthly = None
        self.options = bi.filter_options(crm)
        self.region = self._dropdown("region", "Region", "All regions")
        self.channel = self._dropdown("channel", "Channel", "All channels")
        days = bi.purchases_of(crm["orders"], self.conventions)["day"]
        first = min(days.min(), self.conventions.as_of) if len(days) else self.conventions.as_of
        self.months = bi.calendar_months(first, self.conventions.as_of, self.conventions)
        options = list(zip(self.months["label"], self.months.index, strict=True))
        self.period = widgets.SelectionRangeSlider(options=options,
                                                   index=(0, len(self.months) - 1), description="Period",
                                                   continuous_update=False, layout=widgets.Layout(width="600px"))
        self.stated, self.view, self.operations_view, self.chart, self.status = (widgets.HTML() for _ in range(5))
        controls = [c for c in (self.region, self.channel) if c is not None]
        for control in (*controls, self.period):
            control.observe(self._on_change, names="value")
        heading = widgets.HTML(f"<h3>{html.escape(title)}</h3>")
        self.widget = widgets.VBox([heading, widgets.HBox(controls), self.period, self.stated, self.view,
                                    self.operations_view, self.chart, self.status])  # fmt: skip
        self.refresh()

    def _dropdown(self, name: str, label: str, everything: str) -> widgets.Dropdown | None:
        if name not in self.options:
            return None
        return widgets.Dropdown(options=[(everything, None)] + [(v, v) for v in self.options[name]], description=label)

    @property
    def filters(self) -> dict:
        """The current filters, as keyword arguments of :func:`~crmlab.analysis.bi.sales_kpis`."""
        first, last = self.period.value
        return {
            "region": None if self.region is None else self.region.value,
            "channel": None if self.channel is None else self.channel.value,
            "start": first,
            "end": min(self.months.loc[last, "end"], self.conventions.as_of),
        }

    def refresh(self) -> None:
        """Recompute and show everything for the current filters; shows an error instead of raising."""
        try:
            filters = self.filters
            table = bi.sales_kpis(self.crm, **filters, conventions=self.conventions)
            overall = bi.sales_kpis(self.crm, start=filters["start"], end=filters["end"],
                                    conventions=self.conventions)  # fmt: skip
            operations = bi.operations_kpis(self.crm, **filters, conventions=self.conventions)
            monthly = bi.monthly_sales(self.crm, **filters, conventions=self.conventions)
            stated = stated_filters(filters, self.conventions, self.options)
            chart = _chart(monthly, self.conventions)
        except Exception as exc:  # a callback must never raise: say what happened instead
            self.status.value = ("<p style='color:#b00020'><b>The KPIs could not be computed</b> for these filters: "
                                 f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</p>")  # fmt: skip
            return
        self.table, self.overall, self.operations, self.monthly = table, overall, operations, monthly
        self.stated.value = f"<p class='crmlab-filters'><b>{html.escape(stated)}</b></p>"
        self.view.value = _table_html(table, overall, filters)
        self.operations_view.value = _operations_html(operations)
        self.chart.value = chart
        self.status.value = ""

    def _on_change(self, change) -> None:
        self.refresh()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"SalesDashboard(filters={self.filters})"


def _table_html(table: pd.DataFrame, overall: pd.DataFrame, filters: Mapping[str, object]) -> str:
    label = " · ".join(str(filters[k]) for k in ("region", "channel") if filters.get(k) is not None) or "All"
    cell = "style='padding:2px 12px;text-align:{}'"
    head = (f"<tr><th {cell.format('left')}>KPI</th><th {cell.format('right')}>{html.escape(label)}</th>"
            f"<th {cell.format('right')}>All customers and channels</th></tr>")  # fmt: skip
    rows = "".join(
        f"<tr><td {cell.format('left')}>{html.escape(kpi)}</td>"
        f"<td {cell.format('right')}><b>{html.escape(table.loc[kpi, 'text'])}</b></td>"
        f"<td {cell.format('right')}>{html.escape(overall.loc[kpi, 'text'])}</td></tr>"
        for kpi in table.index
    )
    return f"<table class='crmlab-sales'>{head}{rows}</table>"


def _operations_html(operations: pd.DataFrame) -> str:
    shown = operations[operations["missing"].eq("")]
    cell = "style='padding:2px 12px;text-align:{}'"
    rows = "".join(f"<tr><td {cell.format('left')}>{html.escape(kpi)}</td>"
                   f"<td {cell.format('right')}><b>{html.escape(text)}</b></td></tr>"
                   for kpi, text in shown["text"].items())  # fmt: skip
    table = f"<table class='crmlab-operations'>{rows}</table>" if rows else ""
    absent = operations[operations["missing"].ne("")]
    notes = "".join(f"<li>{html.escape(kpi)}: not shown, {html.escape(why)}</li>"
                    for kpi, why in absent["missing"].items())  # fmt: skip
    notes = f"<ul class='crmlab-absent'>{notes}</ul>" if notes else ""
    return f"<h4>Service, delivery and payment</h4>{table}{notes}"


def _chart_axes(months: pd.DataFrame, conventions: Conventions):
    """Revenue per month as bars, the axis labelled with the months of the company's calendar.

    Jalali months are labelled with transliterated names ("Farvardin 1404", from
    :func:`~crmlab.analysis.bi.monthly_sales`): matplotlib does not join Arabic-script letters.
    """
    ax = Figure(figsize=(8, 2.6)).subplots()
    ax.bar(range(len(months)), months["revenue"], color="#4c72b0")
    step = max(1, len(months) // 12)
    ax.set_xticks(range(0, len(months), step), months["label"].iloc[::step], rotation=30, ha="right")
    ax.set_ylabel(f"revenue ({conventions.currency})")
    ax.set_title("Revenue per month" + (" (Jalali months)" if conventions.calendar == "jalali" else ""))
    return ax


def _chart(months: pd.DataFrame, conventions: Conventions) -> str:
    ax = _chart_axes(months, conventions)
    buffer = BytesIO()
    ax.figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"<img alt='Revenue per month' src='data:image/png;base64,{data}'/>"
