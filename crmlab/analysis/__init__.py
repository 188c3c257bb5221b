"""Analyses of CRM data, one module per question a lesson asks.

DataFrames in, DataFrames out: each function takes CRM tables (or a whole
:class:`~crmlab.datasets.CRM`) and returns a tidy table keyed by its natural id, so an
analyst can call it outside the notebooks. Import the module you need, e.g.
``from crmlab.analysis import kpis``.

- :mod:`.kpis` -- the goals of a CRM as measurable KPIs; channels and the single customer view (lesson 01)
- :mod:`.training` -- the training-cost model and adoption before and after training (lesson 02)
- :mod:`.quality` -- profiling, duplicates, test records, merging, a data-quality scorecard (lesson 03)
- :mod:`.bi` -- BI questions: adoption, support, funnel, cross-system joins, regions (lesson 04)
- :mod:`.rfm` -- per-customer RFM summaries (lifetimes' definitions), scores and segments (lesson 05)
- :mod:`.clusters` -- k-means on RFM and behaviour, choosing k, profiling clusters (lesson 06)
- :mod:`.cohorts` -- acquisition cohorts, retention and revenue matrices, lapse windows (lesson 07)
- :mod:`.clv` -- BG/NBD and Gamma-Gamma lifetime value, calibration and holdout (lesson 08)
- :mod:`.churn` -- leakage-free churn features, models, gains, an at-risk list with reasons (lesson 08)
- :mod:`.experiments` -- randomisation checks, uplift, power, launches phase by phase (lesson 09)
- :mod:`.service` -- SLA alerts and Erlang C staffing (lesson 10)
- :mod:`.pipeline` -- the sales pipeline: conversion, velocity, ageing deals, a forecast (lesson 11)
- :mod:`.crosssell` -- association rules, next best offers, propensity and mailing depth (lesson 12)
- :mod:`.report` -- the one-page manager report built from computed numbers (lesson 13)
"""

from crmlab.lazy import lazy_names

# no names of its own: ``crmlab.analysis.kpis`` after ``import crmlab.analysis`` imports the module then
__getattr__, __dir__ = lazy_names(__name__, {})
__all__: list[str] = []
