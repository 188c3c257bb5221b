"""Read the columns a summary needs from a DataFrame, an Arrow table, a Parquet file or a DuckDB relation.

A summary needs three or four columns of a log that may hold thirty. Whatever the input,
:func:`columns_of` returns a pandas DataFrame of exactly those columns, read from the file or
relation column by column (Parquet's projection, DuckDB's ``SELECT``), so the other columns
are never loaded. Values are converted by Arrow as pandas reads them (timestamps stay
timestamps, with their time zone; integers without missing values stay integers), never
parsed from text.

>>> import pyarrow as pa
>>> table = pa.table({"customer_id": [1, 2], "note": ["a", "b"], "amount": [9.5, 3.0]})
>>> kind_of(table)
'arrow'
>>> columns_of(table, ["customer_id", "amount"], "transactions")
   customer_id  amount
0            1     9.5
1            2     3.0
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

__all__ = ["columns_of", "kind_of", "reader_of"]

KINDS = ("pandas", "arrow", "parquet", "duckdb", "spark")


def kind_of(data: object) -> str | None:
    """Which kind of table ``data`` is: one of :data:`KINDS`, or None when it is none of them."""
    if isinstance(data, pd.DataFrame):
        return "pandas"
    if isinstance(data, (str, os.PathLike)):
        return "parquet"
    module = type(data).__module__
    if module.startswith("pyarrow") and type(data).__name__ in ("Table", "RecordBatch", "RecordBatchReader"):
        return "arrow"
    if module.startswith("duckdb") and hasattr(data, "columns") and hasattr(data, "select"):
        return "duckdb"
    if module.startswith("pyspark.sql") and type(data).__name__ == "DataFrame":
        return "spark"
    return None


def columns_of(data: object, columns: Sequence[str], argument: str) -> pd.DataFrame:
    """The named ``columns`` of ``data`` as a pandas DataFrame (``data`` itself when it is one).

    Raises KeyError naming the missing column and the columns there are, TypeError for a
    kind of input that is not supported, FileNotFoundError for a path that does not exist.
    """
    kind = kind_of(data)
    if kind == "pandas":
        return data
    if kind in ("arrow", "parquet", "duckdb"):
        return reader_of(data, columns, argument).read_pandas()
    if kind == "spark":
        raise TypeError(f"`{argument}` is a Spark DataFrame: this function does not run on Spark. Collect the "
                        f"columns you need with `.select(...).toPandas()`; docs/scale.md lists those that do.")
    raise TypeError(f"The value for `{argument}` must be a pandas DataFrame, an Arrow table, a DuckDB relation "
                    f"or the path of a Parquet file or folder, but a {type(data).__name__} was passed.")  # fmt: skip


def reader_of(data: object, columns: Sequence[str], argument: str, batch_rows: int = 1 << 20):
    """The named ``columns`` of a Parquet file or folder, a DuckDB relation or Arrow data, batch by batch.

    Nothing is read until the batches are: a Parquet file a row group at a time, a DuckDB
    relation as its query runs. A DataFrame is served from memory.
    """
    import pyarrow as pa

    kind = kind_of(data)
    if kind == "parquet":
        import pyarrow.dataset as ds

        path = Path(data)
        if not path.exists():
            raise FileNotFoundError(f"The value for `{argument}` names {str(path)!r}, which does not exist: "
                                    f"pass a Parquet file, a folder of Parquet files, or a DataFrame.")  # fmt: skip
        dataset = ds.dataset(path, format="parquet")
        _check(list(dataset.schema.names), columns, argument)
        # little read-ahead: a few batches in memory at a time, not a row group per thread
        return dataset.scanner(columns=list(columns), batch_size=batch_rows, batch_readahead=2,
                               fragment_readahead=1).to_reader()  # fmt: skip
    if kind == "duckdb":
        _check(list(data.columns), columns, argument)
        quoted = ", ".join('"' + c.replace('"', '""') + '"' for c in columns)
        return data.select(quoted).to_arrow_reader(batch_rows)
    if kind == "arrow":
        if isinstance(data, pa.RecordBatchReader):
            _check(list(data.schema.names), columns, argument)
            schema = pa.schema([data.schema.field(c) for c in columns])
            return pa.RecordBatchReader.from_batches(schema, (b.select(list(columns)) for b in data))
        table = data if isinstance(data, pa.Table) else pa.Table.from_batches([data])
        _check(list(table.schema.names), columns, argument)
        return table.select(list(columns)).to_reader(max_chunksize=batch_rows)
    frame = columns_of(data, columns, argument)
    table = pa.Table.from_pandas(frame[list(columns)], preserve_index=False)
    return table.to_reader(max_chunksize=batch_rows)


def _check(names: list[str], columns: Sequence[str], argument: str) -> None:
    for column in columns:
        if column not in names:
            raise KeyError(f"{column!r} is not a column of `{argument}`. Its columns are {names}: pass one of them.")
