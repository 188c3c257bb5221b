"""Fast column builders for the generator: text labels from codes, nullable integers, a stable sort; work in chunks.

Work on millions of rows in one go makes a temporary array of tens of megabytes per step,
and the C library hands each one back to the system when it is freed (above 32 MB): the
system clears fresh pages for the next one, which was most of the time spent above a few
hundred thousand customers. :func:`elementwise` cuts work without random draws into pieces
whose temporaries the allocator keeps and reuses; the draws stay whole, in their order.
:func:`kept_heap` keeps the larger temporaries' memory for reuse too, while the generator runs.
"""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
import pyarrow as pa

#: Rows per chunk: a float64 temporary of 512 kB, which the allocator keeps and reuses.
CHUNK = 1 << 16


def chunks(n: int, size: int = CHUNK) -> Iterator[slice]:
    """Consecutive slices covering ``range(n)``, ``size`` rows each (the last shorter)."""
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


def elementwise(f: Callable[..., np.ndarray], *arrays: np.ndarray, dtype, size: int = CHUNK) -> np.ndarray:
    """``f(*arrays)`` computed chunk by chunk into one array of ``dtype``: the same values, small temporaries.

    ``f`` must work row by row (row ``i`` of its result depends on row ``i`` of each array only).

    >>> elementwise(lambda a, b: a * 2 + b, np.arange(5), np.ones(5), dtype=float, size=2)
    array([1., 3., 5., 7., 9.])
    """
    n = len(arrays[0])
    out = np.empty(n, dtype=dtype)
    for part in chunks(n, size):
        out[part] = f(*(a[part] for a in arrays))
    return out


@contextlib.contextmanager
def system_arrow_memory() -> Iterator[None]:
    """Give Arrow buffers (the text columns) the C library's allocator in the ``with`` block, then restore the pool.

    Each page the system hands out anew has to be cleared, and on a virtual machine that backs
    its memory lazily that costs more than the work done on it. pyarrow's default pool (mimalloc)
    hands freed memory back to the system within milliseconds and grows a buffer by copying it
    into a new one, so nearly every text column landed on fresh pages; the C library keeps freed
    memory for the next allocation and grows a large buffer in place. At a million customers, in
    paired runs on the 2-core VM (4 December 2026), the system's time fell from 21-22 s to 12-14 s
    and the wall time from 46-48 s to 34-38 s. The values are the same (every table's digest is
    unchanged); only where their bytes live differs. The default pool is process-wide:
    Arrow work in other threads meanwhile uses this allocator too.
    """
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


#: glibc's ``mallopt`` settings (``malloc.h``), and the values its dynamic mmap threshold climbs to.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD_MAX, _TRIM_THRESHOLD_MAX = 32 << 20, 64 << 20


def _glibc():
    """The C library when it is glibc (it has ``mallopt`` and ``malloc_trim``), else None."""
    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018  (glibc only: musl and macOS have none)
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except (OSError, AttributeError):
        return None


@contextlib.contextmanager
def kept_heap() -> Iterator[None]:
    """Keep freed memory in the ``with`` block for the next allocation, then hand it all back to the system.

    glibc serves an array of more than 32 MB (4 million numbers) with pages mapped for it alone and
    unmaps them when it is freed, so the next such array lands on fresh pages, which the system must
    clear (and a virtual machine that backs its memory lazily must first back). The generator makes
    hundreds of those temporaries at a million customers. Here arrays of any size up to 1 GB come
    from the heap and freed memory stays there for reuse; on leaving, the heap's free memory is handed
    back (``malloc_trim``) and the thresholds are set where glibc's own rule takes them once a large
    array has been freed (mapped above 32 MB, trimmed above 64 MB), though fixed from then on. At a
    million customers, in paired runs on the 2-core VM (5 December 2026, second call in a process),
    the wall time was 16.5 s against 21.5 s and 17.7 s against 31.0 s, the system's time 0.4-1.0 s
    against 3.3-3.9 s; the peak memory rose by 2-3%. Elsewhere than glibc it does nothing.
    """
    libc = _glibc()
    if libc is None:
        yield
        return
    libc.mallopt(_M_MMAP_THRESHOLD, 1 << 30)  # arrays up to 1 GB from the heap (the generator's reach 100 MB)
    libc.mallopt(_M_TRIM_THRESHOLD, 2**31 - 1)  # the most a C int holds: keep freed memory
    try:
        yield
    finally:
        libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX)
        libc.mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_MAX)
        libc.malloc_trim(0)


def labels(categories, codes: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Text column ``categories[codes]`` as pandas' ``str`` dtype, built without Python objects.

    Ten times faster than ``np.array(categories)[codes]`` for millions of rows.
    """
    codes = np.asarray(codes)
    if codes.dtype.kind != "i":  # Arrow's indices are signed integers (of any width: taken as they are)
        codes = codes.astype("int32")
    dictionary = pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(list(categories), type=pa.large_string()))
    return pd.array(dictionary.cast(pa.large_string()), dtype="str")


def texts(numbers: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Whole numbers as their decimal text (pandas' ``str``, like ``astype(str)``), without Python objects."""
    return pd.array(pa.array(np.asarray(numbers)).cast(pa.large_string()), dtype="str")


def stable_argsort(values: np.ndarray) -> np.ndarray:
    """``np.argsort(values, kind="stable")``, about twice as fast on millions of rows.

    numpy's default sort (vectorised introsort) orders the rows; rows of equal values (NaN
    with NaN too) then get their original order, which is what makes a sort stable.

    >>> stable_argsort(np.array([2.0, 1.0, 2.0, np.nan, 1.0, np.nan]))
    array([1, 4, 0, 2, 3, 5])
    """
    order = np.argsort(values)
    n = len(order)
    tie = np.empty(max(n - 1, 0), dtype=bool)  # tie[i]: the rows at positions i and i + 1 are equal
    for part in chunks(n - 1):
        ordered = values[order[part.start : part.stop + 1]]
        tie[part] = ordered[1:] == ordered[:-1]
        if values.dtype.kind in "fc":
            tie[part] |= np.isnan(ordered[1:]) & np.isnan(ordered[:-1])
    if tie.any():
        at = np.flatnonzero(tie)
        members = np.union1d(at, at + 1)  # positions in a run of equal values
        run = np.concatenate([[0], np.cumsum(~tie)])[members]  # the same number along a run
        rows = order[members]
        order[members] = rows[np.lexsort((rows, run))]
    return order


def codes_of(values: np.ndarray, categories) -> np.ndarray:
    """Integer codes of ``values`` within ``categories`` (every value must be one)."""
    categories = np.asarray(categories)
    order = np.argsort(categories)
    return order[np.searchsorted(categories[order], values)]


def nullable(values: np.ndarray, missing: np.ndarray, dtype: str) -> pd.api.extensions.ExtensionArray:
    """A nullable integer array (``Int64``, ``Int16`` ...) from values and a missing mask."""
    return pd.arrays.IntegerArray(np.where(missing, 0, values).astype(dtype.lower(), copy=False),
                                  np.asarray(missing, bool))


def utc_values(series: pd.Series) -> np.ndarray:
    """Timestamps of a tz-aware column as naive UTC ``datetime64`` (no Python objects)."""
    return series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
