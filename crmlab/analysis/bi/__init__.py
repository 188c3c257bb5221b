"""BI questions on CRM data: adoption, support, the sales funnel, other systems, regions.

Lesson 04 asks three questions first (are the reps using the CRM, is support working,
where do deals get stuck), then joins the CRM with the finance and logistics systems
(invoices, payments, shipments), compares regions side by side, and feeds a KPI
dashboard. Every function takes CRM tables and returns a tidy table keyed by its
natural id (``rep_id``, ``ticket_id``, ``stage``, ``invoice_id``, ``region`` ...).

Rates are always a *ratio of sums* (breaches / tickets of a region), never the mean of
per-customer ratios, and outcomes still unknown at the end of the export (a ticket
within its deadline, a parcel not yet due) are left out rather than counted as good
or bad.
"""

from ._checks import EXPORT_END, FUNNEL, HIGHER_IS_BETTER, KPI_UNITS, LAST_DAY, TIMEZONE
from .overview import kpi_table
from .questions import rep_adoption, stage_conversion, support_quality, ticket_sla
from .regions import region_scorecard, relative_to_average, scorecard_heatmap
from .systems import delivery_quality, invoice_payments, shipment_lateness

__all__ = [
    "EXPORT_END",
    "FUNNEL",
    "HIGHER_IS_BETTER",
    "KPI_UNITS",
    "LAST_DAY",
    "TIMEZONE",
    "delivery_quality",
    "invoice_payments",
    "kpi_table",
    "region_scorecard",
    "relative_to_average",
    "rep_adoption",
    "scorecard_heatmap",
    "shipment_lateness",
    "stage_conversion",
    "support_quality",
    "ticket_sla",
]
