"""What a dashboard notebook runs: load the data named by the environment, build the widget.

Any failure becomes one message on the page, never a traceback (a manager reads it).
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

__all__ = ["DASHBOARDS", "DATA_VARIABLE", "MAPPING_VARIABLE", "TABLES", "app", "dashboard_data"]

#: The environment variable holding the mapping file (TOML) of the export to show.
MAPPING_VARIABLE = "CRMLAB_DASHBOARD_MAPPING"
#: The environment variable holding a folder of tables (in the course's layout, or the mapping's files).
DATA_VARIABLE = "CRMLAB_DASHBOARD_DATA"
#: The tables a dashboard reads from a folder (or the course's data) when present: purchases, customers,
#: and those of the service, delivery and payment KPIs (:func:`crmlab.analysis.bi.operations_kpis`).
TABLES = ("orders", "customers", "tickets", "shipments", "invoices", "payments")
#: Dashboard name -> (notebook in this folder, what it shows).
DASHBOARDS = {
    "kpi": ("kpi.ipynb", "sales KPIs by period, region and channel; service, delivery and payment KPIs "
                         "when the data has those tables"),
    "segments": ("segments.ipynb", "RFM segments and their customers"),
}


def dashboard_data(mapping: str | os.PathLike | None = None, data: str | os.PathLike | None = None):
    """The tables a dashboard shows: a company's export (``mapping``), a folder, or the course's database.

    Parameters
    ----------
    mapping : path-like, optional
        A mapping file (TOML): every table it names is loaded, with its conventions.
    data : path-like, optional
        With ``mapping``, the folder of its files; alone, a folder of tables named like the
        schema (``orders`` and those of :data:`TABLES` present), read with the course's conventions.

    Returns
    -------
    CRM
        With ``orders``; ``crm.conventions`` set (the course's when the data has none).

    Examples
    --------
    >>> crm = dashboard_data()
    >>> sorted(crm), crm.conventions.currency
    (['customers', 'invoices', 'orders', 'payments', 'shipments', 'tickets'], 'IRR')
    """
    from crmlab.conventions import COURSE
    from crmlab.datasets import load_crm, load_export
    from crmlab.datasets.mapping import read_mapping
    from crmlab.validation import require_table

    if mapping:
        export = read_mapping(mapping)
        if data:
            export = replace(export, folder=Path(data).resolve())
        crm = load_export(export)
    elif data:
        present = [t for t in TABLES if t == "orders" or any(Path(data).glob(f"{t}.*"))]
        crm = load_crm(data, tables=present)
    else:
        crm = load_crm(tables=list(TABLES))
    if "orders" not in crm:
        raise ValueError("The dashboards need an orders table (customer, time, amount): map it in the mapping "
                         "file as [tables.orders].")  # fmt: skip
    require_table(crm["orders"], "orders", ["customer_id", "ordered_at", "total_cents"])
    crm.conventions = crm.conventions or COURSE
    return crm


def app(name: str, environ: Mapping[str, str] = os.environ):
    """The widget of dashboard ``name`` over the data the environment names; a message if it cannot be built.

    Examples
    --------
    >>> type(app("kpi", {})).__name__
    'VBox'
    >>> print(app("nothing", {}).value)  # doctest: +ELLIPSIS
    <p ...><b>This dashboard could not be opened</b>: ValueError: The value for `name` must be one of ...
    """
    try:
        if name not in DASHBOARDS:
            raise ValueError(f"The value for `name` must be one of {sorted(DASHBOARDS)}, but {name!r} was passed.")
        crm = dashboard_data(environ.get(MAPPING_VARIABLE) or None, environ.get(DATA_VARIABLE) or None)
        if name == "kpi":
            from crmlab.widgets.sales import SalesDashboard

            return SalesDashboard(crm).widget
        from crmlab.widgets.segments import SegmentExplorer

        return SegmentExplorer(crm).widget
    except Exception as exc:  # shown to a manager: one message, no traceback
        import ipywidgets as widgets  # here, not at the top: `crmlab --help` lists the dashboards without it

        text = " ".join(str(exc).split())
        return widgets.HTML(f"<p style='color:#b00020'><b>This dashboard could not be opened</b>: "
                            f"{html.escape(type(exc).__name__)}: {html.escape(text)}</p>")  # fmt: skip
