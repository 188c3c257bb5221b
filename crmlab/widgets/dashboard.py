"""The KPI dashboard of lesson 04: region, period and channel filters over a tested function.

A thin view: every number comes from :func:`crmlab.analysis.bi.kpi_table`; the
widget only collects the filters and shows the table, next to the same KPIs for all
regions so a region's strengths and weaknesses stand out. Its callbacks never raise:
an error is shown in the dashboard instead. The lesson's notebook is also served as
an app without code by Voila::

    voila notebooks/04_bi_questions.ipynb
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from functools import partial

import ipywidgets as widgets
import pandas as pd

from crmlab.analysis import bi
from crmlab.calendars import calendar_of, calendar_periods
from crmlab.conventions import COURSE, Conventions

__all__ = ["KpiDashboard", "format_kpis", "format_value", "month_options"]

_FORMATS = {"count": "{:,.0f}", "share": "{:.1%}", "score": "{:.2f}", "days": "{:.1f} days"}


def format_value(value: float, unit: str, conventions: Conventions = COURSE) -> str:
    """A KPI value as a manager reads it; money in the conventions' currency, whole units.

    Parameters
    ----------
    value : float
        The number; NaN when there was nothing to measure.
    unit : str
        One of ``count``, ``money``, ``share``, ``score``, ``days`` (see :data:`~crmlab.analysis.bi.KPI_UNITS`).
    conventions : Conventions, optional
        The company's currency (and display unit) for ``money`` (default :data:`crmlab.conventions.COURSE`).

    Returns
    -------
    str

    Examples
    --------
    >>> format_value(0.8956, "share"), format_value(9430067.2, "money"), format_value(float("nan"), "days")
    ('89.6%', 'IRR 9,430,067', '–')
    >>> from crmlab.conventions import from_mapping
    >>> format_value(9430067.2, "money", from_mapping({"timezone": "Europe/London", "currency": "GBP",
    ...                                                "as_of": "2011-12-09"}))
    'GBP 9,430,067'
    """
    if value is None or pd.isna(value):
        return "–"
    if unit == "money":
        return conventions.money_major(float(value), decimals=0)
    return _FORMATS.get(unit, "{:,.3g}").format(value)


def format_kpis(table: pd.DataFrame, conventions: Conventions = COURSE) -> pd.DataFrame:
    """The ``value`` column of a :func:`~crmlab.analysis.bi.kpi_table` as formatted text (money in ``conventions``).

    Examples
    --------
    >>> t = pd.DataFrame({"value": [12.0, 0.25], "unit": ["count", "share"]},
    ...                  index=pd.Index(["Orders", "Late deliveries"], name="kpi"))
    >>> format_kpis(t)
                     value
    kpi
    Orders              12
    Late deliveries  25.0%
    """
    text = [format_value(v, u, conventions) for v, u in zip(table["value"], table["unit"], strict=True)]
    return pd.DataFrame({"value": text}, index=table.index)


def month_options(
    first: pd.Timestamp, last: pd.Timestamp, calendar: str = "gregorian"
) -> list[tuple[str, pd.Timestamp]]:
    """``(label, first day)`` of every month from ``first`` to ``last``, for a period slider.

    ``calendar="jalali"`` gives Jalali months ("Farvardin 1404", from 1 Farvardin).

    Examples
    --------
    >>> month_options(pd.Timestamp("2025-11-20"), pd.Timestamp("2026-01-02"))[0]
    ('Nov 2025', Timestamp('2025-11-01 00:00:00'))
    >>> len(month_options(pd.Timestamp("2025-11-20"), pd.Timestamp("2026-01-02")))
    3
    >>> month_options(pd.Timestamp("2025-03-01"), pd.Timestamp("2025-03-31"), "jalali")[1]
    ('Farvardin 1404', Timestamp('2025-03-21 00:00:00'))
    """
    if calendar_of(calendar) != "gregorian":
        months = calendar_periods(first, last, "month", calendar)
        return list(zip(months["label"], months.index, strict=True))
    months = pd.date_range(pd.Timestamp(first).to_period("M").to_timestamp(), pd.Timestamp(last), freq="MS")
    return [(m.strftime("%b %Y"), m) for m in months]


class KpiDashboard:
    """An interactive KPI dashboard: pick a region, a period and a channel.

    Parameters
    ----------
    crm : CRM or dict of DataFrames
        The tables :func:`~crmlab.analysis.bi.kpi_table` needs.
    title : str
        Shown above the filters.
    kpis : callable
        ``kpis(crm, region=, start=, end=, channel=)`` returning a KPI table (default
        :func:`~crmlab.analysis.bi.kpi_table`).
    calendar : {"gregorian", "jalali"}
        The months of the period slider: Gregorian (the default) or Jalali ("Farvardin 1404").
    conventions : Conventions, optional
        The company's clock and currency: by default the data's (``crm.conventions``), else the
        course's. The default KPI table is computed with them and money is shown in their currency.

    Attributes
    ----------
    region, channel : ipywidgets.Dropdown
        The filters (``None`` means all).
    period : ipywidgets.SelectionRangeSlider
        First and last month.
    table, baseline : DataFrame
        The KPIs shown for the selection and for all regions (same period and channel).
    widget : ipywidgets.VBox
        What is displayed.

    Examples
    --------
    >>> from crmlab import load_crm
    >>> crm = load_crm(tables=["customers", "orders", "tickets", "shipments", "invoices", "payments"])
    >>> dash = KpiDashboard(crm)
    >>> dash.region.value = "South"
    >>> dash.filters["region"], f"{dash.table.loc['Late deliveries', 'value']:.2f}"
    ('South', '0.52')
    """

    def __init__(
        self, crm: Mapping[str, pd.DataFrame], title: str = "KPI dashboard", kpis: Callable = bi.kpi_table,
        calendar: str = "gregorian", conventions: Conventions | None = None,
    ) -> None:
        self.conventions = conventions or getattr(crm, "conventions", None) or COURSE
        kpis = partial(bi.kpi_table, conventions=self.conventions) if kpis is bi.kpi_table else kpis
        self.crm, self._kpis, self.calendar = crm, kpis, calendar_of(calendar)
        self.table: pd.DataFrame | None = None
        self.baseline: pd.DataFrame | None = None
        orders, tickets = crm["orders"], crm["tickets"]
        regions = sorted(crm["customers"]["region"].dropna().unique())
        channels = sorted(set(orders["channel"]) | set(tickets["channel"]))
        self.region = widgets.Dropdown(
            options=[("All regions", None)] + [(r, r) for r in regions], description="Region"
        )
        self.channel = widgets.Dropdown(
            options=[("All channels", None)] + [(c.replace("_", " "), c) for c in channels], description="Channel"
        )
        days = orders["ordered_at"].dt.tz_convert(self.conventions.timezone).dt.tz_localize(None)
        months = month_options(days.min(), days.max(), self.calendar)
        self.period = widgets.SelectionRangeSlider(
            options=months, index=(0, len(months) - 1), description="Period", continuous_update=False,
            layout=widgets.Layout(width="600px"),
        )  # fmt: skip
        self.view, self.status = widgets.HTML(), widgets.HTML()
        for control in (self.region, self.channel, self.period):
            control.observe(self._on_change, names="value")
        heading = widgets.HTML(f"<h3>{html.escape(title)}</h3>")
        self.widget = widgets.VBox([heading, widgets.HBox([self.region, self.channel]), self.period,
                                    self.view, self.status])  # fmt: skip
        self.refresh()

    @property
    def filters(self) -> dict:
        """The current filters, as keyword arguments of ``kpi_table``."""
        first, last = self.period.value
        if self.calendar == "gregorian":
            end = last + pd.offsets.MonthEnd(0)
        else:
            end = calendar_periods(last, last, "month", self.calendar)["end"].iloc[0]
        return {
            "region": self.region.value,
            "start": first,
            "end": end,
            "channel": self.channel.value,
        }

    def refresh(self) -> None:
        """Recompute and show the KPIs for the current filters; shows an error instead of raising."""
        try:
            filters = self.filters
            table = self._kpis(self.crm, **filters)
            baseline = self._kpis(self.crm, **{**filters, "region": None})
            page = _table_html(table, baseline, filters["region"] or "All regions", self.conventions)
        except Exception as exc:  # a callback must never raise: say what happened instead
            self.status.value = (
                "<p style='color:#b00020'><b>The KPIs could not be computed</b> for these filters: "
                f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</p>"
            )
            return
        self.table, self.baseline = table, baseline
        self.view.value = page
        self.status.value = ""

    def _on_change(self, change) -> None:
        self.refresh()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"KpiDashboard(filters={self.filters})"


def _table_html(table: pd.DataFrame, baseline: pd.DataFrame, label: str, conventions: Conventions) -> str:
    shown = format_kpis(table, conventions)["value"]
    base = format_kpis(baseline, conventions)["value"]
    cell = "style='padding:2px 12px;text-align:{}'"
    rows = "".join(
        f"<tr><td {cell.format('left')}>{html.escape(str(kpi))}</td>"
        f"<td {cell.format('right')}><b>{html.escape(shown[kpi])}</b></td>"
        f"<td {cell.format('right')}>{html.escape(base.get(kpi, '–'))}</td></tr>"
        for kpi in shown.index
    )
    head = (
        f"<tr><th {cell.format('left')}>KPI</th><th {cell.format('right')}>{html.escape(label)}</th>"
        f"<th {cell.format('right')}>All regions</th></tr>"
    )
    return f"<table class='crmlab-kpis'>{head}{rows}</table>"

