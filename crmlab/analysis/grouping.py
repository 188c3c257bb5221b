"""Per-customer grouping on NumPy arrays: the engine under the RFM summary and the cohort matrices.

Why by hand: pandas' groupby on two keys hashes and re-sorts (3-8 s for 1e7 rows); DuckDB and
polars are fast but add floats in parallel, so their sums can differ in the last bits
between two identical calls, which the course promises not to do. These three functions do
what the summaries need with one NumPy sort and single-threaded ``bincount`` sums:

* :func:`customer_codes` -- each row's customer as 0..n-1, in the order of the sorted ids;
* :func:`customer_periods` -- the distinct (customer, period) pairs, sorted, with each
  customer's first and last period and number of periods;
* :func:`customer_sums` -- per-customer sums in row order: the same additions, so the same
  bits, on every run and machine.

>>> import numpy as np
>>> codes, ids = customer_codes(np.array([30, 10, 30, 20]))
>>> codes.tolist(), ids.tolist()
([2, 0, 2, 1], [10, 20, 30])
>>> pairs = customer_periods(codes, np.array([5, 3, 7, 3]), len(ids))
>>> pairs.first.tolist(), pairs.last.tolist(), pairs.count.tolist()
([3, 3, 5], [3, 3, 7], [1, 1, 2])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["DENSE_IDS", "CustomerPeriods", "customer_codes", "customer_periods", "customer_sums"]

#: Integer ids spanning fewer values than this (or four times the rows) are offsets into an array
#: (a byte and a code per possible id: 288 MB at most), not hashed.
DENSE_IDS = 1 << 25


def customer_codes(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's customer as 0..n-1 in the order of the sorted ids (int64), and the sorted ids.

    Integer ids in a compact range (the usual case: ids issued by a database) are offsets into
    an array, without hashing; any other ids (text, sparse integers) go through
    :func:`pandas.factorize`. The ids keep their dtype. Missing ids must be removed first.
    """
    if ids.dtype.kind in "iu" and len(ids):
        lo, hi = int(ids.min()), int(ids.max())
        if hi - lo < max(4 * len(ids), DENSE_IDS):
            offset = np.subtract(ids, lo, dtype=np.int64)
            present = np.zeros(hi - lo + 1, dtype=bool)
            present[offset] = True
            code_of = np.cumsum(present, dtype=np.int64)
            code_of -= 1
            return np.take(code_of, offset, out=offset, mode="clip"), (np.flatnonzero(present) + lo).astype(ids.dtype)
    codes, uniques = pd.factorize(ids, sort=True)
    return codes.astype(np.int64, copy=False), np.asarray(uniques)


@dataclass(frozen=True)
class CustomerPeriods:
    """The distinct (customer, period) pairs of a log, sorted by customer then period.

    ``pair_customer`` and ``pair_period`` hold one entry per pair; ``first``, ``last`` and
    ``count`` one per customer (periods as given, not offsets).
    """

    pair_customer: np.ndarray
    pair_period: np.ndarray
    first: np.ndarray
    last: np.ndarray
    count: np.ndarray


def customer_periods(codes: np.ndarray, periods: np.ndarray, n: int) -> CustomerPeriods:
    """The distinct (customer, period) pairs of rows ``codes`` (0..n-1) and integer ``periods``."""
    if len(codes) == 0:
        empty = np.array([], dtype=np.int64)
        return CustomerPeriods(empty, empty, np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64))
    lowest = int(periods.min())
    span = int(periods.max()) - lowest + 1
    if n * span >= 1 << 62:
        raise ValueError(f"{n:,} customers over {span:,} periods do not fit one sort key: use longer periods.")
    keys = np.multiply(codes, span)
    keys += periods
    keys -= lowest
    keys.sort()
    starts = np.empty(len(keys), dtype=bool)
    starts[0] = True
    np.not_equal(keys[1:], keys[:-1], out=starts[1:])
    pairs = keys[starts]
    del keys, starts
    pair_customer, pair_period = np.divmod(pairs, span)  # both at once, no temporaries (keys are >= 0)
    del pairs
    pair_period += lowest
    count = np.bincount(pair_customer, minlength=n)
    first_pair = np.cumsum(count) - count
    return CustomerPeriods(pair_customer, pair_period, pair_period[first_pair], pair_period[first_pair + count - 1],
                           count)  # fmt: skip


def customer_sums(codes: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Per-code sums of float ``values``, each code's values added one by one in row order.

    ``numpy.bincount`` runs in one thread through the rows in order, so a customer's sum is
    ``((v1 + v2) + v3) + ...`` over their rows as they come: the same bits on every run and
    machine, and the same whether the log is summed at once or a group of customers at a time
    (:mod:`crmlab.engines.spill`).
    """
    return np.bincount(codes, weights=values, minlength=n)
