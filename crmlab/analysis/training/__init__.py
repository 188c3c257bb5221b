"""Training CRM users: what each method costs, whether it worked, and how to choose.

Three parts, one question each (lesson 02):

- **cost**: :class:`TrainingPlan` holds a plan's inputs (users, sites, rates, hours) and
  checks them; :func:`cost_by_method` prices face-to-face, e-learning and in-house
  training, component by component, in total and per trained user;
- **adoption**: :func:`adoption_by_rep` measures each rep's data-entry completeness
  before and after training, :func:`gain_by_method` compares the methods (the gain, and
  the gain over a reference method: a difference in differences), :func:`disengaged_reps`
  finds reps whose data entry fades after their training (lesson 01's measure),
  :func:`completeness_by_week` draws the curve around the training day,
  :func:`randomise_methods` makes the next comparison an experiment;
  :func:`calendar_time_effect` measures each method's effect on calendar time, trained reps
  against reps not yet trained in the same weeks, with a bootstrap interval over reps;
- **choice**: :func:`recommend_method`, a small decision aid with its reasons, and
  :func:`value_for_money`, cost per point of completeness gained.

Completeness is the share of required fields filled in,
``sum(required_fields_filled) / sum(required_fields_total)`` over a rep's weeks: lesson 01's
:func:`crmlab.analysis.kpis.pooled_completeness`, used here for every group of weeks.
"""

from typing import TYPE_CHECKING

from crmlab.lazy import lazy_names

# each name is imported on first use (crmlab.lazy); the TYPE_CHECKING imports say the same for type checkers
__getattr__, __dir__ = lazy_names(__name__, {
    ".adoption": ["adoption_by_rep", "completeness_by_week", "disengaged_reps", "gain_by_method", "randomise_methods"],
    ".calendar_time": ["calendar_time_effect"],
    ".choice": ["LEVELS", "Recommendation", "recommend_method", "value_for_money"],
    ".cost": ["COMPONENTS", "METHODS", "TrainingPlan", "TrainingPlanError", "cost_by_method"],
})

if TYPE_CHECKING:
    from .adoption import adoption_by_rep, completeness_by_week, disengaged_reps, gain_by_method, randomise_methods
    from .calendar_time import calendar_time_effect
    from .choice import LEVELS, Recommendation, recommend_method, value_for_money
    from .cost import COMPONENTS, METHODS, TrainingPlan, TrainingPlanError, cost_by_method

__all__ = [
    "COMPONENTS",
    "LEVELS",
    "METHODS",
    "Recommendation",
    "TrainingPlan",
    "TrainingPlanError",
    "adoption_by_rep",
    "calendar_time_effect",
    "completeness_by_week",
    "cost_by_method",
    "disengaged_reps",
    "gain_by_method",
    "randomise_methods",
    "recommend_method",
    "value_for_money",
]

