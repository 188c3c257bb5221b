"""Datasets: the synthetic CRM (generated or loaded from ``datasets/crm``) and real data.

``generate_crm`` makes the course's database; ``practice_crm`` its sister company, on which
exercises are set; ``load_crm`` reads the committed copy, or a
company's export read as ``ReadOptions`` say, every value exactly or an error;
``read_mapping``/``load_export`` read an export described by a TOML mapping file, and
``check_export`` reports every problem of it and which lessons it can feed;
the ``load_*`` functions of :mod:`.real` read real public datasets that ship inside
installed packages. Nothing is ever downloaded.
"""

from .checkup import ExportReport, check_export
from .crm import CRM
from .lessondata import LessonDataError, lesson_conventions, load_lesson_data
from .mapping import ExportMapping, MappingError, load_export, read_mapping
from .needs import LESSON_NEEDS
from .options import ReadOptions
from .practice import PRACTICE_SEED, practice_api_dump, practice_crm
from .real import load_bank_calls, load_caravan, load_cdnow, load_charity, load_telco_churn
from .schema import TABLES, data_dictionary
from .storage import load_crm, save_crm
from .synthetic import PLANTED, generate_crm

__all__ = [
    "CRM",
    "ExportMapping",
    "ExportReport",
    "LESSON_NEEDS",
    "LessonDataError",
    "MappingError",
    "PLANTED",
    "PRACTICE_SEED",
    "ReadOptions",
    "TABLES",
    "check_export",
    "data_dictionary",
    "generate_crm",
    "load_bank_calls",
    "load_caravan",
    "load_cdnow",
    "load_charity",
    "load_crm",
    "lesson_conventions",
    "load_export",
    "load_lesson_data",
    "load_telco_churn",
    "practice_api_dump",
    "practice_crm",
    "read_mapping",
    "save_crm",
]
