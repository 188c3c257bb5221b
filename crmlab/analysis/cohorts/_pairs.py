"""The retention grid of a large log from its active (customer, month) pairs, read batch by batch in Arrow.

A retention cell only asks which customers were active in which local month, so a log of
1e8 orders need never become a pandas frame of tz-aware timestamps. :func:`month_pairs` reads
the two or three columns a batch at a time and turns each batch into two integer columns, the
customer id and the local month number (:data:`NO_MONTH` for an order that does not count:
another status, a missing id or time, after ``end``). A time is made local as
:func:`~crmlab.analysis.cohorts._orders.local_times` does it (pandas' ``tz_convert``, the tz
database with its DST changes), cut to its local day by integer division, and the day is
looked up in a table of the months of the days seen, made by
:func:`~crmlab.analysis.cohorts._orders.month_ordinal` on the chosen calendar: the same month
for the same day as from a DataFrame, at the cost of a division and a lookup a row.

:func:`cells_of` counts the distinct pairs of a group of whole customers. When their ids lie
on a compact grid (ids issued by a database, or a part of :mod:`crmlab.engines.spill`, whose
ids share a remainder) the pairs are marked in a bitmap of customers by months, one byte a
cell: no sort, no hash; each customer's cohort is its first marked month. Other ids (sparse,
or too many months) go through the sort of :func:`crmlab.analysis.grouping.customer_periods`.
The counts are integers, so adding those of several parts gives exactly the whole log's.

Why by hand: the pandas route (a frame, ``tz_convert``, a sort of 1e7 keys) took 1.8 times as long
as DuckDB's SQL on the same file; DuckDB itself is not used so that a spill of a log larger
than memory stays in this package's hands (:mod:`crmlab.engines.spill`). Logs whose columns
are not integer ids and Arrow timestamps (text ids or times, dates) return None here and take
the row-by-row route of :mod:`crmlab.analysis.cohorts.matrices`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crmlab.analysis.grouping import DENSE_IDS, customer_codes, customer_periods
from crmlab.engines import spill

from ._orders import end_of, month_ordinal

__all__ = ["NO_MONTH", "MonthPairs", "cells_of", "count_cells", "month_pairs", "summed_cells"]

#: The month of an order that does not count (another status, a missing id or time, after ``end``).
NO_MONTH = np.iinfo(np.int32).min
#: Largest bitmap of customers by months (bytes) :func:`cells_of` makes; past it, a sort.
DENSE_CELLS = 1 << 28
#: Most months a bitmap spans (one pass over the customers a month).
DENSE_MONTHS = 1200
SCHEMA = pa.schema([("customer", pa.int64()), ("month", pa.int32())])
AMOUNT_SCHEMA = SCHEMA.append(pa.field("amount", pa.float64()))
_DAYS_TO_2100 = 47_482  # 1970-01-01 to 2099-12-31
_PER_DAY = {"s": 86_400, "ms": 86_400_000, "us": 86_400_000_000, "ns": 86_400_000_000_000}
_IDS = (pa.int8(), pa.int16(), pa.int32(), pa.int64(), pa.uint8(), pa.uint16(), pa.uint32())


@dataclass
class MonthPairs:
    """The pairs of a log as they are read (:attr:`batches`), and what the reading found:
    rows read, the last local day of any order, the statuses seen while no order counted, whether
    some order did not count."""

    batches: Iterator[pa.RecordBatch] = field(default_factory=lambda: iter(()))
    rows: int = 0
    last_day: int | None = None
    found: set[str] = field(default_factory=set)
    counted: bool = False
    uncounted: bool = False
    end: object = None
    tz: str = "UTC"

    @property
    def end_day(self) -> pd.Timestamp:
        """The last observed local day, as :func:`~crmlab.analysis.cohorts._orders.prepare` sets it."""
        last = pd.NaT if self.last_day is None else pd.Timestamp(np.datetime64(self.last_day, "D"))
        return end_of(self.end, self.tz, last)

    def parts(self, customer_parts: Callable) -> Iterator[list[tuple[np.ndarray, np.ndarray]]]:
        """Groups of whole customers, each as (ids, months) chunks of the orders that count: the whole
        log while it has at most :data:`~crmlab.engines.spill.IN_MEMORY_ROWS` rows, else the parts
        ``customer_parts`` writes to disk (every row goes there, counted or not)."""
        kept, rows = [], 0
        for batch in self.batches:
            kept.append(batch)
            rows += batch.num_rows
            if rows > spill.IN_MEMORY_ROWS:
                break
        else:
            yield [self._counted(b.column(0).to_numpy(), b.column(1).to_numpy()) for b in kept]
            return
        reader = pa.RecordBatchReader.from_batches(SCHEMA, _drain(kept, self.batches))
        for frame in customer_parts(reader, "customer"):
            yield [self._counted(frame["customer"].to_numpy(), frame["month"].to_numpy())]

    def _counted(self, ids: np.ndarray, months: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not self.uncounted:
            return ids, months
        keep = months != NO_MONTH
        return ids[keep], months[keep]


def _drain(kept: list, rest: Iterator) -> Iterator:
    kept.reverse()
    while kept:
        yield kept.pop()
    yield from rest


def month_pairs(reader: pa.RecordBatchReader, customer: str, time: str, status: str | None, active: Sequence[str],
                tz: str, end, calendar: str, amount: str | None = None) -> MonthPairs | None:  # fmt: skip
    """The (customer, month) pairs of ``reader``'s batches, with each order's ``amount`` as a float64 third
    column when one is named, or None when its columns' types are not read here (ids that are not
    integers, times that are not Arrow timestamps, text statuses, amounts that are not numbers)."""
    schema = reader.schema
    active = [active] if isinstance(active, str) else list(active)
    id_type, time_type = schema.field(customer).type, schema.field(time).type
    if id_type not in _IDS or not pa.types.is_timestamp(time_type):
        return None
    if amount is not None and not (pa.types.is_integer(schema.field(amount).type)
                                   or pa.types.is_floating(schema.field(amount).type)):  # fmt: skip
        return None
    if status is not None and not (_is_text(schema.field(status).type) and all(isinstance(a, str) for a in active)):
        return None
    pairs = MonthPairs(end=end, tz=tz)
    end_day = None if end is None else _day_number(end_of(end, tz, None))
    table = _MonthTable(calendar, time_type.unit)
    pairs.batches = _batches(reader, (customer, time, status, amount), active, tz, end_day, table, pairs)
    return pairs


def _is_text(kind: pa.DataType) -> bool:
    if pa.types.is_dictionary(kind):
        kind = kind.value_type
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def _day_number(stamp: pd.Timestamp) -> int:
    return int(np.datetime64(stamp.to_datetime64(), "D").astype(np.int64))


def _batches(reader, names, active, tz, end_day, table, pairs: MonthPairs) -> Iterator[pa.RecordBatch]:
    customer, time, status, amount = names
    schema = SCHEMA if amount is None else AMOUNT_SCHEMA
    for batch in reader:
        pairs.rows += batch.num_rows
        if batch.num_rows == 0:
            continue
        ids, keep = _ints(batch.column(customer))
        days, valid = _local_days(batch.column(time), tz)
        low, high = int(days.min()), int(days.max())
        if valid is not None and valid.any():
            high = int(days[valid].max())
        if valid is None or valid.any():
            pairs.last_day = high if pairs.last_day is None else max(pairs.last_day, high)
        keep = _and(keep, valid)
        if status is not None:
            column = batch.column(status)
            value_type = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
            keep = _and(keep, pc.is_in(column, value_set=pa.array(active, type=value_type)).to_numpy(False))
        if end_day is not None:
            keep = _and(keep, days <= end_day)
        if keep is None or keep.all():
            months = table.months(days, low, high)
        elif keep.any():
            days[~keep] = days[np.argmax(keep)]  # any counted day: the table spans counted days only
            months = table.months(days, int(days.min()), int(days.max()))
            months[~keep] = NO_MONTH
        else:
            months = np.full(batch.num_rows, NO_MONTH, dtype=np.int32)
        some = keep is None or bool(keep.any())
        if status is not None and not pairs.counted and not some:
            pairs.found |= {str(s) for s in pc.unique(batch.column(status)).to_pylist() if s is not None}
        pairs.counted = pairs.counted or some
        pairs.uncounted = pairs.uncounted or not (keep is None or keep.all())
        columns = [pa.array(ids), pa.array(months)]
        if amount is not None:  # as pandas' astype("float64") of the column read: NaN where missing
            values = batch.column(amount).cast(pa.float64(), safe=False)
            columns.append(values.fill_null(np.nan) if values.null_count else values)
        yield pa.record_batch(columns, schema=schema)


def _and(mask: np.ndarray | None, other: np.ndarray | None) -> np.ndarray | None:
    """Two row masks combined, None standing for every row."""
    if mask is None:
        return other
    return mask if other is None else mask & other


def _ints(column: pa.Array) -> tuple[np.ndarray, np.ndarray | None]:
    """Integer ids as int64 (0 where missing) and which are there (None: all)."""
    valid = None
    if column.null_count:
        valid = column.is_valid().to_numpy(zero_copy_only=False)
        column = column.fill_null(0)
    return column.to_numpy().astype(np.int64, copy=False), valid


def _local_days(column: pa.Array, tz: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Local days since 1970-01-01 of a timestamp column (aware times converted to ``tz`` as
    :func:`~crmlab.analysis.cohorts._orders.local_times` does, naive ones taken as local), and
    which are there (None: all). A new, writable array."""
    valid = None
    if column.null_count:
        valid = column.is_valid().to_numpy(zero_copy_only=False)
        column = column.fill_null(pa.scalar(0, column.type))
    values = column.to_numpy()  # datetime64 in the column's unit, UTC for aware times
    if column.type.tz is not None:
        values = pd.DatetimeIndex(values).tz_localize("UTC").tz_convert(tz).tz_localize(None).to_numpy()
    return np.floor_divide(values.view(np.int64), _PER_DAY[column.type.unit]), valid


class _MonthTable:
    """Local day -> month number on ``calendar``, by a table of the days seen so far (from
    1970-01-01 when the days are after it and before 2100: indexed by the day itself)."""

    def __init__(self, calendar: str, unit: str):
        self.calendar, self.unit = calendar, unit
        self.low, self.table = 0, np.array([], dtype=np.int32)

    def months(self, days: np.ndarray, low: int, high: int) -> np.ndarray:
        """The months of ``days`` (between ``low`` and ``high``), which may be overwritten."""
        if low < self.low or high >= self.low + len(self.table):
            if len(self.table):
                low, high = min(low, self.low), max(high, self.low + len(self.table) - 1)
            if 0 <= low and high < _DAYS_TO_2100:
                low, high = 0, _DAYS_TO_2100 - 1
            if high - low > 4 * len(days) + (1 << 16):  # days far apart: no table
                return self._of(days)
            self.low, self.table = low, self._of(np.arange(low, high + 1))
        if self.low:
            days -= self.low
        return np.take(self.table, days)

    def _of(self, days: np.ndarray) -> np.ndarray:
        stamps = pd.DatetimeIndex(days.astype("datetime64[D]").astype(f"datetime64[{self.unit}]"))
        months = month_ordinal(stamps, self.calendar)
        if len(months) and (months.min() <= NO_MONTH or months.max() > np.iinfo(np.int32).max):
            raise ValueError(f"Order times between {stamps.min()} and {stamps.max()} are too far apart to count "
                             "months between them: check the column given as `time`.")  # fmt: skip
        return months.astype(np.int32)


def cells_of(chunks: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, ...]:
    """The retention cells of whole customers given as (ids, months) chunks of their counted orders,
    as :func:`count_cells`: on a bitmap when their ids and months are compact, else by a sort."""
    chunks = [(ids, months) for ids, months in chunks if len(ids)]
    if not chunks:
        return count_cells(*(np.array([], dtype=np.int64),) * 3)
    low, high = min(int(i.min()) for i, _ in chunks), max(int(i.max()) for i, _ in chunks)
    first_month = min(int(m.min()) for _, m in chunks)
    span = max(int(m.max()) for _, m in chunks) - first_month + 1
    rows = sum(len(i) for i, _ in chunks)
    if high - low < 1 << 62 and span <= DENSE_MONTHS:
        for step in dict.fromkeys((_step(chunks[0][0], low), 1)):
            n = (high - low) // step + 1
            if n * span > DENSE_CELLS or n > 8 * rows + (1 << 16):
                continue
            dense = _dense(chunks, low, step, n, first_month, span)
            if dense is not None:
                return dense
    ids = np.concatenate([i for i, _ in chunks])
    months = np.concatenate([m for _, m in chunks]).astype(np.int64)
    codes, uniques = customer_codes(ids)
    pairs = customer_periods(codes, months, len(uniques))
    cohort = pairs.first[pairs.pair_customer]
    return count_cells(cohort, pairs.pair_period - cohort, pairs.first)


def _step(ids: np.ndarray, low: int) -> int:
    """The step between the first few ids (a part of a spill holds ids with one remainder), 1 if none."""
    return max(1, int(np.gcd.reduce(ids[:4096] - low)))


def _dense(chunks, low: int, step: int, n: int, first_month: int, span: int) -> tuple[np.ndarray, ...] | None:
    """The cells from a bitmap of (month, customer) cells, months as rows, customer ``(id - low) / step``
    as columns; None when an id is not on that step."""
    seen = np.zeros(span * n, dtype=bool)
    for ids, months in chunks:
        cell = np.subtract(months, first_month, dtype=np.int32)
        cell *= n  # < DENSE_CELLS: no overflow
        offset = np.subtract(ids, low)
        if step > 1:
            offset, rest = np.divmod(offset, step)
            if rest.any():
                return None
        cell += offset
        seen[cell] = True
    grid = seen.reshape(span, n)
    first = np.full(n, span, dtype=np.int32)  # span: never active
    for month in range(span - 1, -1, -1):
        np.putmask(first, grid[month], month)
    by_month = np.empty((span, span), dtype=np.int64)  # [cohort, month]
    for month in range(span):
        by_month[:, month] = np.bincount(first[np.flatnonzero(grid[month])], minlength=span)
    sizes = np.bincount(first, minlength=span + 1)[:span]
    cohort, month = np.nonzero(by_month)
    firsts = np.flatnonzero(sizes)
    return (cohort + first_month, month - cohort, by_month[cohort, month].astype("float64"), firsts + first_month,
            sizes[firsts].astype("float64"))  # fmt: skip


def count_cells(cohort: np.ndarray, age: np.ndarray, first: np.ndarray) -> tuple[np.ndarray, ...]:
    """Distinct (cohort, age) cells with their counts and distinct cohorts with their sizes, from one
    cohort and age per (customer, month) pair and one cohort per customer."""
    if len(cohort) == 0:
        empty = np.array([], dtype=np.int64)
        return empty, empty, empty.astype("float64"), empty, empty.astype("float64")
    low, span = int(cohort.min()), int(age.max()) + 1
    keys, counts = np.unique((cohort - low) * span + age, return_counts=True)
    firsts, first_counts = np.unique(first, return_counts=True)
    return keys // span + low, keys % span, counts.astype("float64"), firsts, first_counts.astype("float64")


def summed_cells(pairs: MonthPairs) -> tuple[np.ndarray, ...]:
    """The revenue cells of a log read with amounts, in two passes: the first finds every customer's
    cohort (:class:`_FirstMonths`) and keeps the orders that count (:class:`_InOrder`), the second
    adds each order's amount to its (cohort, age) cell in the order read, one by one, as
    :func:`crmlab.analysis.grouping.customer_sums` does from a DataFrame: the same bits.

    Returns what :func:`count_cells` does, the counts of the cells being their sums.
    """
    firsts = _FirstMonths()
    with _InOrder() as kept:
        for batch in pairs.batches:
            ids, months, amounts = (batch.column(k).to_numpy() for k in range(3))
            if pairs.uncounted:
                keep = months != NO_MONTH
                if not keep.all():
                    ids, months, amounts = ids[keep], months[keep], amounts[keep]
            if len(ids):
                firsts.update(ids, months)
                kept.append(ids, months, amounts)
        if kept.rows == 0:
            return count_cells(*(np.array([], dtype=np.int64),) * 3)
        first = firsts.months()
        low, span = int(first.min()), kept.last_month - int(first.min()) + 1
        firsts.cells(low, span)
        sums = np.zeros((int(first.max()) - low + 1) * span)
        for ids, months, amounts in kept:
            cell = firsts.of(ids)
            cell += months
            np.add.at(sums, cell, amounts)  # unbuffered, row after row: the additions of ``np.bincount``
    cohorts, sizes = np.unique(first, return_counts=True)
    cells = np.arange(len(sums))  # cells of no order are 0, as from a DataFrame
    return cells // span + low, cells % span, sums, cohorts, sizes.astype("float64")


class _FirstMonths:
    """Each customer's first counted month, batch by batch: an array indexed by id while the ids are
    compact (:data:`~crmlab.analysis.grouping.DENSE_IDS`, or four times the rows), else sorted ids
    and their months."""

    NONE = np.iinfo(np.int32).max

    def __init__(self):
        self.low, self.first = 0, np.empty(0, dtype=np.int32)
        self.ids: np.ndarray | None = None  # sorted, once sparse
        self.rows = 0

    def update(self, ids: np.ndarray, months: np.ndarray) -> None:
        self.rows += len(ids)
        if self.ids is None:
            low, high = int(ids.min()), int(ids.max())
            if len(self.first):
                low, high = min(low, self.low), max(high, self.low + len(self.first) - 1)
            if high - low < max(DENSE_IDS, 4 * self.rows):
                self._cover(low, high)
                np.minimum.at(self.first, np.subtract(ids, self.low), months)
                return
            present = np.flatnonzero(self.first != self.NONE)
            self.ids, self.first = present + self.low, self.first[present]
        ids, months = _first_of_each(ids, months)
        self.ids, self.first = _first_of_each(np.concatenate([self.ids, ids]), np.concatenate([self.first, months]))

    def _cover(self, low: int, high: int) -> None:
        """Make the array span ids ``low`` to ``high``, doubling it at least (few copies for growing ids)."""
        old_low, size = self.low, len(self.first)
        if size and low >= old_low and high < old_low + size:
            return
        if size:
            wide_low = min(low, old_low - size) if low < old_low else low
            wide_high = max(high, old_low + 2 * size - 1) if high >= old_low + size else high
            if wide_high - wide_low < max(DENSE_IDS, 4 * self.rows):
                low, high = wide_low, wide_high
        first = np.full(high - low + 1, self.NONE, dtype=np.int32)
        first[old_low - low : old_low - low + size] = self.first
        self.low, self.first = low, first

    def months(self) -> np.ndarray:
        """The first month of every customer seen."""
        return self.first if self.ids is not None else self.first[self.first != self.NONE]

    def cells(self, low: int, span: int) -> None:
        """Hold, in place of each first month, the cell number of that customer's first month less
        that month: ``(cohort - low) * span - cohort``, so that an order's cell is that plus its month."""
        cohort = self.first.astype(np.int64)
        self.first = (cohort - low) * span - cohort

    def of(self, ids: np.ndarray) -> np.ndarray:
        """The first months of customers ``ids`` (all seen), or what :meth:`cells` made of them."""
        if self.ids is None:
            offset = np.subtract(ids, self.low)
            return np.take(self.first, offset, out=offset)
        return self.first[np.searchsorted(self.ids, ids)]


def _first_of_each(ids: np.ndarray, months: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct ``ids``, sorted, each with its smallest month."""
    order = np.lexsort((months, ids))
    ids, months = ids[order], months[order]
    head = np.ones(len(ids), dtype=bool)
    np.not_equal(ids[1:], ids[:-1], out=head[1:])
    return ids[head], months[head]


class _InOrder:
    """The orders that count, kept in the order read: in memory up to
    :data:`~crmlab.engines.spill.IN_MEMORY_ROWS` rows, the rest in one Arrow IPC file on disk
    (20 bytes a row), read back a batch at a time."""

    def __init__(self):
        self.kept: list[tuple[np.ndarray, ...]] = []
        self.rows, self.last_month = 0, NO_MONTH
        self.folder, self.writer = None, None

    def __enter__(self) -> _InOrder:
        return self

    def __exit__(self, *exc) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.folder is not None:
            self.folder.cleanup()

    def append(self, ids: np.ndarray, months: np.ndarray, amounts: np.ndarray) -> None:
        self.last_month = max(self.last_month, int(months.max()))
        if self.writer is None and self.rows + len(ids) <= spill.IN_MEMORY_ROWS:
            self.kept.append((ids, months, amounts))
        else:
            if self.writer is None:
                self.folder = tempfile.TemporaryDirectory(prefix="crmlab-orders-")
                self.writer = pa.ipc.new_file(self._path(), AMOUNT_SCHEMA)
            self.writer.write_batch(pa.record_batch([ids, months, amounts], schema=AMOUNT_SCHEMA))
        self.rows += len(ids)

    def _path(self) -> str:
        return str(Path(self.folder.name) / "orders.arrow")

    def __iter__(self) -> Iterator[tuple[np.ndarray, ...]]:
        yield from self.kept
        if self.writer is None:
            return
        self.writer.close()
        self.writer = None
        with pa.OSFile(self._path()) as file:  # read, not mapped: the cap on address space counts a map
            reader = pa.ipc.open_file(file)
            for number in range(reader.num_record_batches):
                batch = reader.get_batch(number)
                yield tuple(batch.column(k).to_numpy() for k in range(3))
