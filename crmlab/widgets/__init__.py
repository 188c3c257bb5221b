"""Interactive views (ipywidgets) over the analyses in :mod:`crmlab.analysis`.

Each widget is a thin view: the numbers come from a tested function in
``crmlab.analysis``; the widget only collects inputs and shows tables and charts.

- :mod:`.training` -- the training-plan calculator (lesson 02)
- :mod:`.dashboard` -- the KPI dashboard, also served as an app by Voila (lesson 04)
- :mod:`.sales` -- the KPI dashboard of any company's export, by period, region and channel
- :mod:`.segments` -- the RFM segment explorer over any company's export

The last two are served without code by ``crmlab dashboard`` (:mod:`crmlab.dashboards`).
"""
