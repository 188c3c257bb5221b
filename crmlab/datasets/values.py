"""Cast one column of an export to its schema type: every value loads exactly, or the load fails.

:func:`cast_column` takes text (a CSV read with ``dtype=str``) or typed values (Parquet)
and returns the schema's dtype, or raises :class:`~crmlab.errors.ValueLoadError` naming
the file, table, column, example lines with their values and the read option that fixes
it. Nothing is rounded, truncated, wrapped or guessed: ``139.12`` is not ``139`` cents,
``"no"`` is not True, ``05/03/2011`` is not read until the day order is stated, a number
is not a date until declared one, a naive time is not UTC until the time zone is given.

Amounts in the major unit (``units={"orders.total_cents": "major"}``) become minor units
by exact digit arithmetic on the text, never through a float ("139.12" -> "139" + "12");
a float from Parquet is accepted only when it is exactly the float of a decimal with at
most ``minor_unit`` decimals. The tests check both against :class:`decimal.Decimal`.

The checks are vectorised (numpy, and pyarrow's regular expressions on text), so the
course's own Parquet data loads as fast as before. Dates and instants are cast by
:mod:`.datevalues`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import ValueLoadError
from ..persian_text import ARABIC_LETTERS, DIGITS
from .options import ReadOptions

__all__ = ["FALSE_WORDS", "TRUE_WORDS", "cast_column"]

TRUE_WORDS = ("true", "yes", "y", "t", "1", "بله", "آری")
FALSE_WORDS = ("false", "no", "n", "f", "0", "خیر", "نه")
_DIGITS = {**DIGITS, "\u066b": "."}  # Persian and Arabic-Indic digits, the Persian decimal separator
_LETTERS = ARABIC_LETTERS  # Arabic yeh and kaf typed for the Persian letters (yes/no words)
_GROUPED = r"^[+-]?\d{1,3}(?:\x{066c}\d{3})+(?:\.\d*)?$"  # Persian thousands separator, grouped in threes
_MARKS = r"[\x{200e}\x{200f}\x{061c}\x{202a}-\x{202e}\x{2066}-\x{2069}]"  # invisible direction marks
_MISSING_WORDS = {"na", "n/a", "nan", "null", "none", "-", "--", "nil"}


@dataclass(frozen=True)
class _Column:
    """The column being cast, for error messages."""

    table: str
    column: str
    dtype: str
    source: str
    options: ReadOptions
    lines: np.ndarray
    raw: pd.Series

    @property
    def key(self) -> str:
        return f"{self.table}.{self.column}"

    def fail(self, bad, problem: str, fix: str) -> NoReturn:
        rows = np.flatnonzero(np.asarray(bad, dtype=bool))
        examples = [(int(self.lines[i]), self.raw.iloc[i]) for i in rows[:5]]
        raise ValueLoadError(self.table, self.column, self.dtype, self.source, problem, fix,
                             examples, len(rows), len(self.raw))


def cast_column(
    values: pd.Series,
    dtype: str,
    *,
    table: str,
    column: str,
    source: str = "",
    options: ReadOptions | None = None,
    lines: pd.Series | np.ndarray | None = None,
) -> pd.Series:
    """Return ``values`` as ``dtype``, exactly, or raise an error that says how to fix the export.

    Parameters
    ----------
    values : Series
        One column: text (a CSV read with ``dtype=str, keep_default_na=False``) or typed.
    dtype : str
        The schema's type: ``"str"``, ``"bool"``, an integer type (``"int64"``, ``"Int16"``),
        ``"datetime64[s, UTC]"`` (an instant) or ``"datetime64[s]"`` (a local calendar date).
    table, column : str
        Names for the messages, and the ``"table.column"`` key of ``options``.
    source : str, optional
        The file read, named in messages.
    options : ReadOptions, optional
        The export's conventions (units, date formats, time zone, calendar, missing texts).
    lines : array-like of int, optional
        Each row's line in the file (the header is line 1), in row order (matched by
        position, not by index); by default row position + 2.

    Returns
    -------
    Series
        Same index as ``values``, of type ``dtype``.

    Raises
    ------
    ValueLoadError
        A value cannot take the type unchanged; the message lists up to five lines.

    Examples
    --------
    >>> import pandas as pd
    >>> from crmlab.datasets.options import ReadOptions
    >>> money = pd.Series(["139.12", "0.5"])
    >>> cast_column(money, "int64", table="orders", column="total_cents",
    ...             options=ReadOptions(units={"orders.total_cents": "major"})).tolist()
    [13912, 50]
    >>> cast_column(pd.Series(["yes", "N", "بله"]), "bool", table="customers", column="consent_sms").tolist()
    [True, False, True]
    >>> cast_column(pd.Series(["05/03/2011"]), "datetime64[s]", table="reps", column="hired_on",
    ...             options=ReadOptions(dayfirst=True)).dt.strftime("%Y-%m-%d").tolist()
    ['2011-03-05']
    """
    options = ReadOptions() if options is None else options
    n = len(values)
    line_numbers = np.arange(2, n + 2) if lines is None else np.asarray(lines, dtype=np.int64)
    if len(line_numbers) != n:
        raise ValueError(f"`lines` has {len(line_numbers)} entries, but the column has {n} values.")
    col = _Column(table, column, dtype, source, options, line_numbers, values)
    if dtype == "str":
        return _to_text(values, col)
    if dtype == "bool":
        return _to_bool(values, col)
    if dtype.startswith("datetime64"):
        from .datevalues import to_datetime

        return to_datetime(values, col)
    if dtype.lower() in ("int8", "int16", "int32", "int64"):
        return _to_int(values, col)
    raise ValueError(
        f"cast_column cannot cast to {dtype!r}; the schema's types are str, bool, int*, Int* and datetime64."
    )


# -- text helpers ---------------------------------------------------------------------------


def _is_text(s: pd.Series) -> bool:
    return s.dtype == object or isinstance(s.dtype, pd.StringDtype)


def _arrow_text(s: pd.Series) -> pa.Array:
    """The column as a pyarrow string array (nulls for missing); other objects become their text."""
    if isinstance(s.dtype, pd.StringDtype):
        arr = pa.array(s.array)
    else:
        obj = s.to_numpy(dtype=object)
        missing = pd.isna(obj)
        if not all(isinstance(v, str) for v in obj[~missing]):
            obj = np.array([None if m else str(v) for v, m in zip(obj, missing, strict=True)], dtype=object)
        arr = pa.array(obj, type=pa.string(), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr.cast(pa.string())


def _normalise(arr: pa.Array) -> pa.Array:
    """Trim spaces and turn Persian and Arabic-Indic digits (and Arabic letters) into their usual forms.

    The same maps as :mod:`crmlab.persian_text`; the Persian thousands separator ``٬`` is
    dropped only from a number grouped in threes (``۱۲۳٬۴۵۶``), so a badly grouped one is refused.
    """
    if len(arr) and not pc.all(pc.fill_null(pc.string_is_ascii(arr), True)).as_py():
        arr = pc.replace_substring_regex(arr, _MARKS, "")
        for old, new in {**_DIGITS, **_LETTERS}.items():
            arr = pc.replace_substring(arr, old, new)
        arr = pc.utf8_trim_whitespace(arr)
        grouped = pc.fill_null(pc.match_substring_regex(arr, _GROUPED), False)
        return pc.if_else(grouped, pc.replace_substring(arr, "\u066c", ""), arr)
    return pc.utf8_trim_whitespace(arr)


def _blank(arr: pa.Array, col: _Column) -> np.ndarray:
    """Missing in a typed column: null, blank, or one of ``options.missing`` (compared trimmed)."""
    words = pa.array(sorted({"", *(m.strip() for m in col.options.missing)}), type=pa.string())
    return _np(pc.or_kleene(pc.is_null(arr), pc.fill_null(pc.is_in(arr, value_set=words), True)))


def _np(arr) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def _missing_hint(col: _Column, bad: np.ndarray) -> str:
    """If a refused value looks like a word for 'missing', say how to declare it."""
    words = {str(v).strip() for v in col.raw[bad].head(50) if isinstance(v, str)}
    said = sorted(w for w in words if w.lower() in _MISSING_WORDS)
    if not said:
        return ""
    words = tuple(dict.fromkeys(("", *col.options.missing, said[0])))
    return f" If {said[0]!r} means 'no value', pass missing={words!r}."


# -- text -----------------------------------------------------------------------------------


def _to_text(s: pd.Series, col: _Column) -> pd.Series:
    """Text stays exactly as read; only the texts of ``options.missing`` become missing."""
    if pd.api.types.is_float_dtype(s.dtype) and s.notna().any():
        col.fail(s.notna().to_numpy(), "the export stores this text column as numbers with decimals, "
                 "so leading zeros, '+' signs and long codes may already be lost",
                 "store the column as text in the export (in a spreadsheet: format the column as Text).")
    if not _is_text(s):
        s = s.astype(object).where(s.notna())
    out = s if isinstance(s.dtype, pd.StringDtype) and s.dtype.na_value is np.nan else s.astype("str")
    flagged = out.isin(list(col.options.missing))
    return out.where(~flagged) if flagged.any() else out


# -- booleans -------------------------------------------------------------------------------


def _to_bool(s: pd.Series, col: _Column) -> pd.Series:
    """True and False from an explicit vocabulary; blank is missing, and missing is refused."""
    words = f"{', '.join(TRUE_WORDS)} for True; {', '.join(FALSE_WORDS)} for False (any case)"
    if s.dtype == bool:
        return s
    if _is_text(s):
        arr = pc.utf8_lower(_normalise(_arrow_text(s)))
        missing = _blank(arr, col)
        true = _np(pc.is_in(arr, value_set=pa.array(TRUE_WORDS)))
        false = _np(pc.is_in(arr, value_set=pa.array(FALSE_WORDS)))
        bad = ~missing & ~true & ~false
        if bad.any():
            col.fail(bad, "these values are not yes/no words",
                     f"use {words}, or correct the export.{_missing_hint(col, bad)}")
    elif pd.api.types.is_numeric_dtype(s.dtype):
        x = s.to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(x)
        true, bad = x == 1, ~missing & (x != 0) & (x != 1)
        if bad.any():
            col.fail(bad, "numbers other than 1 (True) and 0 (False)", f"use 1 and 0, or {words}.")
    else:
        col.fail(s.notna().to_numpy(), f"values of type {s.dtype} are not True/False", f"use {words}.")
    if missing.any():
        col.fail(missing, "values are missing, but every row needs True or False",
                 f"fill in the value in the export ({words}).")
    return pd.Series(true, index=s.index, dtype=bool)


# -- integers -------------------------------------------------------------------------------


def _to_int(s: pd.Series, col: _Column) -> pd.Series:
    target = np.dtype(col.dtype.lower())
    nullable = col.dtype[0] == "I"
    scale, _ = col.options.scale(col.table, col.column)
    if scale == 1 and str(s.dtype) == col.dtype:
        return s  # already this exact type: every value fits and nothing can be lost
    if _is_text(s):
        v, missing = _ints_from_text(s, col, scale)
    elif s.dtype == bool or isinstance(s.dtype, pd.BooleanDtype):
        col.fail(s.notna().to_numpy(), "values are True/False, not numbers", "map a numeric column here.")
    elif pd.api.types.is_integer_dtype(s.dtype):
        missing = s.isna().to_numpy()
        if pd.api.types.is_unsigned_integer_dtype(s.dtype) and (s.fillna(0) > np.iinfo(np.int64).max).any():
            col.fail(s.fillna(0) > np.iinfo(np.int64).max, "values are too large for a 64-bit integer",
                     "check the export for a wrong column.")
        v = s.to_numpy(dtype=np.int64, na_value=0)
        limit = np.iinfo(np.int64).max // scale
        big = (v > limit) | (v < -limit)
        if big.any():
            col.fail(big, "values are too large for a 64-bit integer once in minor units",
                     "check the column and its unit.")
        v = v * scale
    elif pd.api.types.is_float_dtype(s.dtype):
        v, missing = _ints_from_floats(s.to_numpy(dtype=float, na_value=np.nan), col, scale)
    else:
        col.fail(s.notna().to_numpy(), f"values of type {s.dtype} are not whole numbers", "map a numeric column here.")
    info = np.iinfo(target)
    out = ~missing & ((v < info.min) | (v > info.max))
    if out.any():
        col.fail(out, f"values are outside the range of {col.dtype} ({info.min:,} to {info.max:,}), "
                 "so they would wrap round to other numbers",
                 f"{col.column} holds numbers from {info.min:,} to {info.max:,}: check the export for a wrong "
                 "column mapped here or mistyped values.")
    if missing.any() and not nullable:
        col.fail(missing, "values are missing, but every row needs a number",
                 f"fill in the values in the export, or remove those rows.{_missing_hint(col, missing)}")
    if nullable:
        return pd.Series(pd.arrays.IntegerArray(v.astype(target), missing), index=s.index)
    return pd.Series(v.astype(target), index=s.index)


def _decimal_fix(col: _Column) -> str:
    if col.options.unit(col.table, col.column) == "toman":
        return ("the column is read in toman (ten rials), so a value may have one decimal (1500.5 toman are "
                "15005 rials); check the column's unit, or round the amounts in the export.")
    if col.options.unit(col.table, col.column) == "major":
        return (f"the column is read in major units with {col.options.minor_unit} decimals "
                f"(minor_unit={col.options.minor_unit}); check minor_unit for this currency, "
                "or round the amounts in the export.")
    if col.column.endswith("_cents"):
        return (f"if the amounts are in the major unit (139.12 meaning 13912 cents), pass "
                f"units={{{col.key!r}: 'major'}} (mapping file: [units] \"{col.key}\" = \"major\").")
    return "ids, counts and codes must be whole numbers: check that the right column is mapped here."


def _ints_from_floats(x: np.ndarray, col: _Column, scale: int) -> tuple[np.ndarray, np.ndarray]:
    """Whole numbers from floats; in major units, ``c / scale == x`` proves x has at most the minor decimals."""
    missing = np.isnan(x)
    x = np.where(missing, 0.0, x)
    c = np.rint(x * scale)
    inexact = np.abs(c) > 2.0**53
    if inexact.any():
        col.fail(inexact, "values are too large to be exact as decimal numbers",
                 "store the column as whole numbers or text in the export.")
    bad = (c / scale != x) if scale > 1 else (c != x)
    if bad.any():
        what = f"more than {col.options.scale(col.table, col.column)[1]} decimals" if scale > 1 else "decimals"
        col.fail(bad, f"values have {what}, and loading them would cut the decimals off", _decimal_fix(col))
    return c.astype(np.int64), missing


_NUMBER = r"^(?P<sign>[+-]?)(?P<int>\d*)(?:\.(?P<frac>\d*))?$"


def _ints_from_text(s: pd.Series, col: _Column, scale: int) -> tuple[np.ndarray, np.ndarray]:
    arr = _normalise(_arrow_text(s))
    missing = _blank(arr, col)
    try:  # fast path: Arrow's strict cast accepts only optionally signed digits that fit int64
        if pc.any(pc.match_substring(arr, ".")).as_py():
            raise pa.ArrowInvalid("decimals")
        v = np.asarray(pc.cast(pc.if_else(pa.array(missing), "0", arr), pa.int64()), dtype=np.int64)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    else:
        limit = np.iinfo(np.int64).max // scale
        if not ((v > limit) | (v < -limit)).any():
            return v * scale, missing
    parts = pc.extract_regex(arr, _NUMBER)
    sign, whole, frac = (pc.struct_field(parts, f) for f in ("sign", "int", "frac"))
    digits_given = pc.greater(pc.add(pc.utf8_length(whole), pc.utf8_length(frac)), 0)
    bad = ~missing & ~_np(pc.and_kleene(pc.is_valid(parts), digits_given))
    if bad.any():
        col.fail(bad, "values are not plain numbers",
                 "write plain numbers in the export: no thousands separators (1,234 -> 1234), exponents "
                 "(1e5 -> 100000), currency signs, units or other text; or check that the right column is "
                 f"mapped.{_missing_hint(col, bad)}")
    places = col.options.scale(col.table, col.column)[1] if scale > 1 else 0
    frac = pc.fill_null(frac, "")
    significant = pc.utf8_length(pc.utf8_rtrim(frac, characters="0"))
    point = _np(pc.match_substring(arr, "."))
    too_fine = ~missing & _np(pc.greater(significant, places))
    if scale == 1 and col.column.endswith("_cents"):
        too_fine |= ~missing & point  # "139.00" in a cents column is an amount in the major unit
    if too_fine.any():
        what = f"more than {places} decimals" if scale > 1 else "decimals"
        col.fail(too_fine, f"values have {what}, and loading them would cut the decimals off", _decimal_fix(col))
    frac = pc.utf8_slice_codeunits(pc.utf8_rpad(frac, places, "0"), 0, places)
    text = pc.binary_join_element_wise(pc.fill_null(whole, ""), frac, "")
    text = pc.utf8_ltrim(text, characters="0")
    long = ~missing & _np(pc.greater(pc.utf8_length(text), 18))
    if long.any():  # beyond 18 digits int64 may overflow: check those few rows exactly
        over = np.zeros(len(long), dtype=bool)
        for i in np.flatnonzero(long):
            over[i] = int(text[i].as_py()) > np.iinfo(np.int64).max
        if over.any():
            col.fail(over, "values are too large for a 64-bit integer", "check the export for a wrong column.")
    text = pc.if_else(pc.equal(text, ""), "0", text)
    v = np.asarray(pc.fill_null(pc.cast(pc.if_else(pa.array(missing), "0", text), pa.int64()), 0), dtype=np.int64)
    negative = _np(pc.equal(sign, "-"))
    return np.where(negative, -v, v), missing
