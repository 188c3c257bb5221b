"""A lesson's data: the course's database, a folder of tables or a company's export, in one call.

Lessons 05-08 and 13 take the same papermill parameters, ``DATA_DIR`` and ``MAPPING``, and
the same overrides of the company's conventions (the day of the analysis, the clock, the
purchase statuses). :func:`load_lesson_data` turns them into the tables the lesson reads,
checks them against :data:`.needs.LESSON_NEEDS` and, for the lessons that analyse customers
one by one, that the purchases belong to enough customers (:func:`.needs.customer_problem`,
the verdict ``crmlab check`` prints too); it refuses with one :class:`LessonDataError`
otherwise. :func:`lesson_conventions` is the conventions part alone (the report's header uses it).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from ..conventions import COURSE, Conventions
from ..errors import CrmlabError
from .crm import CRM
from .needs import PER_CUSTOMER, customer_problem, missing_for

__all__ = ["LessonDataError", "lesson_conventions", "load_lesson_data"]


class LessonDataError(CrmlabError, ValueError):
    """The data cannot feed a lesson: one line saying what the lesson needs, what was found and what to do.

    Examples
    --------
    >>> raise LessonDataError("05_rfm needs orders.total_cents")
    Traceback (most recent call last):
    ...
    crmlab.datasets.lessondata.LessonDataError: 05_rfm needs orders.total_cents
    """


def lesson_conventions(base: Conventions | None, *, as_of: object = None, timezone: str | None = None,
                       purchase_statuses: Sequence[str] | None = None) -> Conventions:
    """The conventions a lesson works with: the data's (the course's when it has none), with the lesson's overrides.

    Parameters
    ----------
    base : Conventions or None
        The data's conventions (``crm.conventions``, or a mapping's); None means the course's.
    as_of, timezone, purchase_statuses : optional
        The lesson's parameters; None keeps the data's value.

    Returns
    -------
    Conventions

    Examples
    --------
    >>> c = lesson_conventions(None, as_of="2025-06-30")
    >>> c.timezone, str(c.as_of.date())
    ('Asia/Tehran', '2025-06-30')
    """
    given = {"as_of": as_of, "timezone": timezone, "purchase_statuses": purchase_statuses}
    return replace(base or COURSE, **{k: v for k, v in given.items() if v is not None})


def load_lesson_data(lesson: str, data_dir: str | os.PathLike | None = None,
                     mapping: str | os.PathLike | None = None, tables: Iterable[str] = ("orders",), *,
                     as_of: object = None, timezone: str | None = None,
                     purchase_statuses: Sequence[str] | None = None) -> CRM:
    """Load the data a lesson runs on, check it can feed the lesson, and settle its conventions.

    Parameters
    ----------
    lesson : str
        The lesson's id, a key of :data:`.needs.LESSON_NEEDS`, e.g. ``"05_rfm"``.
    data_dir : path-like, optional
        A folder of tables named like the schema (``orders.parquet``, ``customers.csv`` ...).
        With ``mapping``, the folder of the mapping's files instead of the one it names.
    mapping : path-like, optional
        A mapping file (TOML) describing a company's export: all the tables it names are loaded.
    tables : iterable of str
        The tables the lesson reads. From ``data_dir``, those present (``orders`` always);
        from the course's database (neither argument), all of them.
    as_of, timezone, purchase_statuses : optional
        The lesson's overrides of the data's conventions (see :func:`lesson_conventions`).

    Returns
    -------
    CRM
        The tables, with ``crm.conventions`` the conventions to use.

    Raises
    ------
    LessonDataError
        The data lacks a column the lesson needs, or (lessons of :data:`.needs.PER_CUSTOMER`)
        its purchases belong to too few customers to analyse one by one.
    DataFileError, SchemaError, MappingError
        The data does not load (the loaders' own messages, naming the file and the fix).

    Examples
    --------
    >>> crm = load_lesson_data("05_rfm", tables=["orders", "customers"], as_of="2025-06-30")
    >>> sorted(crm), str(crm.conventions.as_of.date()), crm.conventions.currency
    (['customers', 'orders'], '2025-06-30', 'IRR')
    """
    from .mapping import load_export, read_mapping
    from .storage import load_crm

    wanted = list(tables)
    if mapping:
        export = read_mapping(mapping)
        if data_dir:
            export = replace(export, folder=Path(data_dir).resolve())
        crm = load_export(export)
    elif data_dir:
        present = [t for t in wanted if t == "orders" or any(Path(data_dir).glob(f"{t}.*"))]
        crm = load_crm(data_dir, tables=present)
    else:
        crm = load_crm(tables=wanted)
    lacking = missing_for(lesson, {name: table.columns for name, table in crm.items()})
    if lacking:
        raise LessonDataError(f"{lesson} needs {', '.join(lacking)}, which this data lacks: map those columns in "
                              "the mapping file ([tables.<table>.columns]) and run `crmlab check` on it.")  # fmt: skip
    conventions = lesson_conventions(crm.conventions, as_of=as_of, timezone=timezone,
                                     purchase_statuses=purchase_statuses)  # fmt: skip
    problem = customer_problem(crm.orders, conventions.purchase_statuses) if lesson in PER_CUSTOMER else ""
    if problem:
        raise LessonDataError(problem)
    crm.conventions = conventions
    return crm
