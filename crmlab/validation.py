"""Checks of the arguments an analysis receives, each failing with one message a beginner can act on.

Public by design: every analysis of :mod:`crmlab.analysis` checks its inputs here, so "a
DataFrame with these columns" is checked in one place and always explained the same way:
the argument, the missing columns, the columns it has, and the fix.

Examples
--------
>>> import pandas as pd
>>> from crmlab.validation import require_table
>>> orders = pd.DataFrame({"customer_id": [1], "amount": [9.5]})
>>> require_table(orders, "orders", ["customer_id", "total_cents"])
Traceback (most recent call last):
...
crmlab.errors.SchemaError: The table passed as `orders` has no column(s) ['total_cents']; its columns are \
['customer_id', 'amount']. Pass `crm.orders`, or rename your columns, e.g. \
`orders.rename(columns={'your_name': 'total_cents'})`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from crmlab.conventions import COURSE
from crmlab.errors import SchemaError

__all__ = [
    "binary_outcomes", "choice", "column_arguments", "fraction", "non_negative", "number_between", "numbers",
    "positive", "require_series", "require_table", "require_tables", "scores", "timestamp", "whole_number",
    "whole_numbers",
]  # fmt: skip

_KINDS = {
    "datetime": (pd.api.types.is_datetime64_any_dtype, "dates or times", "pd.to_datetime(df[{c!r}], utc=True)"),
    "number": (lambda s: pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s), "numbers",
               "pd.to_numeric(df[{c!r}])"),
    "bool": (pd.api.types.is_bool_dtype, "True/False", "df[{c!r}] == 'yes'"),
}  # fmt: skip


def _not_a_table(df: object, argument: str, example: str | None) -> TypeError:
    if isinstance(df, Mapping) and any(isinstance(v, pd.DataFrame) for v in df.values()):
        return TypeError(f"You passed the whole CRM (a dict of tables) as `{argument}`; pass one table, "
                         f"e.g. `{example or 'crm.orders'}`.")  # fmt: skip
    tip = " You passed one column: pass the whole table." if isinstance(df, pd.Series) else ""
    such = f" (e.g. `{example}`)" if example else ""
    return TypeError(f"The value for `{argument}` must be a DataFrame{such}, "
                     f"but a {type(df).__name__} was passed.{tip}")  # fmt: skip


def _advice(argument: str, column: str) -> str:
    """The default fix for missing columns: the CRM's table of that name, or a rename."""
    from crmlab.datasets.schema import TABLES  # lazy: validation must not load the datasets at import

    rename = f"`{argument}.rename(columns={{'your_name': {column!r}}})`"
    if argument in TABLES:
        return f"Pass `crm.{argument}`, or rename your columns, e.g. {rename}."
    return f"Rename your columns, e.g. {rename}."


def require_table(
    df: object,
    argument: str,
    columns: Iterable[str] = (),
    *,
    dtypes: Mapping[str, str] | None = None,
    fix: str | None = None,
) -> pd.DataFrame:
    """Return ``df`` if it is a DataFrame holding ``columns`` (of the ``dtypes`` given).

    Parameters
    ----------
    df : object
        The value received.
    argument : str
        The name of the argument, as the caller wrote it (``"orders"``).
    columns : iterable of str
        The columns it must hold.
    dtypes : mapping, optional
        ``{column: kind}`` with kind ``"datetime"``, ``"number"`` or ``"bool"``.
    fix : str, optional
        The advice when columns are missing; default: pass ``crm.<argument>`` or rename.

    Returns
    -------
    DataFrame
        ``df`` itself.

    Raises
    ------
    TypeError
        Unless ``df`` is a DataFrame (the whole CRM or one column gets its own advice).
    SchemaError
        For missing columns or a column of the wrong kind.

    Examples
    --------
    >>> require_table(pd.DataFrame({"a": [1]}), "orders", ["a"]).shape
    (1, 1)
    >>> require_table(pd.DataFrame({"at": [20250101]}), "orders", dtypes={"at": "datetime"})
    Traceback (most recent call last):
    ...
    crmlab.errors.SchemaError: The column 'at' of `orders` must hold dates or times, but its dtype is int64. \
Convert it first, e.g. `df['at'] = pd.to_datetime(df['at'], utc=True)`.
    """
    if not isinstance(df, pd.DataFrame):
        from crmlab.datasets.schema import TABLES

        raise _not_a_table(df, argument, f"crm.{argument}" if argument in TABLES else None)
    columns = [*columns, *(c for c in (dtypes or {}) if c not in columns)]
    missing = [c for c in columns if c not in df.columns]
    if missing:
        advice = fix or _advice(argument, missing[0])
        raise SchemaError(f"The table passed as `{argument}` has no column(s) {missing}; its columns are "
                          f"{list(df.columns)}. {advice}")  # fmt: skip
    for column, kind in (dtypes or {}).items():
        test, words, convert = _KINDS[kind]
        if not test(df[column]):
            raise SchemaError(f"The column {column!r} of `{argument}` must hold {words}, but its dtype is "
                              f"{df[column].dtype}. Convert it first, e.g. "
                              f"`df[{column!r}] = {convert.format(c=column)}`.")  # fmt: skip
    return df


def require_tables(
    crm: object, names: Sequence[str], columns: Mapping[str, Iterable[str]] | None = None, argument: str = "crm"
) -> dict[str, pd.DataFrame]:
    """The tables ``names`` of a CRM (a dict of tables), each checked with :func:`require_table`.

    Examples
    --------
    >>> crm = {"orders": pd.DataFrame({"order_id": [1]})}
    >>> list(require_tables(crm, ["orders"], {"orders": ["order_id"]}))
    ['orders']
    >>> require_tables(crm, ["orders", "tickets"])
    Traceback (most recent call last):
    ...
    crmlab.errors.SchemaError: The value for `crm` needs the table(s) ['tickets'], but it has ['orders']. \
Load them with `crmlab.load_crm(tables=[..., 'tickets'])`.
    """
    if isinstance(crm, pd.DataFrame):
        raise TypeError(f"You passed one table as `{argument}`; pass the whole CRM (`crmlab.load_crm()`), "
                        f"which holds the tables {list(names)}.")  # fmt: skip
    if not isinstance(crm, Mapping):
        raise TypeError(f"The value for `{argument}` must be the whole CRM (`crmlab.load_crm()`), "
                        f"but a {type(crm).__name__} was passed.")  # fmt: skip
    missing = [n for n in names if n not in crm]
    if missing:
        listed = ", ".join(repr(n) for n in missing)
        raise SchemaError(f"The value for `{argument}` needs the table(s) {missing}, but it has {list(crm)}. "
                          f"Load them with `crmlab.load_crm(tables=[..., {listed}])`.")  # fmt: skip
    return {n: require_table(crm[n], n, (columns or {}).get(n, ())) for n in names}


def column_arguments(df: object, columns: Mapping[str, str | None], argument: str) -> pd.DataFrame:
    """Check arguments that *name* columns of ``df`` (``{argument_name: column}``; None = not used).

    Examples
    --------
    >>> column_arguments(pd.DataFrame({"id": [1]}), {"customer_col": "customer_id"}, "orders")
    Traceback (most recent call last):
    ...
    KeyError: "The value for `customer_col` must be a column of `orders`, but 'customer_id' was passed. \
Its columns are ['id']: pass one of them."
    """
    if not isinstance(df, pd.DataFrame):
        raise _not_a_table(df, argument, None)
    for name, column in columns.items():
        if column is not None and column not in df.columns:
            raise KeyError(f"The value for `{name}` must be a column of `{argument}`, but {column!r} was passed. "
                           f"Its columns are {list(df.columns)}: pass one of them.")  # fmt: skip
    return df


def require_series(values: object, argument: str) -> pd.Series:
    """Return ``values`` if it is a pandas Series (one column).

    Examples
    --------
    >>> require_series(pd.DataFrame({"email": ["a@b.org"]}), "emails")
    Traceback (most recent call last):
    ...
    TypeError: The value for `emails` must be a pandas Series, but a DataFrame was passed. Select one column, \
e.g. `df['email']`.
    """
    if not isinstance(values, pd.Series):
        tip = " Select one column, e.g. `df['email']`." if isinstance(values, pd.DataFrame) else ""
        raise TypeError(f"The value for `{argument}` must be a pandas Series, but a {type(values).__name__} "
                        f"was passed.{tip}")  # fmt: skip
    return values


def choice(argument: str, value: object, allowed: Iterable) -> object:
    """Return ``value`` if it is one of ``allowed``.

    Examples
    --------
    >>> choice("how", "max", ["mean", "sum"])
    Traceback (most recent call last):
    ...
    ValueError: The value for `how` must be one of ['mean', 'sum'], but 'max' was passed.
    """
    allowed = list(allowed)
    try:
        ok = value in allowed
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise ValueError(f"The value for `{argument}` must be one of {allowed}, but {value!r} was passed.")
    return value


def _float(value: object) -> float:
    if isinstance(value, bool):
        return float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def fraction(argument: str, value: object, example: str = "0.05 for 5%") -> float:
    """``value`` as a float strictly between 0 and 1.

    Examples
    --------
    >>> fraction("alpha", 0.05)
    0.05
    """
    number = _float(value)
    if not 0 < number < 1:
        raise ValueError(f"The value for `{argument}` must be a share strictly between 0 and 1 (e.g. {example}), "
                         f"but {value!r} was passed.")  # fmt: skip
    return number


def positive(argument: str, value: object) -> float:
    """``value`` as a float above 0.

    Examples
    --------
    >>> positive("margin", 0)
    Traceback (most recent call last):
    ...
    ValueError: The value for `margin` must be a number above 0, but 0 was passed.
    """
    number = _float(value)
    if not number > 0:
        raise ValueError(f"The value for `{argument}` must be a number above 0, but {value!r} was passed.")
    return number


def non_negative(argument: str, value: object) -> float:
    """``value`` as a float >= 0 (True/False refused).

    Examples
    --------
    >>> non_negative("cost", 2)
    2.0
    """
    number = _float(value)
    if not number >= 0:
        raise ValueError(f"The value for `{argument}` must be a number >= 0, but {value!r} was passed.")
    return number


def number_between(argument: str, value: object, low: float, high: float) -> float:
    """``value`` as a float from ``low`` to ``high`` (both included).

    Examples
    --------
    >>> number_between("threshold", 120, 0, 100)
    Traceback (most recent call last):
    ...
    ValueError: The value for `threshold` must be a number from 0 to 100, but 120 was passed.
    """
    number = _float(value) if isinstance(value, int | float | np.integer | np.floating) else float("nan")
    if not low <= number <= high:
        raise ValueError(f"The value for `{argument}` must be a number from {low:g} to {high:g}, "
                         f"but {value!r} was passed.")  # fmt: skip
    return number


def whole_number(argument: str, value: object, at_least: int = 1, unit: str = "days") -> int:
    """``value`` as an int of at least ``at_least`` (True/False and 1.5 refused).

    Examples
    --------
    >>> whole_number("horizon_days", 1.5)
    Traceback (most recent call last):
    ...
    ValueError: The value for `horizon_days` must be a whole number of days >= 1, but 1.5 was passed.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < at_least:
        raise ValueError(f"The value for `{argument}` must be a whole number of {unit} >= {at_least}, "
                         f"but {value!r} was passed.")  # fmt: skip
    return int(value)


def numbers(argument: str, value: object, *, above: float | None = None, at_least: float | None = None) -> np.ndarray:
    """``value`` (a number or array) as a float array, every element finite and within bounds.

    Examples
    --------
    >>> numbers("calls", [10, 20], above=0).tolist()
    [10.0, 20.0]
    """
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
        raise ValueError(f"The value for `{argument}` must be a number (or an array of numbers){bound}, "
                         f"but {value!r} was passed.")  # fmt: skip
    return array


def whole_numbers(argument: str, value: object, unit: str = "agents") -> np.ndarray:
    """``value`` as an int64 array of whole numbers of at least 1.

    Examples
    --------
    >>> whole_numbers("agents", [1, 2]).tolist()
    [1, 2]
    """
    array = numbers(argument, value, at_least=1)
    if not np.all(array == np.round(array)):
        raise ValueError(f"The value for `{argument}` must be a whole number of {unit} (1, 2, 3 ...), "
                         f"but {value!r} was passed.")  # fmt: skip
    return array.astype("int64")


def timestamp(argument: str, value: object, timezone: str = COURSE.timezone) -> pd.Timestamp:
    """``value`` as an aware Timestamp in UTC; a naive time is refused (which clock would it be?).

    Examples
    --------
    >>> timestamp("as_of", pd.Timestamp("2025-06-15 10:00", tz="Asia/Tehran"))
    Timestamp('2025-06-15 06:30:00+0000', tz='UTC')
    """
    try:
        when = pd.Timestamp(value)
    except (TypeError, ValueError):
        when = None
    if when is None or when is pd.NaT:
        raise ValueError(f"The value for `{argument}` must be a moment in time, e.g. "
                         f"pd.Timestamp('2025-06-15 10:00', tz='{timezone}'), but {value!r} was passed.")  # fmt: skip
    if when.tz is None:
        raise ValueError(
            f"The value for `{argument}` must say its time zone, but the naive time {value!r} was passed: is it "
            f"UTC or local time? Write e.g. pd.Timestamp('{when}', tz='{timezone}') for the company's clock."
        )
    return when.tz_convert("UTC")


def binary_outcomes(values: object, argument: str = "y_true") -> np.ndarray:
    """0/1 outcomes as a float array; True/False and "Yes"/"No" are not guessed: pass 0/1 or booleans.

    Examples
    --------
    >>> binary_outcomes([True, False]).tolist()
    [1.0, 0.0]
    """
    try:
        y = np.asarray(values, dtype="float64").ravel()
    except (TypeError, ValueError) as err:
        raise ValueError(f"`{argument}` must hold 0/1 or True/False outcomes; convert text first, "
                         "e.g. `caravan['Purchase'] == 'Yes'`.") from err  # fmt: skip
    if len(y) == 0 or np.isnan(y).any() or not np.isin(y, [0.0, 1.0]).all():
        raise ValueError(f"`{argument}` must hold only 0/1 (or False/True), none missing.")
    return y


def scores(values: object, n: int, argument: str = "score") -> np.ndarray:
    """Numbers, one per customer (``n``), none missing.

    Examples
    --------
    >>> scores([0.2, 0.9], 2).tolist()
    [0.2, 0.9]
    """
    try:
        s = np.asarray(values, dtype="float64").ravel()
    except (TypeError, ValueError) as err:
        raise ValueError(f"`{argument}` must hold numbers, e.g. `model.predict_proba(X)[:, 1]`.") from err
    if len(s) != n:
        raise ValueError(f"`{argument}` must have one value per customer ({n}), but it has {len(s)}.")
    if np.isnan(s).any():
        raise ValueError(f"`{argument}` must not hold missing values.")
    return s
