"""Datasets: the synthetic CRM (generated or loaded from ``datasets/crm``) and real data.

``generate_crm`` makes the course's database; ``load_crm`` reads the committed copy, or a
company's export read as ``ReadOptions`` say, every value exactly or an error;
the ``load_*`` functions of :mod:`.real` read real public datasets that ship inside
installed packages. Nothing is ever downloaded.
"""

from .crm import CRM
from .options import ReadOptions
from .real import load_bank_calls, load_caravan, load_cdnow, load_charity, load_telco_churn
from .schema import TABLES, data_dictionary
from .storage import load_crm, save_crm
from .synthetic import PLANTED, generate_crm

__all__ = [
    "CRM",
    "PLANTED",
    "ReadOptions",
    "TABLES",
    "data_dictionary",
    "generate_crm",
    "load_bank_calls",
    "load_caravan",
    "load_cdnow",
    "load_charity",
    "load_crm",
    "load_telco_churn",
    "save_crm",
]
