"""crmlab: data and analysis helpers for a hands-on CRM analytics course.

Where things live:

* :mod:`crmlab.datasets` -- the synthetic CRM (``generate_crm``, ``load_crm``; ``practice_crm``,
  the sister company the exercises are set on), a company's
  own export (``load_export``, ``check_export`` with a TOML mapping file) and real
  public datasets (``load_cdnow`` ...), all read from local files;
* :mod:`crmlab.warehouse` -- ``connect()``, a DuckDB connection over the CRM tables;
* :mod:`crmlab.conventions` -- a company's clock, currency, calendar, end of data and
  purchase statuses (``Conventions``; ``COURSE`` for the course's company);
* :mod:`crmlab.validation` -- the shared checks of the tables and arguments an analysis receives;
* :mod:`crmlab.exercises` -- the exercise engine: checks, hints, quizzes, progress;
* :mod:`crmlab.cli` -- the ``crmlab`` command (``run``, ``generate``, ``progress`` ...).

Importing crmlab changes no global setting, and imports nothing heavy: each public name is
imported on first use (:mod:`crmlab.lazy`), so ``import crmlab`` takes milliseconds.
"""

from typing import TYPE_CHECKING

from .lazy import lazy_names

__getattr__, __dir__ = lazy_names(__name__, {
    ".conventions": ["COURSE", "Conventions"],
    ".datasets": ["check_export", "generate_crm", "load_crm", "load_export", "practice_crm"],
    ".warehouse": ["connect"],
})

if TYPE_CHECKING:  # the same names, for type checkers and editors
    from .conventions import COURSE, Conventions
    from .datasets import check_export, generate_crm, load_crm, load_export, practice_crm
    from .warehouse import connect

__all__ = ["COURSE", "Conventions", "__version__", "check_export", "connect", "generate_crm", "load_crm",
           "load_export", "practice_crm"]
__version__ = "0.1.0"
