"""The goal scorecard: every goal of a CRM as one measured KPI."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from crmlab.calendars import calendar_of, year_of
from crmlab.conventions import Conventions
from crmlab.errors import SchemaError
from crmlab.validation import choice

from .sales import funnel_conversion, multi_category_share, new_customers_per_month, revenue_per_buyer, sales_cycle_days
from .service import answer_to_solution_time, first_contact_resolution, resolution_time, response_time, satisfaction

# ------------------------------------------------------------------ the scorecard


def goal_scorecard(crm: Mapping[str, pd.DataFrame], *, year: int | None = None,
                   calendar: str | Conventions = "gregorian") -> pd.DataFrame:
    """The seven goals of a CRM, one or more KPIs each, in one table.

    KPIs are measured over the whole history in ``crm``, except acquisition (months of
    ``year``) and revenue growth (``year`` against the year before). To score one period
    only, filter the tables before passing them.

    Parameters
    ----------
    crm : CRM or mapping of str to DataFrame
        The CRM database, e.g. ``crmlab.load_crm()``.
    year : int, optional
        The year for acquisition and growth; by default the last year with orders.
    calendar : {"gregorian", "jalali"} or Conventions
        The calendar of ``year`` and its months: Gregorian (the default), or the Jalali
        fiscal year from 1 Farvardin (``year=1403``, labelled "FY 1403").

    Returns
    -------
    DataFrame
        Columns ``goal``, ``kpi``, ``value``, ``unit``; shares are shown in percent.

    Examples
    --------
    >>> from crmlab.datasets import load_crm
    >>> crm = load_crm(tables=["tickets", "orders", "order_lines", "products",
    ...                        "opportunities", "opportunity_stages", "customers"])
    >>> card = goal_scorecard(crm)
    >>> card["goal"].nunique(), list(card.columns)
    (7, ['goal', 'kpi', 'value', 'unit'])
    """
    if isinstance(crm, pd.DataFrame) or not isinstance(crm, Mapping):
        raise TypeError(f"The value for `crm` must be the whole CRM (`crmlab.load_crm()`), "
                        f"but a {type(crm).__name__} was passed.")  # fmt: skip
    needed = ["tickets", "orders", "order_lines", "products", "opportunities", "opportunity_stages", "customers"]
    missing = [name for name in needed if name not in crm]
    if missing:
        raise SchemaError(f"The scorecard needs the tables {missing}; load them with "
                          f"`crmlab.load_crm(tables=[...])` or load every table.")  # fmt: skip
    growth = revenue_per_buyer(crm["orders"], calendar=calendar)
    year = int(growth.index.max()) if year is None else int(year)
    choice("year", year, [int(y) for y in growth.index[1:]])
    tickets, opps = crm["tickets"], crm["opportunities"]
    funnel = funnel_conversion(crm["opportunity_stages"])
    signups = new_customers_per_month(crm["customers"], by=None, calendar=calendar)
    jalali = calendar_of(calendar) == "jalali"
    signup_year = year_of(signups["month"], calendar) if jalali else signups["month"].dt.year
    named, before = (f"FY {year}", f"FY {year - 1}") if jalali else (year, year - 1)
    rows = [
        ("better service", "median hours to first response", response_time(tickets), "hours"),
        ("better service", "median hours to resolution", resolution_time(tickets), "hours"),
        ("better service", "mean satisfaction score", satisfaction(tickets), "score 1-5"),
        ("efficient call centre", "first-contact resolution, call centre",
         100 * first_contact_resolution(tickets, channel="call_centre"), "%"),
        ("efficient call centre", "median hours from first answer to solution, call centre",
         answer_to_solution_time(tickets, channel="call_centre"), "hours"),
        ("effective cross-selling", "buyers buying from 2+ categories",
         100 * multi_category_share(crm["orders"], crm["order_lines"], crm["products"]), "%"),
        ("closing deals faster", "median sales cycle of won deals", sales_cycle_days(opps), "days"),
        ("smoother sales processes", "deals won from prospecting",
         100 * funnel["conversion"].prod(), "%"),
        ("finding new customers", f"new customers per month, {named}",
         signups.loc[signup_year == year, "new_customers"].sum() / 12, "customers"),
        ("growing customer revenue", f"revenue per buyer, {named} vs {before}",
         100 * growth.loc[year, "per_buyer_growth"], "%"),
    ]  # fmt: skip
    out = pd.DataFrame(rows, columns=["goal", "kpi", "value", "unit"])
    out["value"] = out["value"].astype("float64").round(2)
    return out


