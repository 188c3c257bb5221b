"""Dashboards for managers over any company's export, served without code by Voila.

``crmlab dashboard kpi --mapping my_export/mapping.toml`` (or ``segments``, or ``--data DIR``
for a folder in the course's layout) checks that the data loads, then serves one of the
notebooks of this folder with Voila on 127.0.0.1: :class:`crmlab.widgets.SalesDashboard` (the
KPIs) or :class:`crmlab.widgets.SegmentExplorer` (RFM segments), with no lesson prose and the
active filters stated above the numbers. The notebooks ship inside the package, so an
installed wheel serves them too; they learn which data to load from the environment
variables :data:`MAPPING_VARIABLE` and :data:`DATA_VARIABLE`, which :func:`serve` sets
(Voila's kernels inherit the server's environment).
"""

from .apps import DASHBOARDS, DATA_VARIABLE, MAPPING_VARIABLE, app, dashboard_data
from .serve import DashboardError, serve, voila_command

__all__ = ["DASHBOARDS", "DATA_VARIABLE", "MAPPING_VARIABLE", "DashboardError", "app", "dashboard_data", "serve",
           "voila_command"]
