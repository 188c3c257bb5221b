"""What a CRM is for, measured: the seven goals as KPIs, and the signs a CRM project is failing.

Lesson 01 turns each goal of a CRM into a number computed from the CRM database:

* service -- :func:`response_time`, :func:`resolution_time`, :func:`satisfaction`, and the SLA
  (:func:`ticket_sla`, :func:`sla_breach_rate`);
* call-centre efficiency -- :func:`first_contact_resolution`, :func:`answer_to_solution_time` (a lead
  time in hours, not a call's handling time; :func:`handling_time` is its old name);
* cross-selling -- :func:`categories_per_buyer`, :func:`multi_category_share`;
* deal speed -- :func:`sales_cycle_days`;
* smoother processes -- :func:`funnel_conversion`;
* finding new customers -- :func:`new_customers_per_month`;
* growing customer revenue -- :func:`revenue_per_buyer`;

and :func:`goal_scorecard` gathers them into one table. Around them: a project's cost, time and
return (:func:`project_roi`), which table serves
which decision (:func:`data_map`), life-event triggers (:func:`life_events`), channels and
the single customer view (:func:`channels_per_customer`, :func:`customer_timeline`,
:func:`looks_inactive`, :func:`single_view_summary`), data volume (:func:`records_per_year`), and the reps whose
data entry collapses (:func:`pooled_completeness`, :func:`weekly_completeness`, :func:`data_entry_trend`,
:func:`disengaged_reps`).

These are the course's only definitions of these measures: lesson 02 (training) and
lesson 04 (BI) reuse them for data-entry completeness, the SLA and the funnel.

Functions take CRM tables (``crm.tickets`` ...) and return a number or a tidy DataFrame
keyed by its natural id. Shares are between 0 and 1; times are in hours or days as named.
"""

from crmlab.analysis.kpis.measures import EXPORT_END, FUNNEL, LOCAL_TZ

from .adoption import data_entry_trend, disengaged_reps, pooled_completeness, records_per_year, weekly_completeness
from .channels import channels_per_customer, customer_timeline, looks_inactive, single_view_summary
from .information import data_map, life_events
from .project import project_roi
from .sales import (
    categories_per_buyer,
    funnel_conversion,
    multi_category_share,
    new_customers_per_month,
    revenue_per_buyer,
    sales_cycle_days,
)
from .scorecard import goal_scorecard
from .service import (
    answer_to_solution_time,
    first_contact_resolution,
    handling_time,
    resolution_time,
    response_time,
    satisfaction,
    sla_breach_rate,
    ticket_sla,
)

__all__ = [
    "EXPORT_END",
    "FUNNEL",
    "LOCAL_TZ",
    "answer_to_solution_time",
    "categories_per_buyer",
    "channels_per_customer",
    "customer_timeline",
    "data_entry_trend",
    "data_map",
    "disengaged_reps",
    "first_contact_resolution",
    "funnel_conversion",
    "goal_scorecard",
    "handling_time",
    "life_events",
    "looks_inactive",
    "multi_category_share",
    "new_customers_per_month",
    "pooled_completeness",
    "project_roi",
    "records_per_year",
    "resolution_time",
    "response_time",
    "revenue_per_buyer",
    "sales_cycle_days",
    "satisfaction",
    "single_view_summary",
    "sla_breach_rate",
    "ticket_sla",
    "weekly_completeness",
]

