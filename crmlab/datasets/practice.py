"""The practice company: a sister of the course's company, for exercises.

Exercises must not be answerable by reading numbers off a lesson, so each exercise
notebook works on the practice company: the same kind of business, made by the same
generator (:func:`crmlab.datasets.generate_crm`) with another seed, so its customers,
orders, tickets and planted effects are drawn afresh. Whatever method a lesson teaches
carries over; none of the lesson's printed figures does.

The practice company is generated in memory on first use (about 1.5 s for 3,000
customers) and kept for the session, so a notebook and its checks see the same tables.
It is not committed: the seed makes it bit-for-bit reproducible (``crmlab generate --seed
2025 --out DIR`` writes it to disk for a look in another tool).

Examples
--------
>>> crm = practice_crm(tables=["customers"])
>>> list(crm)
['customers']
>>> len(crm.customers)
3000
>>> accounts = sum(len(page["data"]) for page in practice_api_dump())
>>> accounts == len(practice_crm(tables=["web_registrations"]).web_registrations)
True
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache

from ..conventions import COURSE
from .crm import CRM
from .synthetic import DEFAULT_CUSTOMERS, generate_crm

__all__ = ["PRACTICE_SEED", "practice_api_dump", "practice_crm"]

#: The practice company's seed (the course's company is seed 2024).
PRACTICE_SEED = 2025


@cache
def _practice() -> CRM:
    crm = generate_crm(n_customers=DEFAULT_CUSTOMERS, seed=PRACTICE_SEED)
    # As load_crm gives the course's company: its conventions, truths as read from JSON.
    truth = json.loads(json.dumps(crm.truth, sort_keys=True))
    return CRM(dict(crm), truth=truth, conventions=COURSE)


def practice_crm(tables: Iterable[str] | None = None) -> CRM:
    """The practice company's tables, as :func:`~crmlab.datasets.load_crm` gives the course's.

    Parameters
    ----------
    tables : iterable of str, optional
        Only these tables (names as in ``datasets/README.md``); by default all.

    Returns
    -------
    CRM
        Fresh copies of the tables (changing one does not change what the checks see),
        with ``truth`` (the practice company's planted truths) and the course's conventions.

    Raises
    ------
    KeyError
        For a table name that is not in the schema, naming the known tables.
    """
    crm = _practice()
    names = list(crm) if tables is None else list(tables)
    unknown = [n for n in names if n not in crm]
    if unknown:
        raise KeyError(f"The practice company has no table {', '.join(map(repr, unknown))}; "
                       f"its tables are: {', '.join(sorted(crm))}.")  # fmt: skip
    return CRM({n: crm[n].copy() for n in names}, truth=json.loads(json.dumps(crm.truth)), conventions=crm.conventions)


@cache
def _practice_pages() -> tuple:
    from .api_dump import api_dump_pages

    return tuple(api_dump_pages(practice_crm(tables=["web_registrations", "customers"])))


def practice_api_dump() -> list[dict]:
    """The practice company's web-shop accounts as its API pages them.

    What ``load_api_dump`` reads for the course's company, made from the practice company's
    ``web_registrations`` by :func:`~crmlab.datasets.api_dump.api_dump_pages`.

    Returns
    -------
    list of dict
        A fresh copy of the pages, each with its accounts under ``data``.
    """
    return json.loads(json.dumps(list(_practice_pages())))
