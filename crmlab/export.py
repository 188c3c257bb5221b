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
does text that is nothing but an ASCII number, such as the phone number
``+989121234567``: a spreadsheet reads it as that number and nothing can run. Leading
blanks, control and invisible characters do not hide a formula: ``"\\x1b=1+1"`` is
quoted too. :func:`to_safe_csv` and :func:`to_safe_excel` neutralise, then write.

Nothing is changed silently: a table that cannot be written exactly (duplicate column
names, a list in a cell, an infinite number or a time zone in Excel, text Excel would
cut) gives an error that names the column, example rows and the fix.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["EXCEL_MAX_TEXT", "TRIGGERS", "is_dangerous", "neutralise", "to_safe_csv", "to_safe_excel"]

#: A text cell whose first non-blank character is one of these is read as a formula.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
#: The longest text an Excel cell holds; Excel cuts longer text without a warning.
EXCEL_MAX_TEXT = 32_767
_PREFIX = "'"
_PLAIN_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")  # ASCII digits only
# Characters a spreadsheet may skip or not show before a formula: blanks, control characters,
# zero-width and direction marks, the byte-order mark.
_INVISIBLE_START = re.compile(r"^[\s\x00-\x1f\x7f-\x9f\u00ad\u180e\u200b-\u200f\u2028-\u202f\u205f-\u206f\ufeff]+")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\r\ud800-\udfff\ufffe\uffff]")  # \r: XML reads it as \n
_EXCEL_DIGITS = 10**15  # Excel keeps 15 significant digits
_EXAMPLES = 3
# Cell values written as they are; anything else in a text column is refused with a fix.
_PLAIN_TYPES = (str, bool, int, float, Decimal, np.bool_, np.integer, np.floating, dt.datetime, dt.date,
                dt.time, dt.timedelta, np.datetime64, np.timedelta64, pd.Period, pd.Interval)  # fmt: skip


class _Problem(list):
    """Collects "what is wrong, where, how to fix it" lines; raised together."""

    def add(self, where: str, positions: list[int], what: str, fix: str) -> None:
        if not positions:
            return
        shown = ", ".join(map(str, positions[:_EXAMPLES]))
        if len(positions) == 1:
            rows = f"row {shown}"
        elif len(positions) <= _EXAMPLES:
            rows = f"rows {shown}"
        else:
            rows = f"{len(positions):,} rows, e.g. rows {shown}"
        self.append(f"{where} {what} in {rows} (counting from 0). {fix}")

    def raise_if_any(self, error: type[Exception], lead: str) -> None:
        if self:
            raise error(lead + "\n" + "\n".join(f"- {line}" for line in self))


def is_dangerous(text: str, keep_numeric_text: bool = True) -> bool:
    """True when a spreadsheet could read ``text`` as a formula.

    Parameters
    ----------
    text : str
        One cell's text.
    keep_numeric_text : bool, default True
        Text that is just an ASCII number (``"-5"``, ``"+98912..."``) is safe.

    Examples
    --------
    >>> [is_dangerous(t) for t in ["=1+1", "@SUM(A1)", " -2+3", "+989121234567", "Sara", "-5"]]
    [True, True, True, False, False, False]
    >>> [is_dangerous(t) for t in ["\\x1b=1+1", "\\u200b@A1", "+۹۸۹۱۲"]]
    [True, True, True]
    """
    if not text:
        return False
    if text[0] in TRIGGERS:
        return not (keep_numeric_text and _PLAIN_NUMBER.fullmatch(text))
    stripped = _INVISIBLE_START.sub("", text)  # a spreadsheet may skip leading blanks and controls
    return bool(stripped) and stripped != text and stripped[0] in TRIGGERS[:4] and not (
        keep_numeric_text and _PLAIN_NUMBER.fullmatch(stripped)
    )


def _cell(value, keep_numeric_text: bool):
    if isinstance(value, str) and is_dangerous(value, keep_numeric_text):
        return _PREFIX + value
    return value


def _header(name, keep_numeric_text: bool):
    if isinstance(name, str):
        return _cell(name, keep_numeric_text)
    text = str(name)  # a file holds the name as text
    return _PREFIX + text if is_dangerous(text, keep_numeric_text) else name


def _check_frame(df, argument: str = "df") -> None:
    if isinstance(df, pd.Series):
        raise TypeError(
            f"`{argument}` must be a pandas DataFrame, but a Series was passed. Turn it into a table with "
            f"`.to_frame()` (or `.reset_index()`)."
        )
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"`{argument}` must be a pandas DataFrame, but a {type(df).__name__} was passed.")


def _check_columns(df: pd.DataFrame, argument: str) -> None:
    if isinstance(df.columns, pd.MultiIndex):
        raise ValueError(
            f"`{argument}` has two levels of column names, which a file row cannot hold. Flatten them "
            f"first, e.g. df.columns = ['_'.join(map(str, c)) for c in df.columns]."
        )
    names = [str(c) for c in df.columns]
    if _has_named_index(df):
        index_names = [str(n) for n in df.index.names if n is not None]
        clash = sorted(set(index_names) & set(names))
        if clash:
            raise ValueError(
                f"`{argument}` has an index named {clash[0]!r} and a column with the same name, so the "
                f"file would hold two columns {clash[0]!r}. Keep one: df.reset_index(drop=True) drops the "
                f"index, df.drop(columns={clash[0]!r}) drops the column."
            )
        names = index_names + names
    seen: dict[str, int] = {}
    for name in names:
        seen[name] = seen.get(name, 0) + 1
    twice = [name for name, count in seen.items() if count > 1]
    if twice:
        raise ValueError(
            f"`{argument}` has more than one column named {twice[0]!r} (as text), so the file could not "
            f"tell them apart: {twice}. Rename them first, e.g. df.columns = [...] with distinct names."
        )


def neutralise(df: pd.DataFrame, keep_numeric_text: bool = True) -> pd.DataFrame:
    """A copy of ``df`` in which no text cell can be read as a formula.

    Text cells (and column names) that start with ``=``, ``+``, ``-``, ``@``, a tab, a
    carriage return, a line feed or a null, also after blanks or invisible characters,
    get a leading single quote; everything else is unchanged. A named index (such as
    ``customer_id``) becomes the first column, so it is written too.

    Parameters
    ----------
    df : DataFrame
        The table to export. Cells hold text, numbers, dates, or missing values.
    keep_numeric_text : bool, default True
        Leave text that is just an ASCII number (``"+989121234567"``) alone; False quotes it too.

    Returns
    -------
    DataFrame
        With a plain ``RangeIndex``; number columns keep their dtype.

    Raises
    ------
    ValueError
        For duplicate column names or an index named like a column.
    TypeError
        For cells holding lists, dicts, bytes or other objects, naming the column and rows.

    Examples
    --------
    >>> df = pd.DataFrame({"name": ["=HYPERLINK(\\"http://x.example\\")", "Sara"], "balance": [-12.5, 3.0]})
    >>> neutralise(df)
                                 name  balance
    0  '=HYPERLINK("http://x.example")    -12.5
    1                             Sara      3.0
    """
    _check_frame(df)
    _check_columns(df, "df")
    out = df.reset_index() if _has_named_index(df) else df.reset_index(drop=True)
    out = out.copy()
    problems = _Problem()
    for position, column in enumerate(out.columns):
        values = out.iloc[:, position]
        if _may_hold_text(values):
            cells = values.astype(object)
            odd = _positions(cells, lambda v: not (v is None or isinstance(v, _PLAIN_TYPES) or _is_missing(v)))
            if odd:
                kinds = sorted({type(cells.iloc[i]).__name__ for i in odd})
                col = f"df[{column!r}]"
                fix = (f"Join them into text first, e.g. {col} = {col}.str.join(', ')."
                       if set(kinds) <= {"list", "tuple"}
                       else f"Convert the column to text first: {col} = {col}.astype(str).")  # fmt: skip
                problems.add(f"Column {str(column)!r}:", odd,
                             f"{' and '.join(kinds)} values (a spreadsheet cell holds one value)", fix)  # fmt: skip
                continue
            cells = cells.map(lambda v: _cell(v, keep_numeric_text))
            out.isetitem(position, cells.astype(values.dtype) if pd.api.types.is_string_dtype(values.dtype)
                         else cells)  # fmt: skip
    problems.raise_if_any(TypeError, "Some cells cannot be written to a file as they are:")
    out.columns = [_header(c, keep_numeric_text) for c in out.columns]
    return out


def _is_missing(value) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # a list-like answers element-wise
        return False


def _positions(values: pd.Series, test: Callable[[object], bool]) -> list[int]:
    return [i for i, v in enumerate(values.tolist()) if test(v)]


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
    non-Latin names correctly. Every character is kept, control characters included.

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
    formulas; numbers stay numbers, ``Period`` and ``Interval`` values are written as
    their text. What Excel cannot hold exactly is refused before anything is written,
    with the sheet, column, example rows and the fix: text over 32,767 characters,
    control characters and carriage returns, infinite numbers, whole numbers of 16 or
    more digits, and dates with a time zone.

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

    Raises
    ------
    ValueError
        For sheet names Excel refuses or would merge, and for values Excel cannot hold.

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
    safe = {name: neutralise(frame, keep_numeric_text) for name, frame in sheets.items()}
    problems = _Problem()
    for name, frame in safe.items():
        _excel_problems(name, frame, problems)
    problems.raise_if_any(ValueError, "Excel cannot hold these values exactly, so nothing was written:")
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, frame in safe.items():
        _write_sheet(book.create_sheet(name), frame)
    book.save(target)
    return target


def _sheets(df, sheet_name: str) -> dict[str, pd.DataFrame]:
    if isinstance(df, Mapping):
        if not df:
            raise ValueError("`df` is an empty mapping: give at least one sheet, e.g. {'targets': table}.")
        for name, frame in df.items():
            _check_frame(frame, f"df[{name!r}]")
        keys = list(df)
    else:
        _check_frame(df)
        keys, df = [sheet_name], {sheet_name: df}
    sheets: dict[str, pd.DataFrame] = {}
    seen: dict[str, object] = {}
    for key in keys:
        name = str(key)
        if not name or len(name) > 31 or _BAD_SHEET_CHARS.search(name) or name[0] == "'" or name[-1] == "'":
            raise ValueError(
                f"Excel sheet names must have 1 to 31 characters, none of [ ] : * ? / \\, and no ' at "
                f"either end, but {name!r} was passed."
            )
        if name.casefold() == "history":
            raise ValueError("Excel keeps the sheet name 'History' for itself; choose another name.")
        if name.casefold() in seen:
            raise ValueError(
                f"Two tables would get the same sheet name (Excel ignores case): keys {seen[name.casefold()]!r} "
                f"and {key!r} both give {name!r}. Rename one, e.g. {{'{name} (2)': ...}}."
            )
        seen[name.casefold()] = key
        sheets[name] = df[key]
    return sheets


def _excel_problems(sheet: str, frame: pd.DataFrame, problems: _Problem) -> None:
    """Every value of ``frame`` that Excel would change, cut or refuse, by column."""
    for position, column in enumerate(frame.columns):
        where, col = f"Sheet {sheet!r}, column {str(column)!r}:", f"df[{column!r}]"
        text = str(column)
        if len(text) > EXCEL_MAX_TEXT or _XML_ILLEGAL.search(text):
            problems.append(f"{where} the name is too long or holds a control character. Rename the column.")
        values = frame.iloc[:, position]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            problems.add(where, list(range(len(values))), f"dates carry the time zone {values.dt.tz}",
                         _TZ_FIX.format(col=col))  # fmt: skip
        elif pd.api.types.is_float_dtype(values.dtype):
            inf = np.isinf(values.to_numpy(dtype=float, na_value=np.nan))
            problems.add(where, np.flatnonzero(inf).tolist(), "infinite numbers (inf)", _INF_FIX.format(col=col))
        elif pd.api.types.is_integer_dtype(values.dtype):
            big = values.abs().ge(_EXCEL_DIGITS).fillna(False).to_numpy(dtype=bool)
            problems.add(where, np.flatnonzero(big).tolist(), "whole numbers of 16 or more digits",
                         _DIGITS_FIX.format(col=col))  # fmt: skip
        elif _may_hold_text(values):
            cells = values.astype(object)
            for test, what, fix in _CELL_TESTS:
                problems.add(where, _positions(cells, test), what, fix.format(col=col))


def _too_many_digits(value) -> bool:
    return (isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
            and abs(int(value)) >= _EXCEL_DIGITS)  # fmt: skip


def _has_time_zone(value) -> bool:
    return isinstance(value, (dt.datetime, dt.time)) and value.tzinfo is not None


_TZ_FIX = ("Excel has no time zones: choose the clock first, e.g. {col} = {col}.dt.tz_convert('Asia/Tehran')"
           ".dt.tz_localize(None) for local time, or .dt.tz_convert('UTC').dt.tz_localize(None).")  # fmt: skip
_INF_FIX = ("Excel has no infinity: replace it, e.g. {col} = {col}.replace([np.inf, -np.inf], np.nan) for "
            "empty cells, or write a CSV file (it keeps inf).")  # fmt: skip
_DIGITS_FIX = ("Excel keeps 15 significant digits and would change the last ones: write them as text, "
               "e.g. {col} = {col}.astype(str).")  # fmt: skip
_LONG_FIX = "Write a CSV file instead (to_safe_csv keeps every character), or shorten the text."
_CONTROL_FIX = ("Remove them first, e.g. {col} = {col}.str.replace(r'\\r\\n?', '\\n', regex=True)"
                ".str.replace(r'[\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f]', '', regex=True), or write a CSV file.")


_CELL_TESTS = [
    (lambda v: isinstance(v, str) and len(v) > EXCEL_MAX_TEXT,
     f"text longer than {EXCEL_MAX_TEXT:,} characters (Excel would cut it)", _LONG_FIX),
    (lambda v: isinstance(v, str) and bool(_XML_ILLEGAL.search(v)),
     "control characters or carriage returns (an Excel file cannot hold them)", _CONTROL_FIX),
    (lambda v: _is_infinite(v), "infinite numbers (inf)", _INF_FIX),
    (_too_many_digits, "whole numbers of 16 or more digits", _DIGITS_FIX),
    (_has_time_zone, "dates carry a time zone", _TZ_FIX),
]  # fmt: skip


def _is_infinite(value) -> bool:
    if isinstance(value, Decimal):
        return value.is_infinite()
    return isinstance(value, (float, np.floating)) and bool(np.isinf(value))


def _write_sheet(sheet, frame: pd.DataFrame) -> None:
    sheet.append([str(c) for c in frame.columns])
    columns = [_excel_values(frame.iloc[:, i]) for i in range(frame.shape[1])]
    for row in zip(*columns, strict=True):
        sheet.append(row)
    for row in sheet.iter_rows():
        for cell in row:
            if cell.data_type == "f":  # cannot happen after neutralise; never write a formula all the same
                cell.data_type = "s"


def _excel_values(values: pd.Series) -> list:
    if pd.api.types.is_datetime64_any_dtype(values):
        return [None if pd.isna(v) else v.to_pydatetime() for v in values]
    out = values.astype(object).where(values.notna(), None).tolist()
    return [_excel_value(v) for v in out]


def _excel_value(value):
    if isinstance(value, (pd.Period, pd.Interval)):
        return str(value)  # their text, as pandas shows them
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).to_pydatetime()
    if isinstance(value, np.timedelta64):
        return None if np.isnat(value) else pd.Timedelta(value).to_pytimedelta()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, pd.Timedelta):
        return value.to_pytimedelta()
    if isinstance(value, np.generic):
        return value.item()
    return value
