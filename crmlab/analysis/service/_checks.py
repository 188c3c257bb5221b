"""Argument checks shared by the service modules; table checks come from :mod:`crmlab.analysis.kpis`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crmlab.analysis.kpis._checks import EXPORT_END, LOCAL_TZ, _choice, _table

__all__ = ["EXPORT_END", "LOCAL_TZ", "_choice", "_instant", "_numbers", "_share", "_table", "_whole"]


def _numbers(name: str, value: object, *, above: float | None = None, at_least: float | None = None) -> np.ndarray:
    """``value`` as a float array with every element finite and within bounds, or a ValueError naming ``name``."""
    try:
        array = np.asarray(value, dtype="float64")
    except (TypeError, ValueError):
        array = None
    ok = array is not None and array.size > 0 and bool(np.all(np.isfinite(array)))
    if ok and above is not None:
        ok = bool(np.all(array > above))
    if ok and at_least is not None:
        ok = bool(np.all(array >= at_least))
    if not ok:
        bound = f" above {above:g}" if above is not None else ""
        bound = f" of at least {at_least:g}" if at_least is not None else bound
        raise ValueError(f"The value for `{name}` must be a number (or an array of numbers){bound}, "
                         f"but {value!r} was passed.")  # fmt: skip
    return array


def _whole(name: str, value: object) -> np.ndarray:
    """``value`` as an int64 array of whole numbers of at least 1 (agents), or a ValueError."""
    array = _numbers(name, value, at_least=1)
    if not np.all(array == np.round(array)):
        raise ValueError(f"The value for `{name}` must be a whole number of agents (1, 2, 3 ...), "
                         f"but {value!r} was passed.")  # fmt: skip
    return array.astype("int64")


def _share(name: str, value: object) -> float:
    """``value`` as a float strictly between 0 and 1, or a ValueError naming ``name``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not 0 < number < 1:
        raise ValueError(f"The value for `{name}` must be a share strictly between 0 and 1 (e.g. 0.8 for 80%), "
                         f"but {value!r} was passed.")  # fmt: skip
    return number


def _instant(name: str, value: object) -> pd.Timestamp:
    """``value`` as a time-zone-aware Timestamp in UTC; a naive time is refused (which clock would it be?)."""
    try:
        when = pd.Timestamp(value)
    except (TypeError, ValueError):
        when = None
    if when is None or when is pd.NaT:
        raise ValueError(f"The value for `{name}` must be a moment in time, e.g. "
                         f"pd.Timestamp('2025-06-15 10:00', tz='{LOCAL_TZ}'), but {value!r} was passed.")  # fmt: skip
    if when.tz is None:
        raise ValueError(
            f"The value for `{name}` must say its time zone, but the naive time {value!r} was passed: is it "
            f"UTC or local time? Write e.g. pd.Timestamp('{when}', tz='{LOCAL_TZ}') for the company's clock."
        )
    return when.tz_convert("UTC")
