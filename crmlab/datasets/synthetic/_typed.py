"""The generator's tables in the schema's types, without copying columns that have them already.

:func:`~crmlab.datasets.schema.apply_schema` casts every column of a table read from a file,
checking every value, and builds a new table. The generator's columns are mostly built in
their final type already; for those the cast returns the same values, so :func:`as_schema`
keeps them as they are (a table is many times the size of the work once it has millions of
rows). A table with any column in another type goes through ``apply_schema`` whole.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..schema import TABLES, apply_schema

__all__ = ["as_schema"]

_UTC = pd.DatetimeTZDtype("s", "UTC")


def as_schema(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """``apply_schema(name, df)``: the same columns, order, types and values, shared where they are typed already."""
    dtypes = TABLES[name].dtypes
    if sorted(df.columns) != sorted(dtypes) or not all(_unchanged(df[c], d) for c, d in dtypes.items()):
        return apply_schema(name, df)
    return pd.DataFrame({c: _values(df[c]) for c in dtypes}, copy=False)


def _values(column: pd.Series):
    return column.array if isinstance(column.dtype, pd.api.extensions.ExtensionDtype) else column.to_numpy()


def _unchanged(column: pd.Series, dtype: str) -> bool:
    """Whether ``cast_column`` (default options) would return this column's values in this type unchanged."""
    have = column.dtype
    if dtype == "str":  # kept if missing is NaN; the empty text would become missing
        return isinstance(have, pd.StringDtype) and have.na_value is np.nan and not _has_empty_text(column)
    if dtype == "bool":
        return have == np.dtype(bool)
    if dtype == "datetime64[s, UTC]":
        return isinstance(have, pd.DatetimeTZDtype) and have.unit == "s" and have.tz is _UTC.tz
    if dtype == "datetime64[s]":
        return have == np.dtype("datetime64[s]")
    return str(have) == dtype  # integers: an exact type is returned as it is


def _has_empty_text(column: pd.Series) -> bool:
    """Whether a text column holds ``""``; in Arrow, whose comparison makes a bitmap (pandas' a byte a row)."""
    if column.dtype.storage != "pyarrow":
        return bool((column == "").any())
    values = pa.chunked_array(column.array.__arrow_array__())
    return bool(pc.any(pc.equal(values, pa.scalar("", values.type))).as_py())
