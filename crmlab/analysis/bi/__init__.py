"""BI questions on CRM data: support, other systems, regions, the KPI dashboard.

Lesson 04 asks three questions first (are the reps using the CRM, is support working,
where do deals get stuck), answered with lesson 01's measures
(:func:`crmlab.analysis.kpis.data_entry_trend`, :func:`support_quality` built from
the service KPIs, :func:`crmlab.analysis.kpis.funnel_conversion`), then joins the CRM
with the finance and logistics systems (invoices, payments, shipments), compares
regions side by side, and feeds a KPI dashboard. For a company's own export, :mod:`.purchases`
answers the sales questions from a purchases table alone, :mod:`.operations` the service, delivery
and payment questions when the export has those tables, :mod:`.prices` builds the company's own price
index to deflate revenue, and :mod:`.calendar` counts months on the
company's calendar (Gregorian or Jalali). Every function takes CRM tables and
returns a tidy table keyed by its natural id (``invoice_id``, ``shipment_id``,
``region`` ...).

Rates are always a *ratio of sums* (breaches / tickets of a region), never the mean of
per-customer ratios, and outcomes still unknown at the end of the export (a ticket
within its deadline, a parcel not yet due) are left out rather than counted as good
or bad.
"""

from crmlab.analysis.kpis import EXPORT_END, FUNNEL, LOCAL_TZ, ticket_sla  # lesson 01's, used here too
from crmlab.conventions import COURSE

from .calendar import JALALI_MONTHS, calendar_months, day_label, month_of
from .operations import OPERATIONS_KPIS, operations_kpis
from .overview import KPI_UNITS, kpi_table
from .prices import deflate, price_index
from .purchases import (
    SALES_KPIS,
    filter_options,
    monthly_sales,
    period_days,
    purchases_of,
    sales_kpis,
    selected_orders,
)
from .questions import support_quality, with_customer_columns
from .regions import HIGHER_IS_BETTER, region_scorecard, relative_to_average, scorecard_heatmap
from .systems import delivery_quality, invoice_payments, shipment_lateness

#: The last local calendar day of the course's export (``COURSE.as_of``).
LAST_DAY = COURSE.as_of

__all__ = [
    "EXPORT_END",
    "FUNNEL",
    "HIGHER_IS_BETTER",
    "JALALI_MONTHS",
    "KPI_UNITS",
    "LAST_DAY",
    "LOCAL_TZ",
    "OPERATIONS_KPIS",
    "SALES_KPIS",
    "calendar_months",
    "day_label",
    "deflate",
    "delivery_quality",
    "filter_options",
    "invoice_payments",
    "kpi_table",
    "month_of",
    "monthly_sales",
    "operations_kpis",
    "period_days",
    "price_index",
    "purchases_of",
    "region_scorecard",
    "relative_to_average",
    "sales_kpis",
    "scorecard_heatmap",
    "selected_orders",
    "shipment_lateness",
    "support_quality",
    "with_customer_columns",
    "ticket_sla",
]
