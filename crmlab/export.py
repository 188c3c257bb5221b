"""Files for other tools (a marketing platform, a spreadsheet) that are safe to open.

A CRM holds text that anyone could type: a name on a web form, a company, a note. A
spreadsheet that opens a CSV or Excel file treats a cell starting with ``=``, ``+``,
``-`` or ``@`` (and, in some programs, a tab or a carriage return) as a *formula*, so a
customer named ``=HYPERLINK("http://evil.example", "Click")`` becomes a live link in the
marketer's spreadsheet, and older programs could even run commands (CSV or formula
injection). OWASP's advice: put a single quote ``'`` before such a cell, so it is read
as text.

:func:`neutralise` does that to every *text* cell, the column names and a named index;
numbers stay numbers (``-12.5`` in a number column is a number, not a formula), and so
does text that is nothing but a number, such as the phone number ``+989121234567``:
a spreadsheet reads it as that number and nothing can run. :func:`to_safe_csv` and
:func:`to_safe_excel` neutralise, then write.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["TRIGGERS", "is_dangerous", "neutralise", "to_safe_csv", "to_safe_excel"]

#: A text cell whose first non-blank character is one of these is read as a formula.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
_PREFIX = "'"
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def is_dangerous(text: str, keep_numeric_text: bool = True) -> bool:
    """True when a spreadsheet could read ``text`` as a formula.

    Parameters
    ----------
    text : str
        One cell's text.
    keep_numeric_text : bool, default True
        Text that is just a number (``"-5"``, ``"+98912..."``) is safe.

    Examples
    --------
    >>> [is_dangerous(t) for t in ["=1+1", "@SUM(A1)", " -2+3", "+989121234567", "Sara", "-5"]]
    [True, True, True, False, False, False]
    """
    if not text:
        return False
    if text[0] in TRIGGERS:
        return not (keep_numeric_text and _PLAIN_NUMBER.fullmatch(text))
    stripped = text.lstrip(" \t\r\n\0")  # a spreadsheet may skip leading blanks
    return bool(stripped) and stripped[0] in TRIGGERS[:4] and stripped != text and not (
        keep_numeric_text and _PLAIN_NUMBER.fullmatch(stripped)
    )


def _cell(value, keep_numeric_text: bool):
    if isinstance(value, str) and is_dangerous(value, keep_numeric_text):
        return _PREFIX + value
    return value


def _check_frame(df, argument: str = "df") -> None:
    if isinstance(df, pd.Series):
        raise TypeError(
            f"`{argument}` must be a pandas DataFrame, but a Series was passed. Turn it into a table with "
            f"`.to_frame()` (or `.reset_index()`)."
        )
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"`{argument}` must be a pandas DataFrame, but a {type(df).__name__} was passed.")


def neutralise(df: pd.DataFrame, keep_numeric_text: bool = True) -> pd.DataFrame:
    """A copy of ``df`` in which no text cell can be read as a formula.

    Text cells (and column names) that start with ``=``, ``+``, ``-``, ``@``, a tab, a
    carriage return, a line feed or a null get a leading single quote; everything else is
    unchanged. A named index (such as ``customer_id``) becomes the first column, so it is
    written too.

    Parameters
    ----------
    df : DataFrame
        The table to export.
    keep_numeric_text : bool, default True
        Leave text that is just a number (``"+989121234567"``) alone; False quotes it too.

    Returns
    -------
    DataFrame
        With a plain ``RangeIndex``; number columns keep their dtype.

    Examples
    --------
    >>> df = pd.DataFrame({"name": ["=HYPERLINK(\\"http://x.example\\")", "Sara"], "balance": [-12.5, 3.0]})
    >>> neutralise(df)
                                 name  balance
    0  '=HYPERLINK("http://x.example")    -12.5
    1                             Sara      3.0
    """
    _check_frame(df)
    out = df.reset_index() if _has_named_index(df) else df.reset_index(drop=True)
    out = out.copy()
    for column in out.columns:
        values = out[column]
        if _may_hold_text(values):
            cells = values.astype(object).map(lambda v: _cell(v, keep_numeric_text))
            out[column] = cells.astype(values.dtype) if pd.api.types.is_string_dtype(values.dtype) else cells
    out.columns = [_cell(c, keep_numeric_text) for c in out.columns]
    return out


def _may_hold_text(values: pd.Series) -> bool:
    kind = values.dtype
    return not (pd.api.types.is_numeric_dtype(kind) or pd.api.types.is_bool_dtype(kind)
                or pd.api.types.is_datetime64_any_dtype(kind) or pd.api.types.is_timedelta64_dtype(kind))  # fmt: skip


def _has_named_index(df: pd.DataFrame) -> bool:
    return any(name is not None for name in df.index.names)


def _target(path, suffixes: tuple[str, ...], function: str) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"`path` must be a file name (str or pathlib.Path), but a {type(path).__name__} was passed, "
            f"e.g. {function}(df, 'targets{suffixes[0]}')."
        )
    target = Path(path)
    if target.suffix.lower() not in suffixes:
        raise ValueError(
            f"The value for `path` must end in one of {list(suffixes)}, but {str(target)!r} was passed."
        )
    if target.is_dir():
        raise IsADirectoryError(f"`path` is a folder, not a file: {str(target)!r}. Add a file name.")
    if not target.parent.is_dir():
        raise FileNotFoundError(
            f"The folder of `path` does not exist: {str(target.parent)!r}. Create it first "
            f"(Path({str(target.parent)!r}).mkdir(parents=True)) or choose another folder."
        )
    return target


def to_safe_csv(df: pd.DataFrame, path: str | os.PathLike, keep_numeric_text: bool = True) -> Path:
    """Write ``df`` as a CSV file that is safe to open in a spreadsheet.

    Text cells are neutralised (:func:`neutralise`) and every text cell is put in double
    quotes (doubled inside, as RFC 4180 says); numbers are written bare, so they stay
    numbers. The file is UTF-8 with a byte-order mark, so Excel shows Persian and other
    non-Latin names correctly.

    Parameters
    ----------
    df : DataFrame
        The table; a named index (such as ``customer_id``) is written as the first column.
    path : str or Path
        A ``.csv`` file in an existing folder; overwritten if it exists.
    keep_numeric_text : bool, default True
        See :func:`neutralise`.

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import csv, tempfile
    >>> df = pd.DataFrame({"name": ["@SUM(A1)", "Sara"], "spend": [-5, 10]})
    >>> path = to_safe_csv(df, Path(tempfile.mkdtemp()) / "targets.csv")
    >>> with open(path, encoding="utf-8-sig", newline="") as f:
    ...     list(csv.reader(f))
    [['name', 'spend'], ["'@SUM(A1)", '-5'], ['Sara', '10']]
    """
    _check_frame(df)
    target = _target(path, (".csv",), "to_safe_csv")
    safe = neutralise(df, keep_numeric_text)
    safe.to_csv(target, index=False, encoding="utf-8-sig", quoting=_csv_quote_strings())
    return target


def _csv_quote_strings() -> int:
    import csv

    return csv.QUOTE_STRINGS if hasattr(csv, "QUOTE_STRINGS") else csv.QUOTE_NONNUMERIC


def to_safe_excel(
    df: pd.DataFrame | Mapping[str, pd.DataFrame],
    path: str | os.PathLike,
    sheet_name: str = "data",
    keep_numeric_text: bool = True,
) -> Path:
    """Write ``df`` (or one sheet per table) as an Excel ``.xlsx`` file that is safe to open.

    Text cells are neutralised (:func:`neutralise`) and stored as text, never as
    formulas; numbers stay numbers. Time-zone-aware dates are written as their wall-clock
    time (Excel has no time zones), and control characters that Excel files cannot hold
    (such as a null) are dropped from text.

    Parameters
    ----------
    df : DataFrame or mapping of str to DataFrame
        One table, or several: ``{"Champions": ..., "At risk": ...}`` gives one sheet each.
    path : str or Path
        A ``.xlsx`` file in an existing folder; overwritten if it exists.
    sheet_name : str, default "data"
        The sheet's name when ``df`` is one table.
    keep_numeric_text : bool, default True
        See :func:`neutralise`.

    Returns
    -------
    Path
        The file written.

    Examples
    --------
    >>> import openpyxl, tempfile
    >>> df = pd.DataFrame({"name": ["=1+1", "Sara"], "spend": [-5, 10]})
    >>> path = to_safe_excel(df, Path(tempfile.mkdtemp()) / "targets.xlsx")
    >>> sheet = openpyxl.load_workbook(path)["data"]
    >>> [(c.value, c.data_type) for c in sheet["A2":"B2"][0]]
    [("'=1+1", 's'), (-5, 'n')]
    """
    sheets = _sheets(df, sheet_name)
    target = _target(path, (".xlsx",), "to_safe_excel")
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, frame in sheets.items():
        _write_sheet(book.create_sheet(name), neutralise(frame, keep_numeric_text))
    book.save(target)
    return target


def _sheets(df, sheet_name: str) -> dict[str, pd.DataFrame]:
    if isinstance(df, Mapping):
        if not df:
            raise ValueError("`df` is an empty mapping: give at least one sheet, e.g. {'targets': table}.")
        for name, frame in df.items():
            _check_frame(frame, f"df[{name!r}]")
        sheets = {str(name): frame for name, frame in df.items()}
    else:
        _check_frame(df)
        sheets = {sheet_name: df}
    for name in sheets:
        if not name or len(name) > 31 or _BAD_SHEET_CHARS.search(name):
            raise ValueError(
                f"Excel sheet names must have 1 to 31 characters and none of [ ] : * ? / \\, "
                f"but {name!r} was passed."
            )
    return sheets


def _write_sheet(sheet, frame: pd.DataFrame) -> None:
    sheet.append([_excel_text(str(c)) for c in frame.columns])
    columns = [_excel_values(frame[c]) for c in frame.columns]
    for row in zip(*columns, strict=True):
        sheet.append(row)
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":  # cannot happen after neutralise; never write a formula all the same
                cell.data_type = "s"


def _excel_text(text: str) -> str:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _excel_values(values: pd.Series) -> list:
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        values = values.dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(values):
        return [None if pd.isna(v) else v.to_pydatetime() for v in values]
    out = values.astype(object).where(values.notna(), None).tolist()
    return [_excel_text(v) if isinstance(v, str) else v.item() if isinstance(v, np.generic) else v for v in out]
