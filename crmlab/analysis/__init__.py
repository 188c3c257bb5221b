"""Analyses of CRM data, one module per question a lesson asks.

DataFrames in, DataFrames out: each function takes CRM tables (or a whole
:class:`~crmlab.datasets.CRM`) and returns a tidy table keyed by its natural id, so an
analyst can call it outside the notebooks. Import the module you need, e.g.
``from crmlab.analysis import kpis``.

- :mod:`.kpis` -- the goals of a CRM as measurable KPIs; channels and the single customer view (lesson 01)
- :mod:`.training` -- the training-cost model and adoption before and after training (lesson 02)
- :mod:`.quality` -- profiling, duplicates, test records, merging, a data-quality scorecard (lesson 03)
- :mod:`.bi` -- BI questions: adoption, support, funnel, cross-system joins, regions (lesson 04)
"""
