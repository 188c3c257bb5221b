"""Input checks shared by the cross-selling modules; each error names the argument and the fix."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from crmlab.errors import SchemaError


def require(df: object, columns: Iterable[str], table: str) -> pd.DataFrame:
    """Return ``df`` if it is a DataFrame holding ``columns``; else raise an error that says how to fix it."""
    if isinstance(df, Mapping) and any(isinstance(v, pd.DataFrame) for v in df.values()):
        raise TypeError(f"You passed the whole CRM as `{table}`; pass one table, e.g. `crm.{table}`.")
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"The value for `{table}` must be a DataFrame (e.g. `crm.{table}`), "
                        f"but a {type(df).__name__} was passed.")  # fmt: skip
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaError(f"The table passed as `{table}` has no column(s) {missing}; its columns are "
                          f"{list(df.columns)}. Pass `crm.{table}`, or rename your columns.")  # fmt: skip
    return df


def choice(argument: str, value: object, allowed: Iterable) -> None:
    """Raise a ValueError naming ``argument`` unless ``value`` is one of ``allowed``."""
    allowed = list(allowed)
    if not isinstance(value, str | int | float) or value not in allowed:
        raise ValueError(f"The value for `{argument}` must be one of {allowed}, but {value!r} was passed.")


def non_negative(argument: str, value: object) -> float:
    """``value`` as a float >= 0, or a ValueError naming ``argument``."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not number >= 0 or isinstance(value, bool):
        raise ValueError(f"The value for `{argument}` must be a number >= 0, but {value!r} was passed.")
    return number


def boolean_matrix(baskets: object, argument: str = "baskets") -> pd.DataFrame:
    """``baskets`` as a True/False table with at least one row and two columns."""
    if not isinstance(baskets, pd.DataFrame):
        raise TypeError(f"The value for `{argument}` must be a True/False DataFrame, one row per basket "
                        "and one column per category (`basket_matrix(...)`), "
                        f"but a {type(baskets).__name__} was passed.")  # fmt: skip
    if baskets.shape[0] == 0 or baskets.shape[1] < 2:
        raise ValueError(f"`{argument}` must have at least one row and two category columns, "
                         f"but it has shape {baskets.shape}.")  # fmt: skip
    values = baskets.to_numpy()
    if values.dtype != bool and not np.isin(values, [0, 1]).all():
        raise ValueError(f"`{argument}` must hold only True/False (or 0/1): is this category in the basket? "
                         "Build it with `basket_matrix(...)`.")  # fmt: skip
    return baskets.astype(bool)


def outcomes(y_true: object, argument: str = "y_true") -> np.ndarray:
    """0/1 outcomes as a float array; True/False and "Yes"/"No" are not guessed: pass 0/1 or booleans."""
    try:
        y = np.asarray(y_true, dtype="float64").ravel()
    except (TypeError, ValueError) as err:
        raise ValueError(f"`{argument}` must hold 0/1 or True/False outcomes; convert text first, "
                         "e.g. `caravan['Purchase'] == 'Yes'`.") from err  # fmt: skip
    if len(y) == 0 or np.isnan(y).any() or not np.isin(y, [0.0, 1.0]).all():
        raise ValueError(f"`{argument}` must hold only 0/1 (or False/True), none missing.")
    return y


def scores(score: object, n: int, argument: str = "score") -> np.ndarray:
    """Numbers, one per customer, none missing."""
    try:
        s = np.asarray(score, dtype="float64").ravel()
    except (TypeError, ValueError) as err:
        raise ValueError(f"`{argument}` must hold numbers, e.g. `model.predict_proba(X)[:, 1]`.") from err
    if len(s) != n:
        raise ValueError(f"`{argument}` must have one value per customer ({n}), but it has {len(s)}.")
    if np.isnan(s).any():
        raise ValueError(f"`{argument}` must not hold missing values.")
    return s
