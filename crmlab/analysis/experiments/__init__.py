"""Controlled experiments: a data lab for campaigns and launches (lesson 09).

The parts, one question each:

- **frames**: :func:`campaign_frame` gathers a campaign's groups (:func:`campaign_groups`)
  and each customer's history on its first day (:func:`customer_history`);
- **randomisation**: was the draw fair? :func:`sample_ratio_test` checks the group sizes
  against the planned split and :func:`balance_table` the pre-treatment covariates
  (standardised mean differences);
  :func:`random_split` draws the lots for the next test;
- **uplift**: what did it add? :func:`response_rates` per group, :func:`uplift_test`
  (absolute and relative uplift with confidence intervals, a z-test) and
  :func:`compare_periods`, the same comparison before the campaign (a placebo test
  that exposes self-selected groups) and :func:`holdout_gaps`, what a randomised
  holdout would read if the treatment did nothing;
- **power**: how big must the next test be? :func:`sample_size_per_group`,
  :func:`sample_size_table`, :func:`power_curve`, :func:`minimum_detectable_effect`;
- **targeting**: whom to contact? :class:`TwoModelUplift` predicts each customer's uplift
  from a randomised campaign (one response model per group), :func:`qini_curve` and
  :func:`qini_coefficient` judge the ranking, :func:`uplift_by_group` reads the
  observed uplift within groups (persuadables, sure things, sleeping dogs, lost causes);
- **launches**: is a new product on track? :func:`launched_products`,
  :func:`launch_phases` and :func:`judge_launches`, a go / continue / stop rule per phase;
- **charts**: :func:`draw_intervals` and :func:`draw_launch_board`.

Rates are shares (0.02 is 2 percentage points); the statistics come from statsmodels
and scipy.
"""

from typing import TYPE_CHECKING

from crmlab.lazy import lazy_names

# each name is imported on first use (crmlab.lazy); the TYPE_CHECKING imports say the same for type checkers
__getattr__, __dir__ = lazy_names(__name__, {
    ".charts": ["DECISION_COLOURS", "draw_intervals", "draw_launch_board"],
    ".frames": ["campaign_frame", "campaign_groups", "customer_history"],
    ".launches": ["DECISIONS", "judge_launches", "launch_phases", "launched_products"],
    ".power": ["minimum_detectable_effect", "power_curve", "sample_size_per_group", "sample_size_table"],
    ".randomisation": ["SampleRatioCheck", "balance_table", "random_split", "sample_ratio_test"],
    ".targeting": ["TwoModelUplift", "qini_coefficient", "qini_curve", "uplift_by_group"],
    ".uplift": ["compare_periods", "holdout_gaps", "response_rates", "uplift_test"],
})

if TYPE_CHECKING:
    from .charts import DECISION_COLOURS, draw_intervals, draw_launch_board
    from .frames import campaign_frame, campaign_groups, customer_history
    from .launches import DECISIONS, judge_launches, launch_phases, launched_products
    from .power import minimum_detectable_effect, power_curve, sample_size_per_group, sample_size_table
    from .randomisation import SampleRatioCheck, balance_table, random_split, sample_ratio_test
    from .targeting import TwoModelUplift, qini_coefficient, qini_curve, uplift_by_group
    from .uplift import compare_periods, holdout_gaps, response_rates, uplift_test

__all__ = [
    "DECISIONS",
    "DECISION_COLOURS",
    "SampleRatioCheck",
    "TwoModelUplift",
    "balance_table",
    "campaign_frame",
    "campaign_groups",
    "compare_periods",
    "customer_history",
    "draw_intervals",
    "draw_launch_board",
    "holdout_gaps",
    "judge_launches",
    "launch_phases",
    "launched_products",
    "minimum_detectable_effect",
    "power_curve",
    "qini_coefficient",
    "qini_curve",
    "random_split",
    "response_rates",
    "sample_ratio_test",
    "sample_size_per_group",
    "sample_size_table",
    "uplift_by_group",
    "uplift_test",
]
