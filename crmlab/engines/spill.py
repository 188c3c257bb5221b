"""Whole customers at a time from a table larger than memory: batches partitioned by customer onto disk.

A per-customer summary needs all of a customer's rows together, but a log of 1e8 purchases
does not fit in a laptop's memory as a DataFrame. :func:`customer_parts` reads the log in
Arrow record batches (a Parquet file read a row group at a time, a DuckDB query's result
streamed); while the rows read fit under ``in_memory_rows`` it keeps them, and the caller
gets one DataFrame, the same as from memory. Past that it writes every row to one of
``n_parts`` Arrow IPC files in a temporary folder, chosen by a hash of the customer id, and
then hands back one part at a time: each part holds every row of its customers, in the order
they were read, so a sum per customer adds the same numbers in the same order as it would
from memory (the same bits). Disk use is about the size of the needed columns (24 bytes a
row for an integer id, a timestamp and an amount), in ``TMPDIR`` or ``tmp_dir``.

Why by hand: DuckDB spills its own aggregates to disk but adds floats in parallel (the last
bits change from run to run), and polars' streaming engine the same; this is 80 lines of
pyarrow that keep the summaries' own single-threaded arithmetic.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["IN_MEMORY_ROWS", "N_PARTS", "customer_parts"]

#: Rows kept in memory before the log is partitioned onto disk (about 0.5 GB for three columns).
IN_MEMORY_ROWS = 20_000_000
#: Parts on disk: each holds about 1/N_PARTS of the customers and of the rows.
N_PARTS = 64


def customer_parts(
    batches: pa.RecordBatchReader,
    customer: str,
    in_memory_rows: int | None = None,
    n_parts: int | None = None,
    tmp_dir: str | Path | None = None,
    progress=None,
) -> Iterator[pd.DataFrame]:
    """DataFrames that each hold every row of their customers, in the order read.

    One DataFrame (all rows) when they number at most ``in_memory_rows``; else up to
    ``n_parts`` of them, read back one at a time from a temporary folder removed at the end.
    ``progress`` (optional) is called with the number of rows of each batch read.
    """
    limit = IN_MEMORY_ROWS if in_memory_rows is None else in_memory_rows
    parts = N_PARTS if n_parts is None else n_parts
    kept: list[pa.RecordBatch] = []
    rows = 0
    iterator = iter(batches)
    for batch in iterator:
        if progress is not None:
            progress(batch.num_rows)
        kept.append(batch)
        rows += batch.num_rows
        if rows > limit:
            break
    else:
        yield pa.Table.from_batches(kept, schema=batches.schema).to_pandas()
        return
    with tempfile.TemporaryDirectory(prefix="crmlab-parts-", dir=tmp_dir) as folder:
        writers: dict[int, pa.ipc.RecordBatchStreamWriter] = {}
        schema = batches.schema
        try:
            for batch in _chain(kept, iterator, progress):
                _write(batch.cast(schema) if batch.schema != schema else batch, customer, parts, folder, writers)
            kept.clear()
        finally:
            for writer in writers.values():
                writer.close()
        for number in sorted(writers):
            with pa.ipc.open_stream(Path(folder) / f"part-{number:04d}.arrows") as reader:
                yield reader.read_pandas()


def _chain(kept: list[pa.RecordBatch], rest: Iterator[pa.RecordBatch], progress) -> Iterator[pa.RecordBatch]:
    while kept:
        yield kept.pop(0)
    for batch in rest:
        if progress is not None:
            progress(batch.num_rows)
        yield batch


def _write(batch: pa.RecordBatch, customer: str, parts: int, folder: str, writers: dict) -> None:
    column = batch.column(batch.schema.get_field_index(customer))
    if pa.types.is_integer(column.type) and column.null_count == 0:
        part = np.remainder(column.to_numpy(), parts).astype(np.uint8 if parts <= 256 else np.int64)
    else:  # text ids, or ids with gaps: a hash that is the same in every process
        hashed = pd.util.hash_pandas_object(column.to_pandas(), index=False).to_numpy()
        part = (hashed % np.uint64(parts)).astype(np.uint8 if parts <= 256 else np.int64)
    order = np.argsort(part, kind="stable")  # rows keep their order within a part (radix sort on uint8)
    counts = np.bincount(part, minlength=parts)
    columns = [_take(batch.column(i), order) for i in range(batch.num_columns)]
    start = 0
    for number in np.flatnonzero(counts):
        stop = start + int(counts[number])
        if number not in writers:
            writers[number] = pa.ipc.new_stream(Path(folder) / f"part-{number:04d}.arrows", batch.schema)
        writers[number].write_batch(pa.record_batch([c.slice(start, stop - start) for c in columns],
                                                    schema=batch.schema))  # fmt: skip
        start = stop


def _take(column: pa.Array, order: np.ndarray) -> pa.Array:
    """``column`` in ``order``: through NumPy for numbers and times without nulls, else Arrow's take."""
    if column.null_count == 0 and (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)
                                   or pa.types.is_timestamp(column.type) or pa.types.is_date(column.type)):
        return pa.array(column.to_numpy()[order], type=column.type)
    return column.take(pa.array(order))
