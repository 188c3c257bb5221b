"""The sales pipeline: closing deals faster (lesson 11).

Every measure is taken **as of a date**, from the stage history known then: the
``opportunities`` table tells where a deal stands at the export, not where it stood on
1 October, so the past is rebuilt from ``opportunity_stages`` (:func:`pipeline_as_of`).

- **snapshot**: :func:`as_of_instant` (what a date means), :func:`history_as_of`,
  :func:`pipeline_as_of` (each deal's stage on the date), :func:`label_deals` (the
  customer's ``region`` and the rep's ``team``, to group by);
- **rates**: :func:`win_rate` (won / closed), :func:`cycle_days` (won deals' cycles; the
  median is lesson 01's :func:`crmlab.analysis.kpis.sales_cycle_days`),
  :func:`pipeline_velocity` (open deals x average value x win rate / cycle length);
- **ageing**: :func:`stage_durations`, :func:`stage_limits`, :func:`ageing_deals` (open
  deals stuck beyond what most past deals needed), :func:`funnel_by` (lesson 01's
  :func:`~crmlab.analysis.kpis.funnel_conversion` per group) and :func:`stall_points`;
- **forecast**: :func:`win_probability` (ever won), :func:`win_within` (won within the quarter,
  given the stage and the days in it, from :func:`stage_spells`), :func:`weighted_pipeline`,
  :func:`run_rate`, :func:`forecast_quarter`, and :func:`won_between` and :func:`backtest` to score it;
- **closers**: :func:`closing_speed` and :func:`closer_correlation`: do reps who fill in the
  CRM (lesson 02's completeness) close faster?

Money comes out in the currency's major units (dollars, rials: ``minor_unit=``), times in days.
"""

from .ageing import ageing_deals, funnel_by, stage_durations, stage_limits, stall_points
from .closers import closer_correlation, closing_speed
from .forecast import backtest, forecast_quarter, run_rate, weighted_pipeline, win_probability, won_between
from .rates import cycle_days, pipeline_velocity, win_rate
from .snapshot import CLOSED, LOST, WON, add_months, as_of_instant, history_as_of, label_deals, pipeline_as_of
from .timing import stage_spells, win_within

__all__ = [
    "CLOSED",
    "LOST",
    "WON",
    "add_months",
    "ageing_deals",
    "as_of_instant",
    "backtest",
    "closer_correlation",
    "closing_speed",
    "cycle_days",
    "forecast_quarter",
    "funnel_by",
    "history_as_of",
    "label_deals",
    "pipeline_as_of",
    "pipeline_velocity",
    "run_rate",
    "stage_durations",
    "stage_limits",
    "stage_spells",
    "stall_points",
    "weighted_pipeline",
    "win_probability",
    "win_rate",
    "win_within",
    "won_between",
]
