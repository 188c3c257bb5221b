"""Fast column builders for the generator: text labels from codes, nullable integers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa


def labels(categories, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Text column ``categories[codes]`` as pandas' ``str`` dtype, built without Python objects.

    Ten times faster than ``np.array(categories)[codes]`` for millions of rows.
    """
    dictionary = pa.DictionaryArray.from_arrays(
        pa.array(np.asarray(codes, dtype="int32")), pa.array(list(categories), type=pa.large_string())
    )
    return pd.array(dictionary.cast(pa.large_string()), dtype="str")


def codes_of(values: np.ndarray, categories) -> np.ndarray:
    """Integer codes of ``values`` within ``categories`` (every value must be one)."""
    categories = np.asarray(categories)
    order = np.argsort(categories)
    return order[np.searchsorted(categories[order], values)]


def nullable(values: np.ndarray, missing: np.ndarray, dtype: str) -> pd.api.extensions.ExtensionArray:
    """A nullable integer array (``Int64``, ``Int16`` ...) from values and a missing mask."""
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(dtype.lower()), np.asarray(missing, bool))


def utc_values(series: pd.Series) -> np.ndarray:
    """Timestamps of a tz-aware column as naive UTC ``datetime64`` (no Python objects)."""
    return series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
