"""Service and the call centre (lesson 10): tickets, response-time alerts, call arrivals, staffing.

Lesson 01's ticket measures (:mod:`crmlab.analysis.kpis`: :func:`~crmlab.analysis.kpis.response_time`,
:func:`~crmlab.analysis.kpis.resolution_time`, :func:`~crmlab.analysis.kpis.ticket_sla`,
:func:`~crmlab.analysis.kpis.first_contact_resolution` ...) are the definitions; this package
adds what lesson 10 needs on top of them, one module per question:

- **tickets**: :func:`sla_compliance` per channel, priority or region, and
  :func:`ticket_factors`, one row of facts per ticket;
- **satisfaction**: what moves the score: :func:`satisfaction_by` (mean score per level of
  each factor) and :func:`satisfaction_drivers` (a linear model, optionally within customers);
- **alerts**: a rule-based monitor of first-response times: :func:`response_alerts` (breached
  and at-risk tickets as of a moment), :func:`alert_counts`, :func:`agents_with_breaches` and
  :func:`alert_report`, the message a support lead receives;
- **arrivals**: when customers call: :func:`calls_per_period`, :func:`weekly_pattern`,
  :func:`peak_periods`;
- **erlang**: the Erlang C model of a queue of callers: :func:`traffic_erlangs`, :func:`erlang_c`
  (with :func:`erlang_b`), :func:`service_level`, :func:`average_speed_of_answer`, :func:`occupancy`;
- **staffing**: :func:`agents_needed` for a target, :func:`erlang_table` and
  :func:`staffing_table` (agents per period of a typical week);
- **planning**: plan for the busy days, not the average one: :func:`planned_calls` (the mean or a
  quantile of past days), :func:`plan_outcomes` and :func:`compare_plans` (how often a plan meets
  its target on real days), :func:`offered_calls` (demand is calls offered, handled + abandoned).

Times are in hours (tickets) or seconds (calls); ticket instants are UTC, shown on the
company's clock (Asia/Tehran).
"""

from typing import TYPE_CHECKING

from crmlab.lazy import lazy_names

# each name is imported on first use (crmlab.lazy); the TYPE_CHECKING imports say the same for type checkers
__getattr__, __dir__ = lazy_names(__name__, {
    "crmlab.analysis.kpis.measures": ["EXPORT_END", "LOCAL_TZ"],
    ".alerts": ["PRIORITIES", "STATUSES", "agents_with_breaches", "alert_counts", "alert_report", "response_alerts"],
    ".arrivals": ["WEEKDAYS", "calls_per_period", "peak_periods", "weekly_pattern"],
    ".erlang": ["average_speed_of_answer", "erlang_b", "erlang_c", "occupancy", "service_level", "traffic_erlangs"],
    ".planning": ["compare_plans", "offered_calls", "plan_outcomes", "planned_calls"],
    ".satisfaction": ["FACTORS", "satisfaction_by", "satisfaction_drivers"],
    ".staffing": ["agents_needed", "erlang_table", "staffing_table"],
    ".tickets": ["sla_compliance", "ticket_factors"],
})

if TYPE_CHECKING:
    from crmlab.analysis.kpis.measures import EXPORT_END, LOCAL_TZ

    from .alerts import PRIORITIES, STATUSES, agents_with_breaches, alert_counts, alert_report, response_alerts
    from .arrivals import WEEKDAYS, calls_per_period, peak_periods, weekly_pattern
    from .erlang import average_speed_of_answer, erlang_b, erlang_c, occupancy, service_level, traffic_erlangs
    from .planning import compare_plans, offered_calls, plan_outcomes, planned_calls
    from .satisfaction import FACTORS, satisfaction_by, satisfaction_drivers
    from .staffing import agents_needed, erlang_table, staffing_table
    from .tickets import sla_compliance, ticket_factors

__all__ = [
    "EXPORT_END",
    "FACTORS",
    "LOCAL_TZ",
    "PRIORITIES",
    "STATUSES",
    "WEEKDAYS",
    "agents_needed",
    "agents_with_breaches",
    "alert_counts",
    "alert_report",
    "average_speed_of_answer",
    "calls_per_period",
    "compare_plans",
    "erlang_b",
    "erlang_c",
    "erlang_table",
    "occupancy",
    "offered_calls",
    "peak_periods",
    "plan_outcomes",
    "planned_calls",
    "response_alerts",
    "satisfaction_by",
    "satisfaction_drivers",
    "service_level",
    "sla_compliance",
    "staffing_table",
    "ticket_factors",
    "traffic_erlangs",
    "weekly_pattern",
]
